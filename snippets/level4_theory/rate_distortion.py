"""How far scalar quantizers are from Shannon's distortion-rate bound for Gaussian weights.

Run as a script, it prints two tables:
  1. measured MSE of round-to-nearest (absmax and MSE-clipped scales) and of a Lloyd-Max quantizer on
     65,536 Gaussian samples at 2, 3 and 4 bits, next to D(R) = sigma^2 2^(-2R);
  2. exact gaps to D(R), from the Gaussian density, for the fixed-rate Lloyd-Max quantizer and for an
     entropy-coded uniform quantizer at 1 to 6 bits, with their high-rate limits sqrt(3)*pi/2 and pi*e/6.
Standard library only.
"""

import bisect
import math
import random
from itertools import accumulate
from statistics import NormalDist

from snippets.common.quantizer import absmax_rtn


# --8<-- [start:distortion_rate]
def gaussian_distortion_rate(rate_bits: float, variance: float = 1.0) -> float:
    """Shannon's D(R) = sigma^2 * 2^(-2R): the least mean squared error of any code for i.i.d. Gaussian
    values that spends R bits per value, however long its blocks."""
    return variance * 2.0 ** (-2.0 * rate_bits)


def entropy_bits(probabilities) -> float:
    """Shannon entropy of a discrete distribution, in bits. At most log2(number of outcomes)."""
    return -sum(p * math.log2(p) for p in probabilities if p > 0)
# --8<-- [end:distortion_rate]


# --8<-- [start:scalar_quantizers]
class SortedSample:
    """A sample sorted once, with prefix sums, so the MSE of any scalar quantizer costs O(levels log n)."""

    def __init__(self, values):
        self.x = sorted(values)
        self.n = len(self.x)
        self.sum1 = [0.0, *accumulate(self.x)]
        self.sum2 = [0.0, *accumulate(v * v for v in self.x)]

    def cells(self, thresholds):
        """Index ranges [lo, hi) of the sorted values between consecutive thresholds."""
        cuts = [0, *(bisect.bisect_left(self.x, t) for t in thresholds), self.n]
        return list(zip(cuts[:-1], cuts[1:], strict=True))

    def mse(self, levels):
        """MSE of nearest-level quantization to the sorted list `levels` (decision thresholds at midpoints)."""
        thresholds = [(a + b) / 2 for a, b in zip(levels[:-1], levels[1:], strict=True)]
        total = 0.0
        for (lo, hi), c in zip(self.cells(thresholds), levels, strict=True):
            s1, s2 = self.sum1[hi] - self.sum1[lo], self.sum2[hi] - self.sum2[lo]
            total += s2 - 2 * c * s1 + c * c * (hi - lo)
        return total / self.n


def integer_grid(bits: int, scale: float):
    """The levels s*q of symmetric INT-b quantization, q in [-2^(b-1), 2^(b-1) - 1]."""
    return [scale * q for q in range(-(2 ** (bits - 1)), 2 ** (bits - 1))]


def rtn_absmax_mse(sample: SortedSample, bits: int) -> float:
    """Round-to-nearest with s = max|w| / (2^(b-1) - 1): no value is clipped."""
    scale = max(-sample.x[0], sample.x[-1]) / (2 ** (bits - 1) - 1)
    return sample.mse(integer_grid(bits, scale))


def rtn_clipped_mse(sample: SortedSample, bits: int) -> float:
    """Round-to-nearest on the same grid, with the clipping ratio searched to minimize the MSE."""
    absmax_scale = max(-sample.x[0], sample.x[-1]) / (2 ** (bits - 1) - 1)
    ratios = [k / 400 for k in range(20, 401)]
    return min(sample.mse(integer_grid(bits, r * absmax_scale)) for r in ratios)


def lloyd_max(sample: SortedSample, bits: int, iterations: int = 300):
    """Lloyd's algorithm (1-D k-means): thresholds at midpoints, levels at cell means. Returns the levels
    and the probability of each level, from which the entropy of the b-bit code follows."""
    count = 2**bits
    levels = [sample.x[(2 * i + 1) * sample.n // (2 * count)] for i in range(count)]  # start at quantiles
    for _ in range(iterations):
        thresholds = [(a + b) / 2 for a, b in zip(levels[:-1], levels[1:], strict=True)]
        cells = sample.cells(thresholds)
        levels = [(sample.sum1[hi] - sample.sum1[lo]) / (hi - lo) for lo, hi in cells]
    thresholds = [(a + b) / 2 for a, b in zip(levels[:-1], levels[1:], strict=True)]
    probabilities = [(hi - lo) / sample.n for lo, hi in sample.cells(thresholds)]
    return levels, probabilities
# --8<-- [end:scalar_quantizers]


def gaussian_sample(n: int = 65_536, seed: int = 0) -> SortedSample:
    rng = random.Random(seed)
    return SortedSample(rng.gauss(0.0, 1.0) for _ in range(n))


def rtn_absmax_grouped_mse(values, bits: int, group_size: int = 128) -> float:
    """Absmax round-to-nearest with one scale per group of consecutive values (directly, no prefix sums)."""
    total = 0.0
    for start in range(0, len(values), group_size):
        group = values[start : start + group_size]
        total += sum((v - v_hat) ** 2 for v, v_hat in zip(group, absmax_rtn(group, bits), strict=True))
    return total / len(values)


# Exact results from the standard normal density (no sampling) -------------------------------------------

def normal_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi) if math.isfinite(x) else 0.0


def upper_tail(x: float) -> float:
    """P(X > x) for X ~ N(0, 1), accurate far into both tails."""
    return 0.5 * math.erfc(x / math.sqrt(2))


def probability_between(a: float, b: float) -> float:
    if a >= 0:
        return upper_tail(a) - upper_tail(b)
    if b <= 0:
        return upper_tail(-b) - upper_tail(-a)
    return 1.0 - upper_tail(-a) - upper_tail(b)


def cell_moments(a: float, b: float, c: float):
    """P(a < X < b), the conditional mean, and E[(X - c)^2 ; a < X < b] for X ~ N(0, 1)."""
    p = probability_between(a, b)
    first = normal_pdf(a) - normal_pdf(b)  # integral of x phi(x) over (a, b)
    a_term = a * normal_pdf(a) if math.isfinite(a) else 0.0
    b_term = b * normal_pdf(b) if math.isfinite(b) else 0.0
    second = p + a_term - b_term  # integral of x^2 phi(x) over (a, b)
    return p, first / p, second - 2 * c * first + c * c * p


# --8<-- [start:exact_gaps]
def lloyd_max_gaussian(bits: int, iterations: int = 3000):
    """Exact Lloyd-Max quantizer of N(0, 1) with 2^b levels: returns (MSE, entropy of the code in bits).
    Starts from the high-rate optimum (levels at quantiles of N(0, 3), i.e. density^(1/3))."""
    count = 2**bits
    companding = NormalDist(0.0, math.sqrt(3))
    levels = [companding.inv_cdf((i + 0.5) / count) for i in range(count)]
    for _ in range(iterations):
        edges = [-math.inf, *((a + b) / 2 for a, b in zip(levels[:-1], levels[1:], strict=True)), math.inf]
        levels = [cell_moments(a, b, 0.0)[1] for a, b in zip(edges[:-1], edges[1:], strict=True)]
    edges = [-math.inf, *((a + b) / 2 for a, b in zip(levels[:-1], levels[1:], strict=True)), math.inf]
    moments = [cell_moments(a, b, c) for a, b, c in zip(edges[:-1], edges[1:], levels, strict=True)]
    return sum(m[2] for m in moments), entropy_bits(m[0] for m in moments)


def entropy_coded_uniform(step: float):
    """Uniform cells of width `step` centred on 0, decoded to each cell's mean, indexes entropy-coded:
    returns (MSE, rate = entropy of the cell index in bits)."""
    half_cells = math.ceil(10.0 / step)  # beyond 10 sigma the mass is < 1e-23
    mse, probabilities = 0.0, []
    for k in range(-half_cells, half_cells + 1):
        a, b = (k - 0.5) * step, (k + 0.5) * step
        p, mean, _ = cell_moments(a, b, 0.0)
        if p > 0:
            mse += cell_moments(a, b, mean)[2]
            probabilities.append(p)
    return mse, entropy_bits(probabilities)


def entropy_coded_uniform_at_rate(rate_bits: float):
    """Bisect on the step until the entropy of the uniform quantizer equals `rate_bits`; returns its MSE."""
    small, large = 1e-4, 20.0  # entropy decreases as the step grows
    for _ in range(60):
        step = math.sqrt(small * large)
        mse, rate = entropy_coded_uniform(step)
        small, large = (step, large) if rate > rate_bits else (small, step)
    return mse


HIGH_RATE_FIXED_RATE_GAP = math.sqrt(3) * math.pi / 2  # Panter-Dite: optimal scalar quantizer, no entropy coding
HIGH_RATE_ENTROPY_CODED_GAP = math.pi * math.e / 6  # Gish-Pierce: uniform quantizer + ideal entropy coding
# --8<-- [end:exact_gaps]


def decibels(ratio: float) -> float:
    return 10 * math.log10(ratio)


def print_sampled_table(sample: SortedSample) -> None:
    print(f"Gaussian weights, sigma^2 = 1, n = {sample.n:,}; mean squared error at b bits per weight")
    print(f"{'bits':>4} {'D(R)':>8} {'RTN absmax':>11} {'RTN g128':>9} {'RTN clip':>9} {'Lloyd-Max':>10} "
          f"{'H(code)':>8}")
    for bits in (2, 3, 4):
        levels, probabilities = lloyd_max(sample, bits)
        print(f"{bits:>4} {gaussian_distortion_rate(bits):>8.5f} {rtn_absmax_mse(sample, bits):>11.5f} "
              f"{rtn_absmax_grouped_mse(gaussian_values(), bits):>9.5f} {rtn_clipped_mse(sample, bits):>9.5f} "
              f"{sample.mse(levels):>10.5f} {entropy_bits(probabilities):>8.3f}")
    print("RTN g128: one absmax scale per 128 weights (a 16-bit scale adds 0.125 bits/weight)")
    print("H(code): entropy of the Lloyd-Max code, below b bits: entropy coding could shorten it")


def print_exact_gaps() -> None:
    print()
    print("Exact gap to D(R) for N(0, 1): MSE / D(R), in dB, and in bits")
    print("(bits: how many fewer bits per weight an ideal code needs for the same MSE)")
    print(f"{'bits':>5} {'Lloyd-Max':>10} {'dB':>6} {'bits':>6}   {'entropy-coded uniform':>21} {'dB':>6} {'bits':>6}")
    rows = []
    for bits in range(1, 7):
        lloyd_mse, _ = lloyd_max_gaussian(bits)
        lloyd_ratio = lloyd_mse / gaussian_distortion_rate(bits)
        ecsq_ratio = entropy_coded_uniform_at_rate(bits) / gaussian_distortion_rate(bits)
        rows.append((f"{bits}", lloyd_ratio, ecsq_ratio))
    rows.append(("limit", HIGH_RATE_FIXED_RATE_GAP, HIGH_RATE_ENTROPY_CODED_GAP))
    for label, lloyd_ratio, ecsq_ratio in rows:
        print(f"{label:>5} {lloyd_ratio:>10.3f} {decibels(lloyd_ratio):>6.2f} {rate_gap_bits(lloyd_ratio):>6.3f}   "
              f"{ecsq_ratio:>21.3f} {decibels(ecsq_ratio):>6.2f} {rate_gap_bits(ecsq_ratio):>6.3f}")
    print("limits: sqrt(3)*pi/2 (Panter-Dite) and pi*e/6 (Gish-Pierce) as the rate grows")


def rate_gap_bits(distortion_ratio: float) -> float:
    """Bits per value separating a quantizer from D(R) at the same MSE: 0.5 * log2(MSE / D(R))."""
    return 0.5 * math.log2(distortion_ratio)


def gaussian_values(n: int = 65_536, seed: int = 0):
    """The same draws as gaussian_sample(), in their original order (for per-group scales)."""
    rng = random.Random(seed)
    return [rng.gauss(0.0, 1.0) for _ in range(n)]


if __name__ == "__main__":
    print_sampled_table(gaussian_sample())
    print_exact_gaps()
