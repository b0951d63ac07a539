"""Shared fixtures for the from-scratch snippets: the trained tiny LM (trained once, cached under .cache/tiny-lm/,
keyed by the training recipe, snippets/scratch/tiny_lm.py, the corpus and the library versions), its calibration and
held-out batches, and a memo of held-out perplexities after compression so two tests comparing against the same
baseline compress the model once."""

import copy
import dataclasses
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before transformers is imported

import torch  # noqa: E402

from snippets.scratch import tiny_lm  # noqa: E402


@dataclasses.dataclass
class Tiny:
    model: torch.nn.Module  # the trained fp32 model: never modify it, compress a copy()
    meta: dict
    path: Path  # the cached save_pretrained folder
    calibration: torch.Tensor  # [32, 128] byte windows from the training files
    heldout: torch.Tensor  # [64, 128] byte windows spread over the held-out files
    ppl: float  # held-out perplexity of the fp32 model

    def copy(self) -> torch.nn.Module:
        return copy.deepcopy(self.model)


@pytest.fixture(scope="session")
def tiny() -> Tiny:
    model, meta = tiny_lm.load_or_train()
    heldout = tiny_lm.heldout_windows()
    return Tiny(model, meta, Path(meta["path"]), tiny_lm.calibration_windows(), heldout,
                tiny_lm.perplexity(model, heldout))


@pytest.fixture(scope="session")
def compressed_ppl(tiny):
    """compressed_ppl(key, compressor): held-out perplexity of a copy of the model compressed sequentially."""
    memo = {}

    def evaluate(key, compressor):
        if key not in memo:
            model = tiny.copy()
            tiny_lm.compress_sequentially(model, tiny.calibration, compressor)
            memo[key] = tiny_lm.perplexity(model, tiny.heldout)
            print(f"\n{key}: held-out perplexity {memo[key]:.4f} (fp32 {tiny.ppl:.4f})")
        return memo[key]

    return evaluate
