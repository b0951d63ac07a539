"""Compression methods from scratch in plain PyTorch, after the reference code of each paper, and a tiny Llama."""
