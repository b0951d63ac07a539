"""One-shot pruning error: how it grows with sparsity, and why activation-aware scores matter.

Run as a script, it prints two tables:
  1. the share of a Gaussian weight matrix's energy (sum of w^2) that magnitude pruning removes at each
     sparsity, exact and measured, next to random pruning;
  2. the relative output error ||X W^T - X W_pruned^T|| / ||X W^T|| of a synthetic linear layer whose input
     channels have uneven norms, for magnitude and Wanda scores (|W_ij| * ||X_j||), unstructured per output
     row and 2:4.
Standard library only.
"""

import math
import random
from operator import mul
from statistics import NormalDist

STANDARD_NORMAL = NormalDist()


# --8<-- [start:magnitude_energy]
def magnitude_pruning_energy(sparsity: float) -> float:
    """Share of E[w^2] removed when the smallest |w| of N(0, sigma^2) weights are zeroed:
    2 * integral_0^t x^2 phi(x) dx = p - 2 t phi(t), with t the (1 + p) / 2 quantile."""
    t = STANDARD_NORMAL.inv_cdf((1 + sparsity) / 2)
    return sparsity - 2 * t * STANDARD_NORMAL.pdf(t)
# --8<-- [end:magnitude_energy]


def measured_magnitude_energy(weights, sparsity: float) -> float:
    ordered = sorted(w * w for w in weights)
    return sum(ordered[: round(sparsity * len(ordered))]) / sum(ordered)


# --8<-- [start:scores]
def prune_rows(weights, scores, sparsity=None, n_m=None):
    """Zero the lowest-scoring weights of each output row: a fraction `sparsity` of the row, or, with
    n_m = (n, m), all but the n highest of every m consecutive weights (2:4 is n_m = (2, 4))."""
    pruned = []
    for row, row_scores in zip(weights, scores, strict=True):
        keep = [True] * len(row)
        if n_m is None:
            for j in sorted(range(len(row)), key=row_scores.__getitem__)[: round(sparsity * len(row))]:
                keep[j] = False
        else:
            n, m = n_m
            for start in range(0, len(row), m):
                block = sorted(range(start, start + m), key=row_scores.__getitem__)
                for j in block[: m - n]:
                    keep[j] = False
        pruned.append([w if k else 0.0 for w, k in zip(row, keep, strict=True)])
    return pruned


def magnitude_scores(weights, input_norms):
    return [[abs(w) for w in row] for row in weights]


def wanda_scores(weights, input_norms):
    """Wanda (Sun et al., 2024): |W_ij| times the L2 norm of input channel j over the calibration tokens."""
    return [[abs(w) * norm for w, norm in zip(row, input_norms, strict=True)] for row in weights]
# --8<-- [end:scores]


TOKENS, CHANNELS, OUTPUTS = 64, 128, 32


def synthetic_layer(seed: int = 0):
    """Inputs X (tokens x channels) whose channel scales are log-normal, and W (outputs x channels)."""
    rng = random.Random(seed)
    channel_scale = [math.exp(rng.gauss(0.0, 1.0)) for _ in range(CHANNELS)]
    x = [[rng.gauss(0.0, 1.0) * scale for scale in channel_scale] for _ in range(TOKENS)]
    w = [[rng.gauss(0.0, 1.0) for _ in range(CHANNELS)] for _ in range(OUTPUTS)]
    return x, w


def output_error(x, w, w_pruned) -> float:
    """||X W^T - X W_pruned^T||_F / ||X W^T||_F."""
    delta = [[a - b for a, b in zip(r, rp, strict=True)] for r, rp in zip(w, w_pruned, strict=True)]
    err = sum(sum(map(mul, xt, d)) ** 2 for xt in x for d in delta)
    ref = sum(sum(map(mul, xt, r)) ** 2 for xt in x for r in w)
    return math.sqrt(err / ref)


def pruning_table(seed: int = 0):
    """Rows (pattern, magnitude output error, Wanda output error)."""
    x, w = synthetic_layer(seed)
    norms = [math.sqrt(sum(row[j] ** 2 for row in x)) for j in range(CHANNELS)]
    patterns = [("50% unstructured", {"sparsity": 0.5}), ("2:4", {"n_m": (2, 4)}),
                ("70% unstructured", {"sparsity": 0.7}), ("90% unstructured", {"sparsity": 0.9})]
    rows = []
    for name, pattern in patterns:
        errors = [output_error(x, w, prune_rows(w, score(w, norms), **pattern))
                  for score in (magnitude_scores, wanda_scores)]
        rows.append((name, *errors))
    return rows


if __name__ == "__main__":
    rng = random.Random(0)
    gaussian = [rng.gauss(0.0, 1.0) for _ in range(65_536)]
    print("Share of weight energy removed from N(0, 1) weights")
    print(f"{'sparsity':>8} {'random':>7} {'magnitude (exact)':>18} {'magnitude (measured)':>21}")
    for sparsity in (0.3, 0.5, 0.7, 0.8, 0.9, 0.95):
        print(f"{sparsity:>8.0%} {sparsity:>7.3f} {magnitude_pruning_energy(sparsity):>18.3f} "
              f"{measured_magnitude_energy(gaussian, sparsity):>21.3f}")
    print()
    print(f"Relative output error of a {OUTPUTS} x {CHANNELS} layer on {TOKENS} tokens, log-normal channel scales")
    print(f"{'pattern':<17} {'magnitude':>10} {'Wanda':>7}")
    for name, magnitude, wanda in pruning_table():
        print(f"{name:<17} {magnitude:>10.3f} {wanda:>7.3f}")
