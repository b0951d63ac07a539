"""Level 4 of the learning path (docs/*/learning-path/level-4-theory.md): the results behind the methods."""
