"""Level 3 worked example: SparseGPT's 2:4 pruning of a 2x4 layer by hand (OBS saliency, mask, compensation),
against magnitude and Wanda 2:4 on the same layer. Standard library.

    python -m snippets.level3_formalization.sparsegpt_step
"""

from __future__ import annotations

from snippets.common.linalg import fmt, inverse
from snippets.level3_formalization.gptq_step import hessian, output_error
from snippets.level3_formalization.wanda_vs_magnitude import column_norms, prune_lowest_per_row

W = [[0.5, -0.3, 0.45, 0.2],
     [-0.2, 0.6, 0.1, -0.5]]  # [out = 2, in = 4]
X = [[1.0, 0.7, -0.4, 1.2, 0.3, -0.8],
     [0.9, 0.8, -0.5, 1.0, 0.2, -0.7],
     [0.2, -0.5, 0.6, 0.1, -0.9, 0.4],
     [0.3, -0.4, 0.5, 0.2, -1.0, 0.5]]  # [in = 4, tokens = 6]; inputs 0~1 and 2~3 correlated


# --8<-- [start:obs_prune]
def sparsegpt_2_4(W, H, log=None):
    """One block of 4 columns, 2:4: prune the 2 weights of each row with the lowest OBS saliency
    w_j^2 / [H_Fj^-1]_jj (F_j = columns j, j+1, ...), then sweep the columns in order:
        delta_F = -(w_q - mask(w_q)) / [H_F^-1]_qq * (H_F^-1)_{q,F},  then remove q from F."""
    W = [row[:] for row in W]
    d = len(H)
    inverses, Hinv = [], inverse(H)
    for q in range(d):  # H_F^-1 for F = {q, ..., d-1}: independent of W, computed once
        inverses.append(Hinv)
        Hinv = [[Hinv[i][j] - Hinv[i][q] * Hinv[q][j] / Hinv[q][q] for j in range(d)] for i in range(d)]
    saliency = [[row[j] ** 2 / inverses[j][j][j] for j in range(d)] for row in W]
    pruned = [set(sorted(range(d), key=lambda j: srow[j])[:2]) for srow in saliency]
    for q in range(d):
        Hinv = inverses[q]
        for r, row in enumerate(W):
            err = (row[q] - (0.0 if q in pruned[r] else row[q])) / Hinv[q][q]
            for j in range(q, d):
                row[j] -= err * Hinv[q][j]
            if q in pruned[r]:
                row[q] = 0.0  # exact zero (the update above gives 0 up to rounding)
    if log is not None:
        log.extend([saliency, pruned])
    return W
# --8<-- [end:obs_prune]


if __name__ == "__main__":
    H = hessian(X)
    log = []
    S = sparsegpt_2_4(W, H, log)
    saliency, pruned = log
    print("OBS saliency w_j^2 / [H_Fj^-1]_jj:")
    for row in saliency:
        print("  " + fmt(row))
    print("pruned columns per row: " + ", ".join(str(sorted(p)) for p in pruned))
    print("SparseGPT 2:4 result (kept weights updated):")
    for row in S:
        print("  " + fmt(row))
    Xt = [list(col) for col in zip(*X, strict=True)]
    mag = prune_lowest_per_row(W, [[abs(w) for w in row] for row in W], 2)
    norms = column_norms(Xt)
    wanda = prune_lowest_per_row(W, [[abs(w) * n for w, n in zip(row, norms, strict=True)] for row in W], 2)
    pruned = [("magnitude", mag), ("Wanda", wanda), ("SparseGPT", S)]
    print("||W X - W_pruned X||_F^2, 2:4: " + ", ".join(f"{name} {output_error(W, Wp, X):.4f}" for name, Wp in pruned))
