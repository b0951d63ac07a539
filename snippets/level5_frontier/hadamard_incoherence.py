"""Incoherence processing in miniature: a random-sign Hadamard rotation spreads an outlier weight over its whole
row, which shrinks the row's max/rms ratio and with it the error of round-to-nearest (RTN) quantization.

Run as a script, it prints, for a Gaussian weight matrix and for the same matrix with a few large outliers, the
max/rms ratio of the rows (mean and worst) and the relative RTN error at 4 and 3 bits, before and after the rotation.
Standard library only (the fast Walsh-Hadamard transform needs no matrix library).
"""

import math
import random

from snippets.common.error import relative_squared_error
from snippets.common.quantizer import absmax_rtn


# --8<-- [start:hadamard]
def fwht(v: list[float]) -> list[float]:
    """Fast Walsh-Hadamard transform: returns H_n v for the Sylvester Hadamard matrix H_n (entries +1 and -1,
    H_n H_n^T = n I). len(v) must be a power of two. Cost: n log2(n) additions and subtractions, no multiplies."""
    v = list(v)
    n = len(v)
    if n == 0 or n & (n - 1):
        raise ValueError("length must be a power of two")
    h = 1
    while h < n:
        for start in range(0, n, 2 * h):
            for i in range(start, start + h):
                v[i], v[i + h] = v[i] + v[i + h], v[i] - v[i + h]
        h *= 2
    return v


def rotate(v: list[float], signs: list[int]) -> list[float]:
    """Multiply by the orthogonal matrix V = H_n diag(signs) / sqrt(n): QuIP#'s randomized Hadamard transform.
    Applied to every row of W and to every input x, it leaves each product unchanged: (V w) . (V x) = w . x."""
    n = len(v)
    return [y / math.sqrt(n) for y in fwht([s * x for s, x in zip(signs, v, strict=True)])]


def unrotate(v: list[float], signs: list[int]) -> list[float]:
    """Multiply by V^T = diag(signs) H_n / sqrt(n) (H_n is symmetric), which undoes rotate()."""
    n = len(v)
    return [s * y / math.sqrt(n) for s, y in zip(signs, fwht(v), strict=True)]
# --8<-- [end:hadamard]


# --8<-- [start:rtn]
def max_over_rms(row: list[float]) -> float:
    rms = math.sqrt(sum(w * w for w in row) / len(row))
    return max(abs(w) for w in row) / rms


def relative_error(original: list[list[float]], approx: list[list[float]]) -> float:
    """||W - W_hat||_F^2 / ||W||_F^2."""
    return relative_squared_error([a for r in original for a in r], [b for q in approx for b in q])


def rtn_error(w: list[list[float]], bits: int, signs: list[int] | None = None) -> float:
    """Relative RTN error measured on the original weights; with signs, quantize V w and rotate back first."""
    if signs is None:
        w_hat = [absmax_rtn(r, bits) for r in w]  # one scale per row
    else:
        w_hat = [unrotate(absmax_rtn(rotate(r, signs), bits), signs) for r in w]
    return relative_error(w, w_hat)
# --8<-- [end:rtn]


# --8<-- [start:matrices]
ROWS, COLS = 64, 256
OUTLIER, OUTLIER_EVERY = 25.0, 8  # one entry of magnitude 25 in every 8th row


def gaussian_matrix(seed: int = 0) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.gauss(0.0, 1.0) for _ in range(COLS)] for _ in range(ROWS)]


def with_outliers(w: list[list[float]], seed: int = 1) -> list[list[float]]:
    rng = random.Random(seed)
    out = [list(r) for r in w]
    for i in range(0, ROWS, OUTLIER_EVERY):
        out[i][rng.randrange(COLS)] = OUTLIER * rng.choice((-1, 1))
    return out


def random_signs(n: int, seed: int = 2) -> list[int]:
    rng = random.Random(seed)
    return [rng.choice((-1, 1)) for _ in range(n)]
# --8<-- [end:matrices]


def group_scale_overhead_bits(scale_bits: int = 16, group_size: int = 64) -> float:
    """Bits per weight spent on one scale per group: the cost that incoherence processing avoids."""
    return scale_bits / group_size


def main() -> None:
    signs = random_signs(COLS)
    base = gaussian_matrix()
    cases = {"gaussian": base, "with outliers": with_outliers(base)}
    print(f"W: {ROWS} x {COLS}, N(0, 1) entries; outlier case: one entry of magnitude {OUTLIER:g} "
          f"in every {OUTLIER_EVERY}th row")
    print(f"{'matrix':<15}{'':<10}{'max/rms: mean':>15}{'worst row':>11}{'RTN error, 4 bits':>20}{'3 bits':>9}")
    for name, w in cases.items():
        rotated = [rotate(r, signs) for r in w]
        for label, m, s in (("original", w, None), ("rotated", rotated, signs)):
            ratios = [max_over_rms(r) for r in m]
            print(f"{name:<15}{label:<10}{sum(ratios) / ROWS:>15.2f}{max(ratios):>11.2f}"
                  f"{rtn_error(w, 4, s):>20.4f}{rtn_error(w, 3, s):>9.4f}")
    print(f"one 16-bit scale per 64 weights would cost {group_scale_overhead_bits():.2f} bits per weight; "
          f"the rotation stores {COLS} signs for the whole matrix")


if __name__ == "__main__":
    main()
