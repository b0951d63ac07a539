"""2:4 semi-structured sparsity: the mask, the compressed storage, and the speed-up ceiling it implies when
decoding is limited by memory bandwidth rather than by arithmetic.

Run as a script, it prunes a Gaussian weight matrix to 2:4 by magnitude, checks the pattern, and prints the bits
per weight of dense and 2:4 formats at 16 and 4 bits with the ratio of bytes read, which bounds the speed-up of a
memory-bound matrix-vector product. Standard library only.
"""

import random


# --8<-- [start:mask]
def mask_2_4(row: list[float]) -> list[bool]:
    """Keep the 2 largest-magnitude weights in every group of 4 consecutive weights along the input dimension."""
    keep = []
    for i in range(0, len(row), 4):
        group = row[i:i + 4]
        top2 = sorted(range(len(group)), key=lambda j: abs(group[j]), reverse=True)[:2]
        keep += [j in top2 for j in range(len(group))]
    return keep


def is_2_4(row: list[float]) -> bool:
    """True if every group of 4 consecutive weights has at most 2 non-zeros."""
    return all(sum(w != 0 for w in row[i:i + 4]) <= 2 for i in range(0, len(row), 4))
# --8<-- [end:mask]


# --8<-- [start:storage]
def bits_per_weight(value_bits: int, sparse_2_4: bool, scale_bits: int = 0, group_size: int | None = None) -> float:
    """Stored bits per weight of the dense matrix shape. 2:4 keeps 2 of every 4 values plus a 2-bit position
    index for each kept value (the metadata the sparse tensor cores read). Optional scales: one per group of
    group_size positions of the dense matrix."""
    bits = (2 * value_bits + 2 * 2) / 4 if sparse_2_4 else float(value_bits)
    if group_size:
        bits += scale_bits / group_size
    return bits


def memory_bound_ceiling(bits: float, baseline_bits: float = 16.0) -> float:
    """If a matrix-vector product only waits for its weights to arrive, time is proportional to bytes read,
    so the speed-up over a 16-bit dense matrix cannot exceed the ratio of bits per weight."""
    return baseline_bits / bits
# --8<-- [end:storage]


FORMATS = [
    ("fp16, dense", 16, False, 0, None),
    ("fp16, 2:4", 16, True, 0, None),
    ("int4, dense", 4, False, 0, None),
    ("int4, dense, fp16 scale / 128", 4, False, 16, 128),
    ("int4, 2:4", 4, True, 0, None),
    ("int4, 2:4, fp16 scale / 128", 4, True, 16, 128),
]


def main() -> None:
    rng = random.Random(0)
    w = [[rng.gauss(0.0, 1.0) for _ in range(512)] for _ in range(64)]
    pruned = [[x if k else 0.0 for x, k in zip(r, mask_2_4(r), strict=True)] for r in w]
    kept = sum(x * x for r in pruned for x in r) / sum(x * x for r in w for x in r)
    zeros = sum(x == 0.0 for r in pruned for x in r) / (64 * 512)
    print("first row, first 8 weights:", " ".join(f"{x:+.2f}" for x in w[0][:8]))
    print("after 2:4 magnitude pruning:", " ".join(f"{x:+.2f}" for x in pruned[0][:8]))
    print(f"all rows 2:4: {all(is_2_4(r) for r in pruned)}; zeros: {zeros:.0%}; "
          f"squared weight norm kept: {kept:.1%}")
    print()
    print(f"{'format':<31}{'bits/weight':>12}{'memory-bound ceiling':>22}")
    for name, bits, sparse, scale_bits, group in FORMATS:
        b = bits_per_weight(bits, sparse, scale_bits, group)
        print(f"{name:<31}{b:>12.3f}{memory_bound_ceiling(b):>21.2f}x")


if __name__ == "__main__":
    main()
