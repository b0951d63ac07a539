"""8-bit and 4-bit floating-point formats, built from their bit layouts, and what block scaling does to their error.

Run as a script, it prints (1) the range of FP8 E4M3, FP8 E5M2 and FP4 E2M1, enumerated from sign, exponent and
mantissa bits; (2) the storage cost and the relative error of several block-scaled 4- and 8-bit schemes on one
synthetic tensor. Standard library only; the formats are enumerated, not taken from a library.
"""

import bisect
import math
import random
import struct

from snippets.common.minifloat import E2M1, E4M3, E5M2


# --8<-- [start:round]
def round_to_grid(x: float, grid: list[float]) -> float:
    """Nearest value of a symmetric grid (given by its non-negative part), saturating at the largest value."""
    a = min(abs(x), grid[-1])
    i = bisect.bisect_left(grid, a)
    if i > 0 and (i == len(grid) or a - grid[i - 1] <= grid[i] - a):
        i -= 1
    return math.copysign(grid[i], x)


def to_fp16(x: float) -> float:
    """Round to IEEE half precision, as a stored fp16 scale would be."""
    return struct.unpack("<e", struct.pack("<e", x))[0]
# --8<-- [end:round]


# --8<-- [start:block_scaling]
def fp8_per_tensor(x: list[float]) -> list[float]:
    """FP8 E4M3 with one FP32 scale for the whole tensor: s = amax / 448."""
    s = max(abs(v) for v in x) / E4M3[-1]
    return [s * round_to_grid(v / s, E4M3) for v in x]


def mx(x: list[float], grid: list[float], block: int = 32) -> list[float]:
    """OCP MX: one power-of-two scale (E8M0) per block of 32, 2^(floor(log2 amax) - emax), where emax is the
    exponent of the element format's largest value; elements beyond the grid saturate."""
    emax = math.floor(math.log2(grid[-1]))
    out = []
    for i in range(0, len(x), block):
        b = x[i:i + block]
        amax = max(abs(v) for v in b)
        s = 2.0 ** (math.floor(math.log2(amax)) - emax) if amax > 0 else 1.0
        out += [s * round_to_grid(v / s, grid) for v in b]
    return out


def nvfp4(x: list[float], block: int = 16) -> list[float]:
    """NVFP4: E2M1 elements, one E4M3 scale per block of 16 and one FP32 scale per tensor (a common recipe:
    the tensor scale maps the largest block scale to the top of the E4M3 range)."""
    g = max(abs(v) for v in x) / (E4M3[-1] * E2M1[-1])
    out = []
    for i in range(0, len(x), block):
        b = x[i:i + block]
        sb = round_to_grid(max(abs(v) for v in b) / (E2M1[-1] * g), E4M3) * g
        out += [sb * round_to_grid(v / sb, E2M1) if sb > 0 else 0.0 for v in b]
    return out


def int_per_group(x: list[float], bits: int, group: int) -> list[float]:
    """Symmetric integer RTN with one fp16 absmax scale per group."""
    qmax = 2 ** (bits - 1) - 1
    out = []
    for i in range(0, len(x), group):
        b = x[i:i + group]
        s = to_fp16(max(abs(v) for v in b) / qmax)
        out += [s * max(-qmax, min(qmax, round(v / s))) for v in b]
    return out
# --8<-- [end:block_scaling]


# name, function, bits per element (element bits + scale bits / block size; per-tensor scales are negligible)
SCHEMES = [
    ("FP8 E4M3, per-tensor scale", fp8_per_tensor, 8.0),
    ("MXFP8 (E4M3, block 32)", lambda x: mx(x, E4M3), 8 + 8 / 32),
    ("MXFP4 (E2M1, block 32)", lambda x: mx(x, E2M1), 4 + 8 / 32),
    ("NVFP4 (E2M1, block 16)", nvfp4, 4 + 8 / 16),
    ("INT4, fp16 scale / 32", lambda x: int_per_group(x, 4, 32), 4 + 16 / 32),
    ("INT4, fp16 scale / 128", lambda x: int_per_group(x, 4, 128), 4 + 16 / 128),
]
N, OUTLIER_SHARE, OUTLIER_GAIN = 16_384, 0.001, 10.0


def synthetic_tensor(seed: int = 0) -> list[float]:
    """N(0, 1) values; a random 0.1% of them multiplied by 10 to play the part of outliers."""
    rng = random.Random(seed)
    return [rng.gauss(0.0, 1.0) * (OUTLIER_GAIN if rng.random() < OUTLIER_SHARE else 1.0) for _ in range(N)]


def relative_mse(x: list[float], y: list[float]) -> float:
    return sum((a - b) ** 2 for a, b in zip(x, y, strict=True)) / sum(a * a for a in x)


def main() -> None:
    print(f"{'format':<10}{'values':>8}{'largest':>10}{'smallest > 0':>16}")
    for name, grid in (("FP8 E4M3", E4M3), ("FP8 E5M2", E5M2), ("FP4 E2M1", E2M1)):
        print(f"{name:<10}{2 * len(grid) - 1:>8}{grid[-1]:>10g}{grid[1]:>16.3g}")
    print(f"E2M1 non-negative values: {', '.join(f'{v:g}' for v in E2M1)}")
    print()
    x = synthetic_tensor()
    print(f"{N:,} values, N(0, 1) with {OUTLIER_SHARE:.1%} of them scaled by {OUTLIER_GAIN:g}")
    print(f"{'scheme':<28}{'bits/value':>11}{'relative MSE':>14}{'SQNR dB':>9}")
    for name, f, bits in SCHEMES:
        err = relative_mse(x, f(x))
        print(f"{name:<28}{bits:>11.3f}{err:>14.5f}{-10 * math.log10(err):>9.1f}")


if __name__ == "__main__":
    main()
