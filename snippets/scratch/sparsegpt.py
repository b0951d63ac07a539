"""SparseGPT (Frantar & Alistarh 2023, arXiv:2301.00774), from scratch, after the reference code
IST-DASLab/sparsegpt (sparsegpt.py), with its variable names.

The same column-by-column loop as GPTQ, with "round to the grid" replaced by "set to zero if masked". Pruning
weight w_i costs (Optimal Brain Surgeon) w_i^2 / [H^-1]_ii and is compensated by updating the columns not yet
processed with the same inverse-Hessian row as in GPTQ. The mask is chosen adaptively, once per block of
B = 128 columns, from w^2 / [Hinv]_ii^2 of the already updated weights (Hinv: the upper Cholesky factor of H^-1).
For N:M sparsity (e.g. 2:4) the N smallest of every M consecutive weights in a row are pruned instead.

    python -m snippets.scratch.sparsegpt
"""

from __future__ import annotations

import torch

from snippets.scratch.compressor import each_linear


# --8<-- [start:sparsegpt]
@torch.no_grad()
def sparsegpt(W: torch.Tensor, H: torch.Tensor, sparsity: float = 0.5, prunen: int = 0, prunem: int = 0,
              blocksize: int = 128, percdamp: float = 0.01) -> torch.Tensor:
    """Prune W [rows, columns] to `sparsity` (or prunen:prunem, e.g. 2:4), updating the kept weights.

    H = 2 X X^T [columns, columns] from the calibration inputs (gptq.Hessian). Returns the pruned W.
    """
    W = W.clone().float()
    H = H.clone().float()
    rows, columns = W.shape

    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0

    damp = percdamp * torch.mean(torch.diag(H))
    diag = torch.arange(columns, device=W.device)
    H[diag, diag] += damp
    H = torch.linalg.cholesky(H)
    H = torch.cholesky_inverse(H)
    H = torch.linalg.cholesky(H, upper=True)
    Hinv = H

    for i1 in range(0, columns, blocksize):
        i2 = min(i1 + blocksize, columns)
        count = i2 - i1

        W1 = W[:, i1:i2].clone()
        Q1 = torch.zeros_like(W1)
        Err1 = torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]

        if prunen == 0:  # unstructured: the `sparsity` fraction of the block with the lowest OBS saliency (the
            # reference code thresholds with <=, which prunes one weight more per block)
            tmp = W1**2 / (torch.diag(Hinv1).reshape((1, -1))) ** 2
            lowest = torch.sort(tmp.flatten(), stable=True)[1][:int(tmp.numel() * sparsity)]
            mask1 = torch.zeros_like(tmp, dtype=torch.bool).view(-1).scatter_(0, lowest, True).view(tmp.shape)
        else:
            mask1 = torch.zeros_like(W1, dtype=torch.bool)

        for i in range(count):
            w = W1[:, i]
            d = Hinv1[i, i]

            if prunen != 0 and i % prunem == 0:  # N:M: choose the N to prune among the next M columns, per row
                tmp = W1[:, i:i + prunem] ** 2 / (torch.diag(Hinv1)[i:i + prunem].reshape((1, -1))) ** 2
                mask1.scatter_(1, i + torch.topk(tmp, prunen, dim=1, largest=False)[1], True)

            q = w.clone()
            q[mask1[:, i]] = 0
            Q1[:, i] = q

            err1 = (w - q) / d
            W1[:, i:] -= err1.unsqueeze(1) @ Hinv1[i, i:].unsqueeze(0)  # compensate with the remaining weights
            Err1[:, i] = err1

        W[:, i1:i2] = Q1
        W[:, i2:] -= Err1 @ Hinv[i1:i2, i2:]

    return W
# --8<-- [end:sparsegpt]



def sparsegpt_compressor(sparsity: float = 0.5, prunen: int = 0, prunem: int = 0):
    """For tiny_lm.compress_sequentially: SparseGPT on every linear of a group, with the H of their shared input."""
    from snippets.scratch.gptq import hessian

    return each_linear(lambda W, H: sparsegpt(W, H, sparsity, prunen, prunem), hessian)


if __name__ == "__main__":
    from snippets.scratch.gptq import hessian
    from snippets.scratch.layer_data import correlated_inputs, output_error
    from snippets.scratch.magnitude import magnitude_prune

    torch.manual_seed(0)
    X = correlated_inputs(tokens=4096, columns=256)
    W = torch.randn(256, 256)
    H = hessian([X])

    for label, kwargs, mag in [("50% unstructured", {"sparsity": 0.5}, {"sparsity": 0.5}),
                               ("2:4", {"prunen": 2, "prunem": 4}, {"n": 2, "m": 4})]:
        s = output_error(W, sparsegpt(W, H, **kwargs), X)
        m = output_error(W, magnitude_prune(W, **mag), X)
        print(f"{label:17s} relative output error: magnitude {m:.3f}, SparseGPT {s:.3f}")
