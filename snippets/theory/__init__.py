"""The theory chapters (docs/*/theory/): quantization, pruning, distillation and the KV cache."""
