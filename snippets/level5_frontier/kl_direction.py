"""Forward and reverse KL divergence as distillation losses: what a student that cannot copy the teacher does.

The teacher is a two-peaked distribution over 41 tokens; the student can only be a single discretized bell curve.
Run as a script, it finds the best student under each loss by exhaustive search over (mean, width) and prints
where each puts its probability. Standard library only; the search is exact on its grid, so nothing is random.
"""

import math

from snippets.common.distillation import kl

TOKENS = list(range(-20, 21))

# --8<-- [start:kl]
def normalize(weights: list[float]) -> list[float]:
    total = sum(weights)
    return [w / total for w in weights]


def bell(mean: float, width: float) -> list[float]:
    """A discretized Gaussian over TOKENS: the student family, two parameters only."""
    return normalize([math.exp(-0.5 * ((t - mean) / width) ** 2) for t in TOKENS])


TEACHER = normalize([0.6 * math.exp(-0.5 * ((t + 8) / 2) ** 2) + 0.4 * math.exp(-0.5 * ((t - 8) / 2) ** 2)
                     for t in TOKENS])


def best_student(loss) -> tuple[float, float]:
    """Exhaustive search over mean in [-15, 15] and width in [0.5, 15], both in steps of 0.25."""
    grid = [(m / 4, s / 4) for m in range(-60, 61) for s in range(2, 61)]
    return min(grid, key=lambda ms: loss(bell(*ms)))


def forward_kl(q: list[float]) -> float:   # KL(teacher || student): the usual distillation loss (mode covering)
    return kl(TEACHER, q)


def reverse_kl(q: list[float]) -> float:   # KL(student || teacher): MiniLLM's choice (mode seeking)
    return kl(q, TEACHER)
# --8<-- [end:kl]


def mass(p: list[float], lo: int, hi: int) -> float:
    """Probability of the tokens lo..hi inclusive."""
    return sum(x for t, x in zip(TOKENS, p, strict=True) if lo <= t <= hi)


def main() -> None:
    rows = [("teacher (0.6 at -8, 0.4 at +8)", None, TEACHER)]
    for name, loss in (("student, forward KL", forward_kl), ("student, reverse KL", reverse_kl)):
        m, s = best_student(loss)
        rows.append((name, (m, s), bell(m, s)))
    print(f"{'distribution':<32}{'mean, width':>13}{'P(t<=-4)':>10}{'P(|t|<=3)':>11}{'P(t>=4)':>9}"
          f"{'KL(T||S)':>10}{'KL(S||T)':>10}")
    for name, params, p in rows:
        ms = f"{params[0]:+.2f}, {params[1]:.2f}" if params else ""
        kls = ("", "") if params is None else (f"{forward_kl(p):.3f}", f"{reverse_kl(p):.3f}")
        print(f"{name:<32}{ms:>13}{mass(p, -20, -4):>10.3f}{mass(p, -3, 3):>11.3f}{mass(p, 4, 20):>9.3f}"
              f"{kls[0]:>10}{kls[1]:>10}")


if __name__ == "__main__":
    main()
