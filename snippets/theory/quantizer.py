"""The uniform quantizer, three ways to choose its scale, the metadata cost of each granularity, and how
compressed-tensors packs 4-bit codes into int32 words.

Run as a script, it prints
  1. the mean squared error of 4- and 3-bit round-to-nearest on a heavy-tailed sample (Student-t, 5 degrees of
     freedom) with the scale set by the absolute maximum, by a percentile of |x|, or by a search for the clipping
     ratio of least MSE, for one scale per tensor and one per group of 128;
  2. the bits each stored weight costs, codes plus its share of scales and zero points, for common layouts;
  3. one row of eight 4-bit codes packed into an int32 word the way compressed-tensors' pack-quantized format does.
Standard library only; deterministic (seeded).
"""

import math
import random

from snippets.common.quantizer import bits_per_weight, dequantize, quantize, symmetric_params


# --8<-- [start:scale_choice]
def mse(xs: list[float], s: float, z: int, bits: int) -> float:
    return sum((x - dequantize(quantize(x, s, z, bits), s, z)) ** 2 for x in xs) / len(xs)


def absmax_scale(xs: list[float], bits: int) -> float:
    return symmetric_params(max(abs(x) for x in xs), bits)[0]


def percentile_scale(xs: list[float], bits: int, pct: float) -> float:
    """Clip at the pct-th percentile of |x| (nearest rank): values beyond it saturate at the largest code."""
    a = sorted(abs(x) for x in xs)
    return symmetric_params(a[min(len(a) - 1, math.ceil(pct / 100 * len(a)) - 1)], bits)[0]


def mse_optimal_scale(xs: list[float], bits: int, steps: int = 20) -> float:
    """Search the clipping ratio r in (0, 1] of the absmax range for the least MSE: a coarse grid, then a finer
    grid around the best point. Clipping trades a larger error on the few clipped values for a smaller step."""
    absmax = max(abs(x) for x in xs)

    def err(r: float) -> float:
        s, z = symmetric_params(r * absmax, bits)
        return mse(xs, s, z, bits)

    best = min((k / steps for k in range(1, steps + 1)), key=err)
    fine = [best + (k - 10) / (10 * steps) for k in range(21)]
    best = min((r for r in fine if 0 < r <= 1), key=err)
    return symmetric_params(best * absmax, bits)[0]
# --8<-- [end:scale_choice]


# --8<-- [start:metadata]
LAYOUTS = [  # name, code bits, group size, scale bits, zero-point bits, second-level bits per group
    ("INT8 per channel (in = 4096), bf16 scale", 8, 4096, 16, 0, 0.0),
    ("FP8 E4M3 per channel (in = 4096), bf16 scale", 8, 4096, 16, 0, 0.0),
    ("INT4 symmetric, group 128, bf16 scale", 4, 128, 16, 0, 0.0),
    ("INT4 asymmetric, group 128, + 4-bit zero point", 4, 128, 16, 4, 0.0),
    ("INT4 symmetric, group 32, bf16 scale", 4, 32, 16, 0, 0.0),
    ("NF4, block 64, fp32 absmax", 4, 64, 32, 0, 0.0),
    ("NF4, block 64, double quant (8-bit absmax, fp32 per 256)", 4, 64, 8, 0, 32 / 256),
    ("MXFP4: E2M1, block 32, E8M0 scale", 4, 32, 8, 0, 0.0),
    ("NVFP4: E2M1, block 16, E4M3 scale (+ fp32 per tensor)", 4, 16, 8, 0, 0.0),
]
# --8<-- [end:metadata]


# --8<-- [start:packing]
def pack_int32(codes: list[int], bits: int = 4) -> list[int]:
    """Pack signed codes in [-2^(b-1), 2^(b-1) - 1] into int32 words, as compressed-tensors' pack_to_int32 does:
    add the offset 2^(b-1) to make them unsigned, then put code i at bit position i*b (little end first), so a
    word holds 32/b codes (8 for 4 bits). Words are returned as signed int32 values, as torch stores them."""
    offset = 1 << (bits - 1)
    total = sum((c + offset) << (i * bits) for i, c in enumerate(codes))
    n_words = math.ceil(len(codes) * bits / 32)
    words = [(total >> (32 * w)) & 0xFFFFFFFF for w in range(n_words)]
    return [w - (1 << 32) if w >= 1 << 31 else w for w in words]


def unpack_int32(words: list[int], count: int, bits: int = 4) -> list[int]:
    offset = 1 << (bits - 1)
    total = sum((w & 0xFFFFFFFF) << (32 * i) for i, w in enumerate(words))
    return [((total >> (i * bits)) & ((1 << bits) - 1)) - offset for i in range(count)]
# --8<-- [end:packing]


def student_t_sample(n: int, dof: int = 5, seed: int = 0) -> list[float]:
    """Heavy-tailed values with unit scale: z / sqrt(chi2_dof / dof)."""
    rng = random.Random(seed)
    return [rng.gauss(0, 1) / math.sqrt(rng.gammavariate(dof / 2, 2) / dof) for _ in range(n)]


def grouped_mse(xs: list[float], bits: int, group: int, choose) -> float:
    total = 0.0
    for start in range(0, len(xs), group):
        block = xs[start:start + group]
        s = choose(block, bits)
        total += mse(block, s, 2 ** (bits - 1), bits) * len(block)
    return total / len(xs)


def main() -> None:
    xs = student_t_sample(4096)
    var = sum(x * x for x in xs) / len(xs)
    choices = [
        ("absmax", absmax_scale),
        ("99.9th percentile", lambda b, k: percentile_scale(b, k, 99.9)),
        ("99th percentile", lambda b, k: percentile_scale(b, k, 99.0)),
        ("MSE-optimal clipping", mse_optimal_scale),
    ]
    print(f"1. Symmetric round-to-nearest on {len(xs):,} Student-t (5 dof) values; MSE relative to the variance")
    print(f"{'scale choice':<22}{'4 bit, tensor':>15}{'4 bit, g128':>13}{'3 bit, tensor':>15}{'3 bit, g128':>13}")
    for name, choose in choices:
        cells = []
        for bits in (4, 3):
            cells.append(grouped_mse(xs, bits, len(xs), choose) / var)
            cells.append(grouped_mse(xs, bits, 128, choose) / var)
        print(f"{name:<22}{cells[0]:>15.5f}{cells[1]:>13.5f}{cells[2]:>15.5f}{cells[3]:>13.5f}")

    print("\n2. Stored bits per quantized weight (code + scales + zero points)")
    for name, code, group, scale, zero, second in LAYOUTS:
        print(f"{name:<58}{bits_per_weight(code, group, scale, zero, second):>8.4f}")

    codes = [-8, -3, 0, 1, 7, 2, -1, 5]
    word = pack_int32(codes)
    print(f"\n3. Codes {codes} -> offset +8 -> {[c + 8 for c in codes]}")
    print(f"   packed into one int32: {word[0]} (0x{word[0] & 0xFFFFFFFF:08x}); unpacked: {unpack_int32(word, 8)}")


if __name__ == "__main__":
    main()
