"""Level 3 worked example: the soft-target term of the distillation loss at tau = 1, 2, 4, 8, its gradient with and
without the tau^2 factor, and the masked mean over real (unpadded) tokens. Standard library.

    python snippets/formalization/kd_temperature.py
"""

from __future__ import annotations

import math

TEACHER = [3.0, 1.0, 0.2, -1.0]  # logits z_t for one position, vocabulary of 4
STUDENT = [2.0, 1.5, 0.0, -0.5]  # logits z_s


def softmax(z: list[float], tau: float) -> list[float]:
    m = max(z)
    e = [math.exp((v - m) / tau) for v in z]
    return [v / sum(e) for v in e]


# --8<-- [start:soft]
def soft_term(z_t: list[float], z_s: list[float], tau: float) -> tuple[float, list[float]]:
    """KL(softmax(z_t/tau) || softmax(z_s/tau)) and its gradient with respect to z_s, (p_s - p_t) / tau."""
    p_t, p_s = softmax(z_t, tau), softmax(z_s, tau)
    kl = sum(a * math.log(a / b) for a, b in zip(p_t, p_s, strict=True))
    return kl, [(b - a) / tau for a, b in zip(p_t, p_s, strict=True)]
# --8<-- [end:soft]


def norm(v: list[float]) -> float:
    return math.sqrt(sum(x * x for x in v))


def high_tau_limit(z_t: list[float], z_s: list[float]) -> list[float]:
    """Hinton et al.'s approximation for large tau and zero-mean logits: tau^2 * gradient -> (z_s - z_t) / K."""
    K = len(z_t)
    d = [b - a for a, b in zip(z_t, z_s, strict=True)]
    mean = sum(d) / K
    return [(v - mean) / K for v in d]


if __name__ == "__main__":
    print("tau   KL(p_t||p_s)   |grad KL|   |tau^2 grad KL|")
    for tau in [1.0, 2.0, 4.0, 8.0]:
        kl, grad = soft_term(TEACHER, STUDENT, tau)
        print(f"{tau:3.0f}   {kl:12.5f}   {norm(grad):9.5f}   {tau * tau * norm(grad):15.5f}")
    print(f"large-tau limit of |tau^2 grad KL|: {norm(high_tau_limit(TEACHER, STUDENT)):.5f}")
    per_token = [0.42, 0.17, 0.93]  # loss at 3 positions; the last is padding (label -100)
    mask = [1, 1, 0]
    masked = sum(v * m for v, m in zip(per_token, mask, strict=True)) / sum(mask)
    print(f"mean over real tokens {masked:.3f}; a plain mean including padding would give {sum(per_token) / 3:.3f}")
