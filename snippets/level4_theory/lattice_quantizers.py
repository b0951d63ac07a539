"""Why vector quantization beats scalar quantization even for uniform data: the space-filling gain.

A lattice quantizer rounds a vector to the nearest point of a lattice. Its normalized second moment
G = (1/n) E||x - Q(x)||^2 / V^(2/n) (V: volume of one cell) is the MSE per dimension at a fixed density of
points. Rounding each coordinate separately (the integer lattice Z^n) gives G = 1/12 in every dimension;
better-shaped cells give less, down to 1/(2 pi e) as n grows. This script measures G by Monte Carlo for Z,
the hexagonal lattice A2 and E8 (the lattice behind QuIP#'s codebooks), using Conway and Sloane's
nearest-point algorithms, and prints the exact values beside them. Standard library only.
"""

import math
import random


# --8<-- [start:nearest_point]
def nearest_integer_point(x):
    """Z^n: round every coordinate (scalar quantization, one coordinate at a time)."""
    return [round(v) for v in x]


def nearest_d_n_point(x):
    """D_n = integer vectors with an even sum. Round every coordinate; if the sum is odd, re-round the
    coordinate that was furthest from an integer the other way (Conway and Sloane, 1982)."""
    y = nearest_integer_point(x)
    if sum(y) % 2:
        worst = max(range(len(x)), key=lambda i: abs(x[i] - y[i]))
        y[worst] += 1 if x[worst] > y[worst] else -1
    return y


def nearest_e8_point(x):
    """E8 = D8 together with D8 shifted by (1/2, ..., 1/2): decode in both cosets, keep the closer point."""
    in_d8 = nearest_d_n_point(x)
    in_shifted = [v + 0.5 for v in nearest_d_n_point([v - 0.5 for v in x])]
    return min(in_d8, in_shifted, key=lambda y: squared_distance(x, y))


def nearest_hexagonal_point(x):
    """A2 (hexagonal) = rectangular lattice {(a, b*sqrt(3))} together with its shift by (1/2, sqrt(3)/2)."""
    h = math.sqrt(3)
    first = [round(x[0]), h * round(x[1] / h)]
    second = [round(x[0] - 0.5) + 0.5, h * round((x[1] - h / 2) / h) + h / 2]
    return min(first, second, key=lambda y: squared_distance(x, y))


def squared_distance(x, y):
    return sum((a - b) ** 2 for a, b in zip(x, y, strict=True))


def normalized_second_moment(nearest_point, period, cell_volume, samples, rng):
    """G by Monte Carlo: x uniform over a box that tiles space by lattice translations (`period` per axis)."""
    n = len(period)
    total = 0.0
    for _ in range(samples):
        x = [rng.uniform(0.0, p) for p in period]
        total += squared_distance(x, nearest_point(x))
    return total / samples / n / cell_volume ** (2 / n)
# --8<-- [end:nearest_point]


# Exact values: Z 1/12; A2 5/(36 sqrt 3); E8 929/12960 (Conway and Sloane, 1982); n -> infinity 1/(2 pi e).
EXACT_G = {"Z": 1 / 12, "A2": 5 / (36 * math.sqrt(3)), "E8": 929 / 12960}
SPHERE_LIMIT_G = 1 / (2 * math.pi * math.e)


def lattice_table(samples: int = 30_000, seed: int = 0):
    """Rows (name, dimension, measured G, exact G)."""
    rng = random.Random(seed)
    h = math.sqrt(3)
    setups = [
        ("Z", nearest_integer_point, [1.0], 1.0),
        ("A2", nearest_hexagonal_point, [1.0, h], h / 2),
        ("E8", nearest_e8_point, [2.0] * 8, 1.0),  # 2Z^8 is a sublattice of E8; det(E8) = 1
    ]
    return [
        (name, len(period), normalized_second_moment(fn, period, volume, samples, rng), EXACT_G[name])
        for name, fn, period, volume in setups
    ]


def gain_db(g: float) -> float:
    """Space-filling gain over scalar rounding, in dB: 10 log10((1/12) / G)."""
    return 10 * math.log10((1 / 12) / g)


if __name__ == "__main__":
    print("Normalized second moment G of lattice quantizers (lower is better)")
    print(f"{'lattice':<13} {'dim':>3} {'G measured':>11} {'G exact':>9} {'gain':>8}")
    for name, dim, measured, exact in lattice_table():
        print(f"{name:<13} {dim:>3} {measured:>11.5f} {exact:>9.5f} {gain_db(exact):>5.2f} dB")
    print(f"{'sphere limit':<13} {'inf':>3} {'':>11} {SPHERE_LIMIT_G:>9.5f} {gain_db(SPHERE_LIMIT_G):>5.2f} dB")
    print("gain over scalar rounding = 10 log10((1/12) / G); the sphere limit 1/(2 pi e)")
    print("gives 10 log10(pi e / 6), the whole high-rate gap of entropy-coded scalar quantizers")
