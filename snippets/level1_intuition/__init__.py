"""Level 1 of the learning path (docs/*/learning-path/level-1-intuition.md): memory and arithmetic intensity."""
