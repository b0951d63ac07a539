"""Why heavy tails hurt absmax quantization, and how much finer scale granularity recovers.

Run as a script, it quantizes one 128 x 256 weight matrix drawn from five unit-variance distributions of
increasing tail weight (Gaussian, Student-t with 10 degrees of freedom, Laplace, Student-t with 5 and with 3)
to 4 bits with round-to-nearest absmax scales, per tensor, per output channel (row) and per group of 128,
and prints the normalized MSE of each. Standard library only.
"""

import math
import random

from snippets.common.error import relative_squared_error
from snippets.common.quantizer import absmax_rtn


# --8<-- [start:absmax]
def quantize_blocks(values, bits, block):
    """One absmax scale per `block` consecutive values: block = all (per tensor), a row, or a group."""
    out = []
    for start in range(0, len(values), block):
        out.extend(absmax_rtn(values[start : start + block], bits))
    return out
# --8<-- [end:absmax]


def student_t(rng, dof):
    """A Student-t draw scaled to unit variance (dof > 2)."""
    z = rng.gauss(0.0, 1.0)
    chi2 = rng.gammavariate(dof / 2, 2.0)
    return z / math.sqrt(chi2 / dof) / math.sqrt(dof / (dof - 2))


def laplace(rng):
    """A Laplace draw with unit variance (scale 1/sqrt(2))."""
    return rng.choice((-1.0, 1.0)) * rng.expovariate(1.0) / math.sqrt(2)


# name, population kurtosis E[w^4]/E[w^2]^2 (3 for a Gaussian), sampler
DISTRIBUTIONS = [
    ("Gaussian", 3.0, lambda rng: rng.gauss(0.0, 1.0)),
    ("Student-t, 10 dof", 4.0, lambda rng: student_t(rng, 10)),
    ("Laplace", 6.0, laplace),
    ("Student-t, 5 dof", 9.0, lambda rng: student_t(rng, 5)),
    ("Student-t, 3 dof", math.inf, lambda rng: student_t(rng, 3)),
]
ROWS, COLUMNS = 128, 256


def step_model_nmse(peak_over_rms: float, bits: int) -> float:
    """The s^2/12 model of per-tensor absmax error, relative to the mean square: (max/rms)^2 / (12 q_max^2)."""
    return peak_over_rms**2 / (12 * (2 ** (bits - 1) - 1) ** 2)


def outlier_table(bits: int = 4, seed: int = 0):
    """Rows (name, kurtosis, max|w| / rms, s^2/12 model, NMSE per tensor, per row, per group of 128)."""
    table = []
    for name, kurtosis, draw in DISTRIBUTIONS:
        rng = random.Random(seed)
        w = [draw(rng) for _ in range(ROWS * COLUMNS)]
        rms = math.sqrt(sum(v * v for v in w) / len(w))
        errors = [relative_squared_error(w, quantize_blocks(w, bits, block)) for block in (len(w), COLUMNS, 128)]
        peak = max(abs(v) for v in w) / rms
        table.append((name, kurtosis, peak, step_model_nmse(peak, bits), *errors))
    return table


if __name__ == "__main__":
    print(f"4-bit absmax round-to-nearest, {ROWS} x {COLUMNS} matrix; normalized MSE (lower is better)")
    print(f"{'distribution':<18} {'kurtosis':>8} {'max/rms':>8} {'s^2/12':>7} {'per tensor':>11} {'per row':>8} "
          f"{'g128':>7}")
    for name, kurtosis, peak, model, tensor, row, group in outlier_table():
        print(f"{name:<18} {kurtosis:>8.0f} {peak:>8.1f} {model:>7.4f} {tensor:>11.4f} {row:>8.4f} {group:>7.4f}")
    print("s^2/12: the uniform-error model for the per-tensor scale, (max/rms)^2 / (12 * 7^2)")
    print("per row: one scale per output channel (256 weights); g128: one per 128 weights")
