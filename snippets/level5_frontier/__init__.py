"""Level 5 of the learning path (docs/*/learning-path/level-5-frontier.md): formats and methods of current research."""
