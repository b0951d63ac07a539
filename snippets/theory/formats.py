"""Integer and floating-point number formats for quantized weights: FP8 ranges from the bit layout, the 16 levels
of NF4 rebuilt from normal quantiles (the QLoRA / bitsandbytes construction), and the error of three 4-bit
formats on Gaussian weights, each with one absmax scale per block of 64.

Run as a script, it prints the format table and the error table. Standard library only; deterministic (seeded).
"""

import bisect
import random
from statistics import NormalDist

from snippets.common.minifloat import E2M1, E4M3, E5M2


# --8<-- [start:nf4]
def nf4_levels(offset: float = 0.9677083) -> list[float]:
    """NormalFloat4: 8 positive levels at the normal quantiles of probabilities spaced evenly from offset down to
    0.5 (exclusive), 7 negative ones the same way, plus an exact zero; scaled so the largest is 1. Asymmetric
    (one more positive level) so that 0 is a level. offset is bitsandbytes' choice for its create_normal_map."""
    ppf = NormalDist().inv_cdf

    def spaced(n: int) -> list[float]:  # n points from offset to 0.5, dropping the last (0.5 itself)
        return [offset + (0.5 - offset) * k / (n - 1) for k in range(n - 1)]

    positive = [ppf(p) for p in spaced(9)]
    negative = [-ppf(p) for p in spaced(8)]
    levels = sorted(positive + [0.0] + negative)
    return [v / levels[-1] for v in levels]
# --8<-- [end:nf4]


# --8<-- [start:block_absmax]
def nearest(levels: list[float], v: float) -> float:
    i = bisect.bisect_left(levels, v)
    candidates = levels[max(0, i - 1):i + 1]
    return min(candidates, key=lambda c: abs(c - v))


def blockwise_mse(xs: list[float], levels: list[float], block: int = 64) -> float:
    """One absmax scale per block (kept exact here): x -> absmax * nearest_level(x / absmax)."""
    err = 0.0
    for start in range(0, len(xs), block):
        chunk = xs[start:start + block]
        absmax = max(abs(v) for v in chunk) or 1.0
        err += sum((v - absmax * nearest(levels, v / absmax)) ** 2 for v in chunk)
    return err / len(xs)


INT4_LEVELS = [k / 7 for k in range(-7, 8)]  # symmetric INT4 with the 'restricted' range: 15 levels, step 1/7
FP4_LEVELS = sorted({s * v / 6 for v in E2M1 for s in (-1, 1)})  # E2M1, scaled so that its maximum 6 maps to 1
# --8<-- [end:block_absmax]


def main() -> None:
    print("1. Formats built from their bit layouts")
    for name, values in (("FP8 E4M3", E4M3), ("FP8 E5M2", E5M2), ("FP4 E2M1", E2M1)):
        subnormal = next(v for v in values if v > 0)
        print(f"   {name}: max {values[-1]:g}, smallest positive {subnormal:g}, "
              f"{2 * len(values) - 1} distinct finite values")
    print("   NF4 levels:", " ".join(f"{v:+.4f}" for v in nf4_levels()))

    rng = random.Random(0)
    xs = [rng.gauss(0, 1) for _ in range(64 * 512)]
    print(f"\n2. MSE on {len(xs):,} N(0, 1) values, one absmax scale per block of 64 (relative to the variance)")
    for name, levels in (("INT4 (15 levels, uniform)", INT4_LEVELS), ("FP4 E2M1 (15 levels)", FP4_LEVELS),
                         ("NF4 (16 levels, normal quantiles)", nf4_levels())):
        print(f"   {name:<36}{blockwise_mse(xs, levels):.5f}")


if __name__ == "__main__":
    main()
