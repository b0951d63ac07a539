"""Pieces every recipe shares: calibration text that needs no download, and reload-then-generate.

The calibration text here is the docstrings of the Python standard library: always on disk, English, varied. That
is enough to check that a recipe runs. For a model you will deploy, calibrate on text like its real traffic (a few
hundred chat transcripts, rendered with the model's chat template), not on docstrings.
"""

import importlib
import inspect
import re
import warnings

from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer

# Modules whose docstrings are long and varied; all ship with every CPython build.
STDLIB_MODULES = (
    "argparse", "ast", "asyncio", "bisect", "calendar", "collections", "configparser", "contextlib", "csv",
    "dataclasses", "datetime", "decimal", "difflib", "email", "enum", "fractions", "functools", "heapq", "http.client",
    "inspect", "itertools", "json", "logging", "os", "pathlib", "pickle", "queue", "random", "re", "shutil", "socket",
    "statistics", "string", "subprocess", "tarfile", "textwrap", "threading", "typing", "unittest", "urllib.request",
    "zipfile",
)


# --8<-- [start:texts]
def stdlib_docstrings(modules=STDLIB_MODULES, min_chars: int = 200) -> list[str]:
    """Docstrings of the public names in `modules`, whitespace-normalised, each at least `min_chars` long."""
    texts = set()
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name in dir(module):
            if name.startswith("_"):
                continue
            with warnings.catch_warnings():  # e.g. typing.io: reading a deprecated alias warns
                warnings.simplefilter("ignore", DeprecationWarning)
                doc = inspect.getdoc(getattr(module, name, None))
            if doc and len(doc) >= min_chars:
                texts.add(" ".join(doc.split()))
    return sorted(texts)  # sorted: the same calibration set on every run
# --8<-- [end:texts]


def stdlib_sentences(modules=STDLIB_MODULES, min_chars: int = 40, max_chars: int = 200) -> list[str]:
    """Single sentences cut from the same docstrings, for sentence-embedding work."""
    sentences = set()
    for text in stdlib_docstrings(modules, min_chars=0):
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if min_chars <= len(sentence) <= max_chars and sentence[0].isupper():
                sentences.add(sentence)
    return sorted(sentences)


# --8<-- [start:dataset]
def calibration_dataset(tokenizer, texts: list[str], max_seq_length: int) -> Dataset:
    """Tokenize `texts` into the dataset `oneshot` expects: one row of `input_ids`/`attention_mask` per text."""
    dataset = Dataset.from_dict({"text": texts})
    return dataset.map(
        lambda row: tokenizer(row["text"], max_length=max_seq_length, truncation=True, add_special_tokens=False),
        remove_columns=["text"],
    )
# --8<-- [end:dataset]


# --8<-- [start:reload]
def load_checkpoint(save_dir):
    """Load a saved checkpoint with plain transformers: returns (model, tokenizer).

    transformers reads `quantization_config` from config.json. For a compressed-tensors checkpoint the weights arrive
    packed (int4 codes in int32 words, or FP8), and the first forward pass decompresses the whole model in place
    (transformers 5.17 + compressed-tensors 0.19). So transformers checks a checkpoint; vLLM serves it with
    quantized kernels.
    """
    model = AutoModelForCausalLM.from_pretrained(save_dir, dtype="auto", device_map="auto")
    return model, AutoTokenizer.from_pretrained(save_dir)


def generate_tokens(model, tokenizer, prompt: str = "Return the number of", max_new_tokens: int = 8):
    """Greedy generation; returns only the new token ids."""
    inputs = tokenizer(prompt, return_tensors="pt").to(model.device)
    output_ids = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    return output_ids[0, inputs["input_ids"].shape[1]:]


def reload_and_generate(save_dir, prompt: str = "Return the number of", max_new_tokens: int = 8):
    """Reload `save_dir` and generate a few tokens: returns (model, new token ids)."""
    model, tokenizer = load_checkpoint(save_dir)
    return model, generate_tokens(model, tokenizer, prompt, max_new_tokens)
# --8<-- [end:reload]
