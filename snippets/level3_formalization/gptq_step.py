"""Level 3 worked example: GPTQ on a 2x3 weight matrix by hand, in the paper's OBS form (explicit inverse Hessian,
one column removed after each step), then the same steps read off the Cholesky factor of H^-1. Standard library.

    python -m snippets.level3_formalization.gptq_step
"""

from __future__ import annotations

from snippets.common.linalg import cholesky_upper, fmt, inverse, matmul, transpose
from snippets.common.quantizer import asymmetric_params, dequantize, quantize

BITS = 2
W = [[0.9, -0.4, 0.3],
     [-0.2, 0.7, -0.6]]  # [d_row = 2 outputs, d_col = 3 inputs]
X = [[1.0, 0.8, -0.5, 1.2, 0.3],
     [0.9, 0.7, -0.4, 1.1, 0.2],
     [0.1, -0.6, 0.5, 0.2, -0.9]]  # [d_col = 3 inputs, n = 5 tokens]; inputs 0 and 1 strongly correlated


def hessian(X: list[list[float]]) -> list[list[float]]:
    return [[2 * v for v in row] for row in matmul(X, transpose(X))]  # H = 2 X X^T


def row_grids(W: list[list[float]], bits: int) -> list[tuple[float, int]]:
    """One (s, z) per output row, from the original weights."""
    return [asymmetric_params(min(row), max(row), bits) for row in W]


def quant(w: float, grid: tuple[float, int], bits: int) -> float:
    s, z = grid
    return dequantize(quantize(w, s, z, bits), s, z)


# --8<-- [start:obs]
def gptq_obs(W, H, bits, log=None):
    """Quantize the columns q = 0, 1, ... in order. After column q:
        delta_F = -(w_q - quant(w_q)) / [H_F^-1]_qq * (H_F^-1)_{q,F}     (every row at once)
        H_F^-1 <- H_F^-1 - (H_F^-1)_{:,q} (H_F^-1)_{q,:} / [H_F^-1]_qq     (remove q from F)"""
    W = [row[:] for row in W]
    grids = row_grids(W, bits)
    Hinv = inverse(H)  # H_F^-1 with F = all columns
    d = len(H)
    for q in range(d):
        wq = [row[q] for row in W]
        qq = [quant(w, g, bits) for w, g in zip(wq, grids, strict=True)]
        err = [(w - v) / Hinv[q][q] for w, v in zip(wq, qq, strict=True)]
        for r in range(len(W)):
            W[r][q] = qq[r]
            for j in range(q + 1, d):
                W[r][j] -= err[r] * Hinv[q][j]
        if log is not None:
            log.append((q, wq, qq, [Hinv[q][j] / Hinv[q][q] for j in range(d)], [row[:] for row in W]))
        Hinv = [[Hinv[i][j] - Hinv[i][q] * Hinv[q][j] / Hinv[q][q] for j in range(d)] for i in range(d)]
    return W
# --8<-- [end:obs]


def output_error(W, Wq, X):
    D = [[a - b for a, b in zip(r1, r2, strict=True)] for r1, r2 in zip(W, Wq, strict=True)]
    return sum(v * v for row in matmul(D, X) for v in row)  # ||W X - W_hat X||_F^2


if __name__ == "__main__":
    H = hessian(X)
    print("H = 2 X X^T:")
    for row in H:
        print("  " + fmt(row))
    print("H^-1:")
    for row in inverse(H):
        print("  " + fmt(row))
    log = []
    Q = gptq_obs(W, H, BITS, log)
    for q, wq, qq, ratio, Wnow in log:
        print(f"column {q}: w_q = {fmt(wq)}  quant(w_q) = {fmt(qq)}")
        print(f"  (H_F^-1)_(q,:) / [H_F^-1]_qq = {fmt(ratio)}")
        for row in Wnow:
            print("  W -> " + fmt(row))
    U = cholesky_upper(inverse(H))
    print("rows of the upper Cholesky factor U of H^-1, divided by their diagonal (the same ratios):")
    for i, row in enumerate(U):
        print("  " + fmt([v / row[i] for v in row]))
    grids = row_grids(W, BITS)
    rtn = [[quant(w, g, BITS) for w in row] for row, g in zip(W, grids, strict=True)]
    print(f"||WX - W_hat X||_F^2 at {BITS} bits: RTN {output_error(W, rtn, X):.4f}, GPTQ {output_error(W, Q, X):.4f}")
