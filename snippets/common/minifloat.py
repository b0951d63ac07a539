"""The values of the small floating-point formats (FP8 E4M3 and E5M2, FP4 E2M1), enumerated from their bit layouts
rather than taken from a library. Standard library only."""


# --8<-- [start:minifloat]
def minifloat_values(exp_bits: int, man_bits: int, bias: int, reserved: str) -> list[float]:
    """All non-negative finite values of a 1-sign/exp_bits/man_bits floating-point format, sorted.

    reserved: "ieee" - the all-ones exponent encodes inf and NaN (FP8 E5M2);
              "fn"   - only the all-ones exponent with all-ones mantissa is NaN, no inf (FP8 E4M3, "fn" variant);
              "none" - every bit pattern is a number (FP4 E2M1).
    Exponent field 0 gives subnormals m / 2^M * 2^(1 - bias); otherwise (1 + m / 2^M) * 2^(e - bias)."""
    top_e, top_m = 2**exp_bits - 1, 2**man_bits - 1
    values = set()
    for e in range(top_e + 1):
        for m in range(top_m + 1):
            if reserved == "ieee" and e == top_e:
                continue
            if reserved == "fn" and e == top_e and m == top_m:
                continue
            if e == 0:
                values.add(m / 2**man_bits * 2.0 ** (1 - bias))
            else:
                values.add((1 + m / 2**man_bits) * 2.0 ** (e - bias))
    return sorted(values)


E4M3 = minifloat_values(4, 3, bias=7, reserved="fn")
E5M2 = minifloat_values(5, 2, bias=15, reserved="ieee")
E2M1 = minifloat_values(2, 1, bias=1, reserved="none")
# --8<-- [end:minifloat]
