"""Level 2 of the learning path (docs/*/learning-path/level-2-concepts.md): the granularity of scales."""
