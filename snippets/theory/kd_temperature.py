"""Why the soft-target term of knowledge distillation is multiplied by tau^2, and how padding and prompt tokens are
kept out of a token-level distillation loss.

Run as a script, it prints
  1. for one pair of student and teacher logits, the size of the gradient of KL(p_teacher(tau) || p_student(tau))
     with respect to the student's logits, without and with the factor tau^2, against the high-temperature limit
     (z - v) / N of Hinton et al. (2015) for zero-mean logits;
  2. the masked mean of per-token losses for a padded batch, unchanged by the amount of padding.
Standard library only; deterministic (seeded).
"""

import math
import random

from snippets.common.distillation import kl, softmax

IGNORE_INDEX = -100  # the label transformers' loss functions skip


# --8<-- [start:kd]
def soft_loss(student: list[float], teacher: list[float], tau: float, scale_by_tau2: bool = True) -> float:
    """The soft-target term: tau^2 * KL(softmax(v / tau) || softmax(z / tau)), v teacher and z student logits."""
    value = kl(softmax(teacher, tau), softmax(student, tau))
    return tau**2 * value if scale_by_tau2 else value


def soft_loss_grad(student: list[float], teacher: list[float], tau: float, scale_by_tau2: bool = True) -> list[float]:
    """d KL / d z_i = (q_i - p_i) / tau, with q = softmax(z / tau), p = softmax(v / tau). The teacher's entropy does
    not depend on z, so this is also the gradient of the soft cross-entropy in Hinton et al. (2015, Eq. 2)."""
    q, p = softmax(student, tau), softmax(teacher, tau)
    factor = tau if scale_by_tau2 else 1 / tau
    return [factor * (qi - pi) for qi, pi in zip(q, p, strict=True)]


def high_temperature_limit(student: list[float], teacher: list[float]) -> list[float]:
    """As tau grows, tau * (q_i - p_i) -> ((z_i - mean z) - (v_i - mean v)) / N: logit matching, which is what the
    tau^2 factor keeps at a size independent of tau. Without it the gradient shrinks like 1 / tau^2."""
    n = len(student)
    zm, vm = sum(student) / n, sum(teacher) / n
    return [((z - zm) - (v - vm)) / n for z, v in zip(student, teacher, strict=True)]
# --8<-- [end:kd]


# --8<-- [start:mask]
def masked_mean(per_token: list[list[float]], labels: list[list[int]]) -> float:
    """Mean over the positions whose label is not IGNORE_INDEX (padding, prompt tokens): the denominator counts
    only those positions, so neither the amount of padding nor the prompt length changes the loss."""
    total, count = 0.0, 0
    for losses, row in zip(per_token, labels, strict=True):
        for loss, label in zip(losses, row, strict=True):
            if label != IGNORE_INDEX:
                total += loss
                count += 1
    return total / max(count, 1)
# --8<-- [end:mask]


def norm(v: list[float]) -> float:
    return math.sqrt(sum(x * x for x in v))


def main() -> None:
    rng = random.Random(0)
    vocab = 8
    teacher = [rng.gauss(0, 2) for _ in range(vocab)]
    student = [rng.gauss(0, 2) for _ in range(vocab)]
    limit = norm(high_temperature_limit(student, teacher))
    print(f"1. Gradient size with respect to the student's logits ({vocab} classes); limit |(z - v)/N| = {limit:.4f}")
    print(f"{'tau':>6}{'|grad KL|':>12}{'|grad tau^2 KL|':>17}{'/ limit':>9}")
    for tau in (1, 2, 4, 8, 16, 64):
        plain = norm(soft_loss_grad(student, teacher, tau, scale_by_tau2=False))
        scaled = norm(soft_loss_grad(student, teacher, tau))
        print(f"{tau:>6}{plain:>12.6f}{scaled:>17.4f}{scaled / limit:>9.3f}")

    print("\n2. Masked mean of per-token losses (labels -100 are prompt or padding)")
    losses = [[0.9, 1.2, 0.4, 0.7], [1.1, 0.3, 0.8, 0.0]]
    labels = [[IGNORE_INDEX, 5, 2, 7], [IGNORE_INDEX, IGNORE_INDEX, 4, IGNORE_INDEX]]
    padded_losses = [row + [0.0] * 4 for row in losses]
    padded_labels = [row + [IGNORE_INDEX] * 4 for row in labels]
    print(f"   4 tokens per row: {masked_mean(losses, labels):.4f}; padded to 8: "
          f"{masked_mean(padded_losses, padded_labels):.4f}; plain mean over all slots would give "
          f"{sum(map(sum, padded_losses)) / 16:.4f}")


if __name__ == "__main__":
    main()
