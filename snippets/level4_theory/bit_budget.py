"""Comparing quantized models at equal total bits, the axis of k-bit inference scaling laws.

Dettmers and Zettlemoyer (2023) compare models by total model bits = parameters x bits per weight; their
abstract's example is that a 30B 8-bit model and a 60B 4-bit model hold the same number of bits. This
script prints how many parameters fit in that budget at each precision, with and without one 16-bit scale
per block of 64 weights. Standard library only.
"""

from snippets.common.quantizer import bits_per_weight


# --8<-- [start:budget]
def parameters_in_budget(total_bits: float, code_bits: float, block_size: int | None = None) -> float:
    return total_bits / bits_per_weight(code_bits, block_size)
# --8<-- [end:budget]


BUDGET_BITS = 30e9 * 8  # the abstract's example: 30B parameters at 8 bits (= 60B at 4 bits)


if __name__ == "__main__":
    print(f"Total budget: {BUDGET_BITS:.3g} bits = {BUDGET_BITS / 8 / 1e9:.0f} GB")
    print(f"{'code bits':>9} {'params, codes only':>19} {'bpw with block-64 scales':>25} {'params':>9}")
    for code_bits in (16, 8, 4, 3):
        block = None if code_bits == 16 else 64
        codes_only = parameters_in_budget(BUDGET_BITS, code_bits) / 1e9
        with_scales = parameters_in_budget(BUDGET_BITS, code_bits, block) / 1e9
        print(f"{code_bits:>9} {codes_only:>17.1f} B {bits_per_weight(code_bits, block):>25.3f} {with_scales:>7.1f} B")
