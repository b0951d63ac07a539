"""Knowledge-distillation losses for causal language models (Hinton, Vinyals, Dean 2015, arXiv:1503.02531).

Logit distillation, per predicted token t (logits at position t predict token t + 1, as in transformers):

    L = alpha * tau^2 * KL(p_teacher(tau) || p_student(tau)) + (1 - alpha) * CE(student, label)

p(tau) = softmax(logits / tau). The soft-target gradient shrinks like 1 / tau^2 as tau grows; the tau^2 factor
keeps its size independent of tau, so alpha means the same thing at every temperature. Positions whose label is
-100 (padding, prompt tokens) count in neither term, and the mean is over the counted tokens only.

Feature distillation: mean squared error between hidden states (through a learned projection when the widths
differ), over the same counted positions.

    python -m snippets.scratch.kd_loss
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

IGNORE_INDEX = -100


# --8<-- [start:kd]
def kd_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor, tau: float = 2.0,
            alpha: float = 0.5) -> torch.Tensor:
    """student_logits, teacher_logits [batch, seq, vocab]; labels [batch, seq] aligned with the inputs."""
    s = student_logits[:, :-1].float()  # position t predicts token t + 1
    t = teacher_logits[:, :-1].float().detach()
    y = labels[:, 1:]
    mask = y != IGNORE_INDEX  # [batch, seq - 1]
    n = mask.sum().clamp(min=1)

    log_p_s = F.log_softmax(s / tau, dim=-1)
    log_p_t = F.log_softmax(t / tau, dim=-1)
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(dim=-1)  # KL(teacher || student) per token
    soft = (kl * mask).sum() / n * tau**2

    hard = F.cross_entropy(s[mask], y[mask], reduction="sum") / n
    return alpha * soft + (1 - alpha) * hard


def feature_loss(student_hidden: torch.Tensor, teacher_hidden: torch.Tensor, attention_mask: torch.Tensor,
                 proj: torch.nn.Module | None = None) -> torch.Tensor:
    """MSE between hidden states [batch, seq, width] at the positions where attention_mask is 1."""
    h = proj(student_hidden) if proj is not None else student_hidden
    mask = attention_mask.bool()
    return F.mse_loss(h[mask].float(), teacher_hidden[mask].float().detach())
# --8<-- [end:kd]


if __name__ == "__main__":
    torch.manual_seed(0)
    batch, seq, vocab = 2, 6, 10
    teacher = torch.randn(batch, seq, vocab)
    labels = torch.randint(0, vocab, (batch, seq))
    labels[1, 4:] = IGNORE_INDEX  # the second sequence is padded
    print(f"student == teacher, alpha = 1: {kd_loss(teacher, teacher, labels, alpha=1.0):.6f}")
    student = torch.randn(batch, seq, vocab)
    for tau in [1.0, 2.0, 4.0]:
        print(f"tau = {tau}: KD + CE loss of a random student {kd_loss(student, teacher, labels, tau):.4f}")
