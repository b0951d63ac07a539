"""Level 3 worked example: Wanda against magnitude pruning at 50% sparsity on a 2x4 layer. Standard library.

    python -m snippets.level3_formalization.wanda_vs_magnitude
"""

from __future__ import annotations

from snippets.common.linalg import matmul, transpose

W = [[0.9, -0.2, 0.15, 0.1],
     [-0.3, 0.8, 0.25, -0.7]]  # [out = 2, in = 4]
X = [[0.1, 1.0, 0.5, 6.0],
     [-0.2, -1.2, 0.4, -5.0],
     [0.1, 0.9, -0.6, 7.0]]  # [tokens = 3, in = 4]; input 3 is large, input 0 small


def column_norms(X: list[list[float]]) -> list[float]:
    return [sum(row[j] ** 2 for row in X) ** 0.5 for j in range(len(X[0]))]  # ||X_j||_2 over the tokens


def prune_lowest_per_row(W, score, keep: int):
    """Zero all but the `keep` highest-scoring weights of every row (the comparison group of Wanda)."""
    out = []
    for row, srow in zip(W, score, strict=True):
        kept = sorted(range(len(row)), key=lambda j: srow[j], reverse=True)[:keep]
        out.append([w if j in kept else 0.0 for j, w in enumerate(row)])
    return out


def prune_lowest_layer(W, score, n_pruned: int):
    """Zero the n_pruned lowest scores of the whole layer (the usual magnitude baseline)."""
    flat = sorted((score[r][j], r, j) for r in range(len(W)) for j in range(len(W[0])))
    drop = {(r, j) for _, r, j in flat[:n_pruned]}
    return [[0.0 if (r, j) in drop else w for j, w in enumerate(row)] for r, row in enumerate(W)]


def output_error(W, Wp, X):
    D = [[a - b for a, b in zip(r1, r2, strict=True)] for r1, r2 in zip(W, Wp, strict=True)]
    return sum(v * v for row in matmul(X, transpose(D)) for v in row)


if __name__ == "__main__":
    norms = column_norms(X)
    wanda = [[abs(w) * n for w, n in zip(row, norms, strict=True)] for row in W]  # S_ij = |W_ij| * ||X_j||_2
    print("||X_j||_2: " + " ".join(f"{v:6.3f}" for v in norms))
    print("Wanda scores S_ij:")
    for row in wanda:
        print("  " + " ".join(f"{v:6.3f}" for v in row))
    results = {
        "magnitude, whole layer": prune_lowest_layer(W, [[abs(w) for w in row] for row in W], 4),
        "magnitude, per row": prune_lowest_per_row(W, [[abs(w) for w in row] for row in W], 2),
        "Wanda, per row": prune_lowest_per_row(W, wanda, 2),
    }
    for name, Wp in results.items():
        print(f"{name}: ||(W - W_pruned) X||^2 = {output_error(W, Wp, X):.3f}")
        for row in Wp:
            print("  " + " ".join(f"{v:6.2f}" for v in row))
