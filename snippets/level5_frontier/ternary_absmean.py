"""BitNet b1.58's weight quantizer: scale by the mean absolute value, round to the nearest of {-1, 0, +1}.

Run as a script, it quantizes Gaussian weights, prints how often each code occurs (with the share of zeros that
the Gaussian density predicts), the relative error, and what 1.58 bits per weight means for storage.
Standard library only.
"""

import math
import random
from statistics import NormalDist


# --8<-- [start:absmean]
def absmean_ternary(weights: list[float], eps: float = 1e-5) -> tuple[list[int], float]:
    """W_tilde = RoundClip(W / (gamma + eps), -1, 1) with gamma = mean |W| (one scale per weight matrix).
    Returns the ternary codes and gamma; the dequantized weight is gamma * code."""
    gamma = sum(abs(w) for w in weights) / len(weights)
    codes = [max(-1, min(1, round(w / (gamma + eps)))) for w in weights]
    return codes, gamma


def gaussian_zero_share() -> float:
    """For W ~ N(0, s^2), gamma -> s * sqrt(2 / pi), and a weight rounds to 0 when |W| < gamma / 2."""
    half_gamma = 0.5 * math.sqrt(2 / math.pi)
    return 2 * NormalDist().cdf(half_gamma) - 1
# --8<-- [end:absmean]


# --8<-- [start:storage]
def ternary_storage_bits() -> dict[str, float]:
    """Bits per weight: the information content log2(3), the densest byte packing (3^5 = 243 <= 256, so five
    ternary digits fit in one byte), and the simple 2-bit packing that kernels often use."""
    return {"log2(3)": math.log2(3), "5 per byte": 8 / 5, "2-bit codes": 2.0}
# --8<-- [end:storage]


def main() -> None:
    rng = random.Random(0)
    w = [rng.gauss(0.0, 0.02) for _ in range(65_536)]
    codes, gamma = absmean_ternary(w)
    share = {c: codes.count(c) / len(codes) for c in (-1, 0, 1)}
    err = sum((x - gamma * c) ** 2 for x, c in zip(w, codes, strict=True)) / sum(x * x for x in w)
    print(f"{len(w):,} weights ~ N(0, 0.02^2); gamma = mean|W| = {gamma:.5f}")
    print(f"codes: -1 {share[-1]:.1%}   0 {share[0]:.1%}   +1 {share[1]:.1%}   "
          f"(Gaussian prediction for 0: {gaussian_zero_share():.1%})")
    print(f"relative squared error of gamma * code: {err:.3f}")
    print("bits per weight: " + ", ".join(f"{k} = {v:.3f}" for k, v in ternary_storage_bits().items()))


if __name__ == "__main__":
    main()
