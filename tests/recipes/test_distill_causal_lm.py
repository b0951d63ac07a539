"""Logit distillation: the loss (masking, temperature, tau^2) on hand-made tensors, then a short run on tiny Llamas."""

import pytest
import torch
import torch.nn.functional as F
from transformers import LlamaConfig, LlamaForCausalLM

from snippets.recipes.distill_causal_lm import IGNORE_INDEX, distill, distillation_loss, make_batches, mean_kl
from snippets.recipes.tiny_llama import TINY_LLAMA

VOCAB = 11


def random_case(seed=0, batch=3, seq=7):
    generator = torch.Generator().manual_seed(seed)
    student = torch.randn(batch, seq, VOCAB, generator=generator)
    teacher = torch.randn(batch, seq, VOCAB, generator=generator)
    labels = torch.randint(0, VOCAB, (batch, seq), generator=generator)
    labels[0, 4:] = IGNORE_INDEX  # right padding
    labels[2, :2] = IGNORE_INDEX  # left padding
    return student, teacher, labels


def test_kl_is_zero_and_loss_is_ce_when_student_equals_teacher():
    _, teacher, labels = random_case()
    loss, kl, ce = distillation_loss(teacher.clone(), teacher, labels, temperature=3.0, alpha=0.7)
    assert kl.item() == pytest.approx(0.0, abs=1e-6)
    assert loss.item() == pytest.approx(0.3 * ce.item(), rel=1e-5)


def test_soft_term_matches_torch_kl_div_times_tau_squared():
    student, teacher, labels = random_case()
    tau = 2.5
    loss, _, _ = distillation_loss(student, teacher, labels, temperature=tau, alpha=1.0)
    valid = labels[:, 1:] != IGNORE_INDEX  # logits at t predict token t + 1
    s = F.log_softmax(student[:, :-1][valid] / tau, dim=-1)
    t = F.log_softmax(teacher[:, :-1][valid] / tau, dim=-1)
    expected = tau**2 * F.kl_div(s, t, log_target=True, reduction="batchmean")  # mean over valid tokens
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_padded_positions_do_not_change_the_loss():
    student, teacher, labels = random_case()
    loss, _, _ = distillation_loss(student, teacher, labels)
    masked = torch.zeros_like(labels, dtype=torch.bool)
    masked[:, :-1] = labels[:, 1:] == IGNORE_INDEX  # positions whose next token is padding
    student2, teacher2 = student.clone(), teacher.clone()
    student2[masked] = 100 * torch.randn_like(student2[masked])
    teacher2[masked] = -100 * torch.randn_like(teacher2[masked])
    loss2, _, _ = distillation_loss(student2, teacher2, labels)
    assert loss2.item() == pytest.approx(loss.item(), rel=1e-6)


def test_tau_squared_keeps_soft_gradients_comparable_across_temperatures():
    """Without tau^2 the soft-target gradient shrinks like 1/tau^2; with it, it stays the same order."""
    student, teacher, labels = random_case()
    norms = {}
    for tau in (1.0, 4.0):
        logits = student.clone().requires_grad_(True)
        distillation_loss(logits, teacher, labels, temperature=tau, alpha=1.0)[0].backward()
        norms[tau] = logits.grad.norm().item()
    assert 0.2 < norms[4.0] / norms[1.0] < 5  # 1/16 without the factor


def test_distillation_brings_a_small_student_closer_to_a_frozen_teacher(tiny_llama_dir, tiny_tokenizer,
                                                                        calibration_texts):
    torch.manual_seed(0)
    teacher = LlamaForCausalLM.from_pretrained(tiny_llama_dir)
    with torch.no_grad():  # a random teacher predicts near-uniform tokens; sharpen it so there is something to learn
        teacher.lm_head.weight.mul_(25)
    config = LlamaConfig(**{**TINY_LLAMA, "num_hidden_layers": 1, "vocab_size": len(tiny_tokenizer)})
    student = LlamaForCausalLM(config)
    train = make_batches(tiny_tokenizer, calibration_texts[:32], batch_size=8, max_length=64)
    held_out = make_batches(tiny_tokenizer, calibration_texts[-16:], batch_size=8, max_length=64)

    before = mean_kl(student, teacher, held_out)
    frozen = {name: p.clone() for name, p in teacher.named_parameters()}
    losses = distill(student, teacher, train, steps=40, lr=3e-3)
    after = mean_kl(student, teacher, held_out)

    assert not teacher.training and all(not p.requires_grad for p in teacher.parameters())
    assert all(torch.equal(p, frozen[name]) for name, p in teacher.named_parameters())
    assert losses[-1] < losses[0]
    print(f"held-out KL {before:.3f} -> {after:.3f}")
    assert after < 0.7 * before, (before, after)
