"""The uniform quantizer, written once for every page that shows or uses it: the affine map between a b-bit code and
a real value (asymmetric and symmetric scales), round-to-nearest of a block with one absmax scale, and the bits each
stored weight costs with its share of the scales and zero points. Standard library only.
"""


# --8<-- [start:affine]
def asymmetric_params(lo: float, hi: float, bits: int) -> tuple[float, int]:
    """Scale s and integer zero point z for the range [lo, hi], widened to contain 0 so that 0 is exact.
    Codes are unsigned, 0 .. 2^b - 1, and the code z stands for the real value 0."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    qmax = 2**bits - 1
    s = (hi - lo) / qmax if hi > lo else 1.0
    z = min(max(round(-lo / s), 0), qmax)
    return s, z


def symmetric_params(absmax: float, bits: int, full_range: bool = False) -> tuple[float, int]:
    """Zero point fixed at the middle code 2^(b-1). The 'restricted' scale maps absmax to 2^(b-1) - 1 and leaves
    the lowest code unused; full_range=True maps it to 2^(b-1) - 1/2, the choice of the GPTQ reference code and of
    compressed-tensors (every code used, the error at +absmax is s/2 after clamping)."""
    half = 2 ** (bits - 1)
    s = absmax / (half - 0.5 if full_range else half - 1) if absmax > 0 else 1.0
    return s, half


def quantize(x: float, s: float, z: int, bits: int) -> int:
    """q = clamp(round(x / s) + z, 0, 2^b - 1). Python's round() rounds halves to even, as torch.round does."""
    return min(max(round(x / s) + z, 0), 2**bits - 1)


def dequantize(q: int, s: float, z: int) -> float:
    """x_hat = s * (q - z): the zero point is subtracted in the integer domain, before scaling."""
    return s * (q - z)
# --8<-- [end:affine]


# --8<-- [start:absmax]
def absmax_rtn(values: list[float], bits: int) -> list[float]:
    """Symmetric round-to-nearest of values that share one scale s = max|x| / (2^(b-1) - 1), so that no value is
    clipped; returns the dequantized values s * round(x / s). An all-zero block stays zero."""
    q_max = 2 ** (bits - 1) - 1
    s = max(abs(v) for v in values) / q_max or 1.0
    return [s * max(-q_max - 1, min(q_max, round(v / s))) for v in values]
# --8<-- [end:absmax]


# --8<-- [start:bits_per_weight]
def bits_per_weight(code_bits: float, group_size: int | None = None, scale_bits: float = 16, zero_bits: float = 0,
                    second_level_bits: float = 0.0) -> float:
    """Stored bits per quantized weight: the code plus its share of the scale (and zero point) that `group_size`
    weights share. group_size=None means one scale per tensor, whose share is negligible. second_level_bits is the
    cost per group of quantizing the scales themselves (bitsandbytes' double quantization), already divided per
    group."""
    if group_size is None:
        return float(code_bits)
    return code_bits + (scale_bits + zero_bits + second_level_bits) / group_size
# --8<-- [end:bits_per_weight]
