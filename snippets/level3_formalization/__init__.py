"""Level 3 of the learning path (docs/*/learning-path/level-3-formalization.md): the methods worked by hand."""
