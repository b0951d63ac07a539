"""Memory a CUDA process pays before it holds any model: the same for every engine and for training.

CUDA context: 512 MiB (driver state and kernel images with lazy module loading; commonly 300-600 MiB).
GEMM workspaces: 64 MiB (PyTorch's cuBLAS workspace on Hopper, ``:4096:8`` = 32 MiB, and a cuBLASLt workspace
of the same size). Both are models, not measurements: no GPU has measured them for this project yet.
"""

from __future__ import annotations

GIB = 2**30
MIB = 2**20

CUDA_CONTEXT_BYTES = 512 * MIB
GEMM_WORKSPACE_BYTES = 64 * MIB
ACT_BYTES = 2  # activations in bf16/fp16
