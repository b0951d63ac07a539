"""GPTQ (Frantar, Ashkboos, Hoefler, Alistarh 2022, arXiv:2210.17323), from scratch, after the reference code
IST-DASLab/gptq (gptq.py), with its variable names.

GPTQ quantizes a linear layer's weight W [rows, columns] one input column at a time, left to right. After rounding
column i it spreads the rounding error over the columns not yet quantized, weighted by the inverse Hessian of the
layer-wise objective ||W X - Q X||^2, whose Hessian is H = 2 X X^T (X = calibration inputs, one column per token):

    err = (w_i - q_i) / [Hinv]_ii          W[:, i:] -= err * Hinv[i, i:]

where Hinv is the upper Cholesky factor of H^-1 (the paper's Section 3, step 3). Lazy batches: the update is done
inside a block of B = 128 columns, and the rest of W is updated once per block with one matrix product.

    python -m snippets.scratch.gptq
"""

from __future__ import annotations

import math

import torch

from snippets.scratch.compressor import each_linear
from snippets.scratch.rtn import dequantize, quant_params, quantize


class Hessian:
    """H = 2/n * sum over the n calibration tokens of x x^T, accumulated batch by batch (the factor 1/n keeps the
    entries of order 1 and changes nothing else: the dampening below is relative to H's diagonal)."""

    def __init__(self, columns: int, device=None):
        self.H = torch.zeros(columns, columns, device=device)
        self.nsamples = 0

    def add_batch(self, inp: torch.Tensor) -> None:
        inp = inp.reshape(-1, inp.shape[-1]).t().float()  # [columns, tokens]
        tmp = inp.shape[1]
        self.H *= self.nsamples / (self.nsamples + tmp)
        self.nsamples += tmp
        inp = math.sqrt(2 / self.nsamples) * inp
        self.H += inp @ inp.t()


def hessian(inputs: list[torch.Tensor]) -> torch.Tensor:
    acc = Hessian(inputs[0].shape[-1], inputs[0].device)
    for inp in inputs:
        acc.add_batch(inp)
    return acc.H


# --8<-- [start:gptq]
@torch.no_grad()
def gptq(W: torch.Tensor, H: torch.Tensor, bits: int = 4, sym: bool = False, groupsize: int = -1,
         blocksize: int = 128, percdamp: float = 0.01, actorder: bool = False, static_groups: bool = False):
    """Quantize W [rows, columns] with GPTQ given H [columns, columns]; returns the dequantized Q (W's shape).

    groupsize = -1: one grid per row; otherwise one per row and group of `groupsize` columns, computed from the
    (already updated) weights when the loop enters the group, or from the original W if static_groups.
    actorder: quantize the columns in order of decreasing H_ii (largest activations first), undo at the end.
    """
    assert groupsize == -1 or blocksize % groupsize == 0 or groupsize % blocksize == 0
    W = W.clone().float()
    H = H.clone().float()
    rows, columns = W.shape

    dead = torch.diag(H) == 0  # inputs that were always 0: the weight cannot matter
    H[dead, dead] = 1
    W[:, dead] = 0

    if static_groups:  # grids from the original weights, in the original column order
        groups = [quant_params(W[:, i:i + groupsize], bits, sym) for i in range(0, columns, groupsize)]

    if actorder:
        perm = torch.argsort(torch.diag(H), descending=True)
        W = W[:, perm]
        H = H[perm][:, perm]
        invperm = torch.argsort(perm)

    Q = torch.zeros_like(W)

    damp = percdamp * torch.mean(torch.diag(H))  # H + lambda I: keeps the inverse well conditioned
    diag = torch.arange(columns, device=W.device)
    H[diag, diag] += damp
    H = torch.linalg.cholesky(H)
    H = torch.cholesky_inverse(H)  # H^-1
    H = torch.linalg.cholesky(H, upper=True)  # its upper Cholesky factor: row i holds what column i needs
    Hinv = H

    scale, zero = quant_params(W, bits, sym)  # one grid per row, unless groups replace it below
    for i1 in range(0, columns, blocksize):
        i2 = min(i1 + blocksize, columns)
        count = i2 - i1

        W1 = W[:, i1:i2].clone()
        Q1 = torch.zeros_like(W1)
        Err1 = torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]

        for i in range(count):
            w = W1[:, i]
            d = Hinv1[i, i]

            if groupsize != -1:
                if static_groups:
                    column = perm[i1 + i] if actorder else i1 + i
                    scale, zero = groups[column // groupsize]
                elif (i1 + i) % groupsize == 0:  # entering a group: its grid from its current weights, which
                    # live in W1 if the group lies inside this block (the reference code reads W, which misses
                    # the updates made earlier in the block), and in W if the group starts the block
                    Wg = W1[:, i:i + groupsize] if i + groupsize <= count else W[:, i1 + i:i1 + i + groupsize]
                    scale, zero = quant_params(Wg, bits, sym)

            q = dequantize(quantize(w.unsqueeze(1), scale, zero, bits), scale, zero).flatten()
            Q1[:, i] = q

            err1 = (w - q) / d
            W1[:, i:] -= err1.unsqueeze(1) @ Hinv1[i, i:].unsqueeze(0)  # OBS update inside the block
            Err1[:, i] = err1

        Q[:, i1:i2] = Q1

        W[:, i2:] -= Err1 @ Hinv[i1:i2, i2:]  # lazy batch update of everything right of the block

    if actorder:
        Q = Q[:, invperm]
    return Q
# --8<-- [end:gptq]



def gptq_compressor(bits: int = 4, groupsize: int = -1, sym: bool = False, actorder: bool = False, **kwargs):
    """For tiny_lm.compress_sequentially: GPTQ on every linear of a group, with the H of their shared input."""
    return each_linear(lambda W, H: gptq(W, H, bits, sym, groupsize, actorder=actorder, **kwargs), hessian)


if __name__ == "__main__":
    from snippets.scratch.layer_data import correlated_inputs, output_error
    from snippets.scratch.rtn import rtn

    torch.manual_seed(0)
    X = correlated_inputs(tokens=4096, columns=256)
    W = torch.randn(256, 256)
    H = hessian([X])
    for bits in [4, 3]:
        r = output_error(W, rtn(W, bits, granularity="channel")[0], X)
        g = output_error(W, gptq(W, H, bits), X)
        print(f"{bits}-bit per-channel, relative output error: RTN {r:.4f}, GPTQ {g:.4f} ({r / g:.1f}x lower)")
