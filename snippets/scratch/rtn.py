"""Round-to-nearest (RTN) weight quantization: the baseline every other method is measured against.

One b-bit grid per tensor, per output channel (row of W) or per group of `group_size` consecutive input columns.
Codes are unsigned integers in [0, 2^b - 1] and a zero point z says which code means 0:

    q     = clamp(round(x / s) + z, 0, 2^b - 1)
    x_hat = s * (q - z)

Asymmetric: s = (max - min) / (2^b - 1), z = round(-min / s), with the range widened to contain 0, so 0 is exactly
representable (padding and ReLU zeros stay zeros). Symmetric: z = 2^(b-1) is fixed and s = max|x| / (2^(b-1) - 1/2),
which uses all 2^b codes (e.g. -8..7 for 4 bits) and still keeps every rounding error within s/2. This is the grid of
the GPTQ reference code and of compressed-tensors (llm-compressor).

    python -m snippets.scratch.rtn
"""

from __future__ import annotations

import torch

from snippets.scratch.compressor import each_linear


# --8<-- [start:rtn]
def quant_params(x: torch.Tensor, bits: int, sym: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Scale s and zero point z for every row of x (shape [rows, cols]); both have shape [rows, 1]."""
    maxq = 2**bits - 1
    xmin = x.min(dim=1, keepdim=True).values.clamp(max=0)  # the range always contains 0
    xmax = x.max(dim=1, keepdim=True).values.clamp(min=0)
    scale = torch.maximum(-xmin, xmax) / (2 ** (bits - 1) - 0.5) if sym else (xmax - xmin) / maxq
    scale = torch.where(scale == 0, 1.0, scale)  # an all-zero row: any scale represents it, avoid 0 / 0
    zero = torch.full_like(scale, 2 ** (bits - 1)) if sym else torch.round(-xmin / scale)
    return scale, zero


def quantize(x: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor, bits: int) -> torch.Tensor:
    """Integer codes q = clamp(round(x / s) + z, 0, 2^b - 1) (stored as floats)."""
    return torch.clamp(torch.round(x / scale) + zero, 0, 2**bits - 1)


def dequantize(q: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor) -> torch.Tensor:
    return scale * (q - zero)


def rtn(W: torch.Tensor, bits: int = 4, sym: bool = False, granularity: str = "group", group_size: int = 128):
    """Quantize W [out_features, in_features] to the nearest grid point.

    granularity: "tensor" (one s, z), "channel" (one per output row) or "group" (one per row and per group of
    group_size input columns). Returns (W_hat, q, scale, zero); W_hat = scale * (q - zero) has W's shape, q too,
    scale and zero have one entry per row and grid: [1, 1], [rows, 1] or [rows, in_features // group_size].
    """
    rows, cols = W.shape
    if granularity == "tensor":
        Wg = W.reshape(1, -1)
    elif granularity == "channel":
        Wg = W
    elif granularity == "group":
        assert cols % group_size == 0, "in_features must be a multiple of group_size"
        Wg = W.reshape(-1, group_size)  # row r, group g -> row r * (cols // group_size) + g
    else:
        raise ValueError(f"unknown granularity {granularity!r}")
    scale, zero = quant_params(Wg.float(), bits, sym)
    q = quantize(Wg.float(), scale, zero, bits)
    W_hat = dequantize(q, scale, zero).reshape(rows, cols).to(W.dtype)
    if granularity == "group":
        scale, zero = scale.reshape(rows, -1), zero.reshape(rows, -1)
    return W_hat, q.reshape(rows, cols), scale, zero
# --8<-- [end:rtn]



def rtn_compressor(bits: int = 4, group_size: int = 128, sym: bool = False, granularity: str = "group"):
    """For tiny_lm.compress_sequentially: RTN needs no calibration data, the inputs are ignored."""
    return each_linear(lambda W, _: rtn(W.float(), bits, sym, granularity, group_size)[0])


if __name__ == "__main__":
    torch.manual_seed(0)
    W = torch.randn(256, 512)
    W[:, 7] *= 20  # one outlier input channel, as in real LLM weights
    print("4-bit RTN, relative error ||W - W_hat|| / ||W||:")
    for granularity in ["tensor", "channel", "group"]:
        for sym in [True, False]:
            W_hat, q, scale, zero = rtn(W, bits=4, sym=sym, granularity=granularity, group_size=64)
            err = (W - W_hat).norm() / W.norm()
            name = "symmetric " if sym else "asymmetric"
            print(f"  {granularity:8s} {name}  {err:.4f}  ({scale.numel()} scales)")
