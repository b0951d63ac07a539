"""Wanda (Sun, Liu, Bair, Kolter 2023, arXiv:2306.11695), from scratch, after locuslab/wanda (lib/prune.py).

Pruning by Weights AND Activations: the score of weight W_ij is |W_ij| * ||X_j||_2, where ||X_j||_2 is the norm of
input feature j over all calibration tokens. A weight that multiplies a large activation matters more than its
magnitude says. Weights are compared within each output row (each output keeps the same number of inputs), and
nothing is updated after pruning: no Hessian, no second pass.

    python -m snippets.scratch.wanda
"""

from __future__ import annotations

import torch

from snippets.scratch.compressor import each_linear
from snippets.scratch.magnitude import prune_mask


# --8<-- [start:wanda]
def input_sq_norms(inputs: list[torch.Tensor]) -> torch.Tensor:
    """scaler_row in the reference code: ||X_j||_2^2 / n for every input feature j (n = calibration tokens)."""
    total, n = 0.0, 0
    for inp in inputs:
        inp = inp.reshape(-1, inp.shape[-1]).float()
        total = total + inp.square().sum(dim=0)
        n += inp.shape[0]
    return total / n


def wanda_prune(W: torch.Tensor, scaler_row: torch.Tensor, sparsity: float = 0.5, prune_n: int = 0,
                prune_m: int = 0, per_row: bool = True) -> torch.Tensor:
    """Zero the `sparsity` fraction of every row (or prune_n of every prune_m) with the lowest |W| * ||X||.
    per_row=False compares the scores across the whole layer instead (the paper's comparison-group ablation)."""
    W_metric = W.abs() * torch.sqrt(scaler_row.reshape((1, -1)))
    W_mask = prune_mask(W_metric, sparsity, per_row=per_row, n=prune_n, m=prune_m)
    return W.masked_fill(W_mask, 0)
# --8<-- [end:wanda]



def wanda_compressor(sparsity: float = 0.5, prune_n: int = 0, prune_m: int = 0, per_row: bool = True):
    """For tiny_lm.compress_sequentially: Wanda on every linear of a group, with the norms of their shared input."""
    return each_linear(lambda W, norms: wanda_prune(W, norms, sparsity, prune_n, prune_m, per_row), input_sq_norms)


if __name__ == "__main__":
    from snippets.scratch.layer_data import output_error
    from snippets.scratch.magnitude import magnitude_prune

    torch.manual_seed(0)
    X = torch.randn(2048, 256) * torch.exp(torch.randn(256))  # input features of very different sizes
    W = torch.randn(256, 256)
    norms = input_sq_norms([X])
    for label, mag, wanda in [("50% unstructured", {"sparsity": 0.5}, {"sparsity": 0.5}),
                              ("2:4", {"n": 2, "m": 4}, {"prune_n": 2, "prune_m": 4})]:
        m = output_error(W, magnitude_prune(W, **mag), X)
        w = output_error(W, wanda_prune(W, norms, **wanda), X)
        print(f"{label:17s} relative output error: magnitude {m:.3f}, Wanda {w:.3f}")
