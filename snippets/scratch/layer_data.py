"""Synthetic calibration inputs and the layer-error measure that the from-scratch demos and their tests share.

    correlated_inputs(tokens, columns)   inputs whose energy lies in a few directions, as real activations' does
    output_error(W, W_hat, X)            ||W Xᵀ - W_hat Xᵀ||² / ||W Xᵀ||², the error GPTQ, SparseGPT and Wanda reduce
"""

from __future__ import annotations

import math

import torch


def correlated_inputs(tokens: int = 2048, columns: int = 128, rank: int = 32, seed: int = 0) -> torch.Tensor:
    """[tokens, columns] inputs: `rank` random directions plus 0.3 of independent noise."""
    g = torch.Generator().manual_seed(seed)
    directions = torch.randn(rank, columns, generator=g) / math.sqrt(rank)
    return torch.randn(tokens, rank, generator=g) @ directions + 0.3 * torch.randn(tokens, columns, generator=g)


def output_error(W: torch.Tensor, W_hat: torch.Tensor, X: torch.Tensor) -> float:
    """Relative output error of replacing W by W_hat on inputs X [tokens, columns]."""
    return (((W - W_hat) @ X.T).square().sum() / (W @ X.T).square().sum()).item()
