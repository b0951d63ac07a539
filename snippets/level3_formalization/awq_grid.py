"""Level 3 worked example: AWQ's grid search over alpha on a 2x4 layer whose input channel 2 is ten times larger
than the others. Standard library; the same loss as snippets/scratch/awq.py (awq_search_scale).

    python -m snippets.level3_formalization.awq_grid
"""

from __future__ import annotations

from snippets.common.linalg import matmul, transpose
from snippets.common.quantizer import asymmetric_params, dequantize, quantize

BITS = 3
W = [[0.50, -0.30, 0.04, 0.20],
     [-0.10, 0.40, -0.06, 0.35]]  # [out = 2, in = 4]
X = [[0.8, -0.5, 9.0, 0.3],
     [-0.4, 0.9, -11.0, 0.6],
     [0.2, 0.1, 10.0, -0.7],
     [0.6, -0.8, 8.5, 0.1],
     [-0.9, 0.3, -9.5, -0.2],
     [0.1, 0.7, 10.5, 0.5]]  # [tokens = 6, in = 4]


def rtn_rows(W: list[list[float]], bits: int) -> list[list[float]]:
    out = []
    for row in W:
        s, z = asymmetric_params(min(row), max(row), bits)
        out.append([dequantize(quantize(w, s, z, bits), s, z) for w in row])
    return out


def awq_losses(W, X, bits, n_grid=10):
    """For alpha = 0, 1/n_grid, ...: s_j = mean|X_j|^alpha (centred as in awq.py) and
    loss = mean of (Q(W diag(s)) diag(s)^-1 X - W X)^2 over outputs and tokens."""
    x_mean = [sum(abs(row[j]) for row in X) / len(X) for j in range(len(X[0]))]
    Y = matmul(X, transpose(W))
    result = []
    for k in range(n_grid):
        alpha = k / n_grid
        s = [max(m**alpha, 1e-4) for m in x_mean]
        c = (max(s) * min(s)) ** 0.5
        s = [v / c for v in s]
        Wq = rtn_rows([[w * sj for w, sj in zip(row, s, strict=True)] for row in W], bits)
        Yq = matmul([[x / sj for x, sj in zip(row, s, strict=True)] for row in X], transpose(Wq))
        sq = [(a - b) ** 2 for ra, rb in zip(Yq, Y, strict=True) for a, b in zip(ra, rb, strict=True)]
        loss = sum(sq) / len(sq)
        result.append((alpha, s, loss))
    return result


if __name__ == "__main__":
    x_mean = [sum(abs(row[j]) for row in X) / len(X) for j in range(4)]
    print("mean |X_j| per input channel: " + " ".join(f"{v:.3f}" for v in x_mean))
    results = awq_losses(W, X, BITS)
    print(f"alpha   s (centred)                     output MSE at {BITS} bits")
    for alpha, s, loss in results:
        print(f"{alpha:4.1f}    " + " ".join(f"{v:6.3f}" for v in s) + f"     {loss:.5f}")
    alpha, s, loss = min(results, key=lambda r: r[2])
    print(f"best alpha = {alpha:.1f}: output MSE {loss:.5f} against {results[0][2]:.5f} for RTN (alpha = 0)")
