"""Magnitude pruning: zero the weights with the smallest |W_ij|. The baseline that ignores the data.

Unstructured pruning compares weights across the whole layer (the usual baseline, e.g. in locuslab/wanda's
prune_magnitude) or within each output row (the comparison group Wanda uses). N:M pruning (e.g. 2:4, which NVIDIA
sparse tensor cores run at up to twice the dense math rate) keeps the M - N largest of every M consecutive weights of
a row.

    python -m snippets.scratch.magnitude
"""

from __future__ import annotations

import torch

from snippets.scratch.compressor import each_linear


# --8<-- [start:magnitude]
def magnitude_prune(W: torch.Tensor, sparsity: float = 0.5, per_row: bool = False, n: int = 0,
                    m: int = 0) -> torch.Tensor:
    """Return W with the smallest-magnitude weights set to 0: `sparsity` of the layer (or of every row if
    per_row), or, if n and m are given, n of every m consecutive weights along the input dimension."""
    return W.masked_fill(prune_mask(W.abs(), sparsity, per_row, n, m), 0)


def prune_mask(score: torch.Tensor, sparsity: float, per_row: bool, n: int = 0, m: int = 0) -> torch.Tensor:
    """True where the weight is pruned: the lowest scores, in the comparison group chosen."""
    rows, cols = score.shape
    if n:  # N:M: the n lowest scores of every group of m consecutive columns
        groups = score.reshape(rows, cols // m, m)
        lowest = torch.topk(groups, n, dim=-1, largest=False).indices
        return torch.zeros_like(groups, dtype=torch.bool).scatter_(-1, lowest, True).reshape(rows, cols)
    if per_row:  # the int(cols * sparsity) lowest scores of every row
        lowest = torch.sort(score, dim=-1, stable=True).indices[:, : int(cols * sparsity)]
        return torch.zeros_like(score, dtype=torch.bool).scatter_(1, lowest, True)
    lowest = torch.sort(score.flatten(), stable=True).indices[: int(score.numel() * sparsity)]  # the whole layer
    return torch.zeros_like(score, dtype=torch.bool).view(-1).scatter_(0, lowest, True).view(rows, cols)
# --8<-- [end:magnitude]



def magnitude_compressor(sparsity: float = 0.5, per_row: bool = False, n: int = 0, m: int = 0):
    """For tiny_lm.compress_sequentially: magnitude pruning ignores the inputs."""
    return each_linear(lambda W, _: magnitude_prune(W, sparsity, per_row, n, m))


if __name__ == "__main__":
    torch.manual_seed(0)
    W = torch.randn(4, 8)
    print("W:\n", W.round(decimals=2))
    print("50% unstructured (whole layer):\n", magnitude_prune(W, 0.5).round(decimals=2))
    print("2:4:\n", magnitude_prune(W, n=2, m=4).round(decimals=2))
