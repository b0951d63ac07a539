"""Level 3 worked example: the soft-target term of the distillation loss at tau = 1, 2, 4, 8, its gradient with and
without the tau^2 factor, and the masked mean over real (unpadded) tokens. Standard library.

    python -m snippets.level3_formalization.kd_temperature
"""

from __future__ import annotations

from snippets.common.distillation import kl, softmax
from snippets.theory.kd_temperature import high_temperature_limit, norm

TEACHER = [3.0, 1.0, 0.2, -1.0]  # logits z_t for one position, vocabulary of 4
STUDENT = [2.0, 1.5, 0.0, -0.5]  # logits z_s


# --8<-- [start:soft]
def soft_term(z_t: list[float], z_s: list[float], tau: float) -> tuple[float, list[float]]:
    """KL(softmax(z_t/tau) || softmax(z_s/tau)) and its gradient with respect to z_s, (p_s - p_t) / tau."""
    p_t, p_s = softmax(z_t, tau), softmax(z_s, tau)
    return kl(p_t, p_s), [(b - a) / tau for a, b in zip(p_t, p_s, strict=True)]
# --8<-- [end:soft]


if __name__ == "__main__":
    print("tau   KL(p_t||p_s)   |grad KL|   |tau^2 grad KL|")
    for tau in [1.0, 2.0, 4.0, 8.0]:
        divergence, grad = soft_term(TEACHER, STUDENT, tau)
        print(f"{tau:3.0f}   {divergence:12.5f}   {norm(grad):9.5f}   {tau * tau * norm(grad):15.5f}")
    print(f"large-tau limit of |tau^2 grad KL|: {norm(high_temperature_limit(STUDENT, TEACHER)):.5f}")
    per_token = [0.42, 0.17, 0.93]  # loss at 3 positions; the last is padding (label -100)
    mask = [1, 1, 0]
    masked = sum(v * m for v, m in zip(per_token, mask, strict=True)) / sum(mask)
    print(f"mean over real tokens {masked:.3f}; a plain mean including padding would give {sum(per_token) / 3:.3f}")
