"""Level 3 worked example: the asymmetric and symmetric quantization maps on a 6-value vector, and what the
granularity of the scales does to the error of a small matrix with one outlier. Standard library only.

    python -m snippets.level3_formalization.quant_maps
"""

from __future__ import annotations

from snippets.common.quantizer import asymmetric_params, dequantize, quantize, symmetric_params


def mixed_units(x: float, s: float, z: int) -> float:
    """The form Q = round((x - z) / s), x_hat = s Q + z: z is used as an integer code in one place and as a real
    offset in the other, so the round trip is wrong (0 is not even recovered)."""
    return s * round((x - z) / s) + z


def rtn_mse(W: list[list[float]], bits: int, group: int | None) -> tuple[float, int]:
    """Mean squared error of asymmetric RTN with one (s, z) per `group` consecutive entries of each row
    (group=None: one per row; group=0: one for the whole matrix). Returns (mse, number of (s, z) pairs)."""
    if group == 0:
        chunks = [[v for row in W for v in row]]
    elif group is None:
        chunks = [list(row) for row in W]
    else:
        chunks = [row[i:i + group] for row in W for i in range(0, len(row), group)]
    err, count = 0.0, 0
    for chunk in chunks:
        s, z = asymmetric_params(min(chunk), max(chunk), bits)
        err += sum((x - dequantize(quantize(x, s, z, bits), s, z)) ** 2 for x in chunk)
        count += len(chunk)
    return err / count, len(chunks)


X = [-0.9, -0.35, 0.0, 0.4, 1.3, 2.1]
W = [[0.12, -0.31, 0.08, 0.25, -0.05, 0.18, -0.22, 0.04],
     [0.09, 0.14, -0.27, 2.40, 0.11, -0.16, 0.21, -0.07]]  # one outlier, in row 1

if __name__ == "__main__":
    grids = [("asymmetric", asymmetric_params(min(X), max(X), 3)),
             ("symmetric", symmetric_params(max(abs(x) for x in X), 3, full_range=True))]
    for name, (s, z) in grids:
        q = [quantize(x, s, z, 3) for x in X]
        print(f"{name} 3-bit: s = {s:.4f}, z = {z}")
        print("  x     " + " ".join(f"{x:7.3f}" for x in X))
        print("  q     " + " ".join(f"{v:7d}" for v in q))
        print("  x_hat " + " ".join(f"{dequantize(v, s, z):7.3f}" for v in q))
        worst = max(abs(x - dequantize(v, s, z)) for x, v in zip(X, q, strict=True))
        print(f"  max |x - x_hat| = {worst:.4f} (s/2 = {s / 2:.4f})")
    s, z = asymmetric_params(min(X), max(X), 3)
    print(f"mixed-units form round((x - z)/s), s*Q + z at x = 0: {mixed_units(0.0, s, z):.4f} (should be 0)")
    print()
    print("4-bit asymmetric RTN of a 2x8 matrix with one outlier:")
    for label, group in [("per tensor", 0), ("per channel (row)", None), ("per group of 4", 4)]:
        mse, n = rtn_mse(W, 4, group)
        print(f"  {label:18s} MSE {mse:.2e} with {n} (s, z) pairs")
