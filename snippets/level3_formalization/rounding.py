"""Level 3 worked example: the s^2/12 model of rounding error, measured. Standard library only.

If the rounding error e = x - x_hat is spread evenly over [-s/2, s/2], its mean square is s^2/12. That holds well
when the data spread over many cells of the grid; with only 4 levels (2 bits) and Gaussian data, which crowd the
middle cells, it drifts by a few percent.

    python -m snippets.level3_formalization.rounding
"""

from __future__ import annotations

import random

from snippets.common.quantizer import asymmetric_params, dequantize, quantize

N = 20_000


def measured_over_model(xs: list[float], bits: int) -> tuple[float, float]:
    """(measured MSE of asymmetric RTN over the whole vector, its ratio to s^2/12)."""
    s, z = asymmetric_params(min(xs), max(xs), bits)
    mse = sum((x - dequantize(quantize(x, s, z, bits), s, z)) ** 2 for x in xs) / len(xs)
    return mse, mse / (s * s / 12)


if __name__ == "__main__":
    rng = random.Random(0)
    data = {"uniform": [rng.uniform(-1, 1) for _ in range(N)], "gaussian": [rng.gauss(0, 1) for _ in range(N)]}
    print(f"{N} samples, one min/max grid: measured MSE / (s^2/12)")
    print("bits   uniform   gaussian")
    for bits in [2, 3, 4, 6, 8]:
        ratios = [measured_over_model(data[name], bits)[1] for name in ["uniform", "gaussian"]]
        print(f"{bits:4d}   {ratios[0]:7.3f}   {ratios[1]:8.3f}")
