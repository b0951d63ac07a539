"""Small dense linear algebra on lists of lists, standard library only, for the worked examples of Level 3 and the
theory chapters.

Matrices are lists of rows. Sizes here are 2 to 8, so clarity beats speed.
"""

from __future__ import annotations


def matmul(A: list[list[float]], B: list[list[float]]) -> list[list[float]]:
    return [[sum(a * b for a, b in zip(row, col, strict=True)) for col in zip(*B, strict=True)] for row in A]


def transpose(A: list[list[float]]) -> list[list[float]]:
    return [list(col) for col in zip(*A, strict=True)]


def inverse(A: list[list[float]]) -> list[list[float]]:
    """Gauss-Jordan elimination with partial pivoting."""
    n = len(A)
    M = [list(map(float, row)) + [float(i == j) for j in range(n)] for i, row in enumerate(A)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(M[r][c]))
        M[c], M[p] = M[p], M[c]
        pivot = M[c][c]
        M[c] = [v / pivot for v in M[c]]
        for r in range(n):
            if r != c and M[r][c] != 0.0:
                f = M[r][c]
                M[r] = [v - f * w for v, w in zip(M[r], M[c], strict=True)]
    return [row[n:] for row in M]


def cholesky_upper(A: list[list[float]]) -> list[list[float]]:
    """Upper triangular U with A = U^T U (A symmetric positive definite)."""
    n = len(A)
    U = [[0.0] * n for _ in range(n)]
    for i in range(n):
        s = A[i][i] - sum(U[k][i] ** 2 for k in range(i))
        U[i][i] = s**0.5
        for j in range(i + 1, n):
            U[i][j] = (A[i][j] - sum(U[k][i] * U[k][j] for k in range(i))) / U[i][i]
    return U


def fmt(row: list[float], width: int = 7, digits: int = 3) -> str:
    return "[" + " ".join(f"{v:{width}.{digits}f}" for v in row) + " ]"
