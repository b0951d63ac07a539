"""Logit distillation of a causal language model, in a plain PyTorch loop.

The student learns from the teacher's whole next-token distribution, softened by a temperature tau, plus the usual
cross-entropy on the real next token (Hinton et al., 2015, "Distilling the Knowledge in a Neural Network"):

    loss = alpha * tau^2 * KL(p_teacher^tau || p_student^tau) + (1 - alpha) * CE(student, next token)

- The KL is computed per token and averaged over the tokens that have a next-token label; padding never counts.
- tau^2 keeps the gradient of the soft term the same size as tau changes (its gradient scales as 1/tau^2).
- The teacher is frozen: eval mode (no dropout), no gradients.
Teacher and student must share the tokenizer (the same vocabulary, in the same order).
"""

import torch
import torch.nn.functional as F

IGNORE_INDEX = -100  # label value that transformers' loss functions skip


# --8<-- [start:loss]
def distillation_loss(student_logits, teacher_logits, labels, temperature: float = 2.0, alpha: float = 0.5):
    """Return (loss, kl, ce) for logits of shape (batch, seq, vocab) and labels of shape (batch, seq).

    labels[b, t] is the token at position t (IGNORE_INDEX on padding); the logits at position t predict t + 1.
    """
    student_logits, teacher_logits = student_logits[:, :-1], teacher_logits[:, :-1]  # position t predicts t + 1
    targets = labels[:, 1:]
    mask = targets != IGNORE_INDEX

    log_p_student = F.log_softmax(student_logits / temperature, dim=-1)
    log_p_teacher = F.log_softmax(teacher_logits / temperature, dim=-1)
    kl_per_token = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(dim=-1)  # KL(teacher || student)
    kl = (kl_per_token * mask).sum() / mask.sum()

    ce = F.cross_entropy(student_logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX)
    loss = alpha * temperature**2 * kl + (1 - alpha) * ce
    return loss, kl, ce
# --8<-- [end:loss]


# --8<-- [start:batches]
def make_batches(tokenizer, texts: list[str], batch_size: int = 8, max_length: int = 128):
    """Tokenize `texts` into padded batches with labels (padding -> IGNORE_INDEX)."""
    batches = []
    for start in range(0, len(texts), batch_size):
        enc = tokenizer(
            texts[start:start + batch_size], padding=True, truncation=True, max_length=max_length, return_tensors="pt"
        )
        enc["labels"] = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, IGNORE_INDEX)
        batches.append(enc)
    return batches
# --8<-- [end:batches]


# --8<-- [start:train]
def distill(student, teacher, batches, steps: int, lr: float = 1e-3, temperature: float = 2.0, alpha: float = 0.5):
    """Train `student` to imitate `teacher` for `steps` optimizer steps, cycling over `batches`; returns losses."""
    teacher.eval().requires_grad_(False)
    student.train()
    optimizer = torch.optim.AdamW(student.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        batch = batches[step % len(batches)]
        inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
        with torch.no_grad():
            teacher_logits = teacher(**inputs).logits
        student_logits = student(**inputs).logits
        loss, _, _ = distillation_loss(student_logits, teacher_logits, batch["labels"], temperature, alpha)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses
# --8<-- [end:train]


@torch.no_grad()
def mean_kl(student, teacher, batches, temperature: float = 1.0) -> float:
    """Average per-token KL(teacher || student) over `batches`, for checking that distillation helped."""
    student.eval()
    teacher.eval()
    total, count = 0.0, 0
    for batch in batches:
        inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
        _, kl, _ = distillation_loss(student(**inputs).logits, teacher(**inputs).logits, batch["labels"], temperature)
        valid = int((batch["labels"][:, 1:] != IGNORE_INDEX).sum())
        total, count = total + kl.item() * valid, count + valid
    return total / count
