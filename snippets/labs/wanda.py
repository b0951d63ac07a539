"""Lab "Pruning with Wanda": the settings of each scale and the steps its four notebooks share.

The pruning itself is the project's from-scratch code: Wanda (snippets/scratch/wanda.py), magnitude pruning
(magnitude.py) and SparseGPT (sparsegpt.py), applied to every linear layer of every decoder layer, one decoder layer
at a time, by ``tiny_lm.compress_sequentially``: calibration inputs go through decoder layer i, the inputs of its
linears are recorded, the linears are pruned, and the pruned layer's outputs become the inputs of layer i + 1. As in
the Wanda reference code (locuslab/wanda, lib/prune.py) and in llm-compressor, all linears of a decoder layer record
their inputs in one pass through the unpruned layer (``true_sequential=False``).

- ``scale="tiny"``: the project's trained byte-level Llama (snippets/scratch/tiny_lm.py), calibration and held-out
  windows of the Python standard library's source; runs on a CPU in seconds.
- ``scale="real"``: Qwen/Qwen2.5-0.5B from the Hugging Face Hub on a GPU, calibrated on C4 and evaluated on
  WikiText-2, the data of the Wanda paper (Sun et al., ICLR 2024, §4) and of its reference code.

The pruned model is saved with ``save_pretrained``: a dense checkpoint whose pruned weights are zeros.
"""

from __future__ import annotations

import contextlib
import copy
import random
import time
from pathlib import Path

import torch

from snippets.labs.common import device, lab_dir
from snippets.scratch import tiny_lm
from snippets.scratch.magnitude import magnitude_compressor
from snippets.scratch.sparsegpt import sparsegpt_compressor
from snippets.scratch.wanda import wanda_compressor

LAB = "wanda"

# --8<-- [start:config]
SETTINGS = {
    "tiny": {
        "model": "tiny byte-level Llama (snippets/scratch/tiny_lm.py)",
        "dtype": torch.float32,
        "calibration_samples": 32,  # windows of training text that the statistics come from
        "seq_len": 128,  # tokens (here bytes) per window
        "heldout_windows": 64,  # windows of held-out files for perplexity
        "batch_size": 8,  # windows per forward pass
        "torch_threads": 1,  # for pruning and perplexity: see cpu_threads()
        "sweep": [0.1, 0.3, 0.5, 0.6, 0.7],  # sparsities of the perplexity-versus-sparsity curve
        "prompt": "def ",
        "new_tokens": 32,
    },
    "real": {
        "model": "Qwen/Qwen2.5-0.5B",
        "dtype": torch.bfloat16,
        "calibration_samples": 128,  # the Wanda paper's setting: 128 sequences of 2048 tokens from C4 (§4)
        "seq_len": 2048,
        "heldout_windows": None,  # all of WikiText-2's test split, in windows of seq_len tokens
        "batch_size": 4,
        "torch_threads": None,  # torch's default
        "sweep": [0.1, 0.3, 0.5, 0.6, 0.7],
        "prompt": "The capital of France is",
        "new_tokens": 16,
    },
}
SPARSITY = 0.5  # fraction of the weights of every pruned linear set to zero (2:4 is always 0.5)
PATTERNS = {"unstructured": (0, 0), "2:4": (2, 4)}  # (n, m): n zeros in every m consecutive weights of a row
METHODS = ("magnitude", "wanda", "sparsegpt")
# Comparison group: the weights a score is ranked against. Wanda ranks within each output row (per_row=True);
# the usual magnitude baseline ranks across the whole layer (per_row=False); SparseGPT chooses its mask per block
# of 128 columns of the layer. In the 2:4 pattern every group of 4 is its own comparison group.
DEFAULT_PER_ROW = {"magnitude": False, "wanda": True, "sparsegpt": None}
# --8<-- [end:config]

# --8<-- [start:serve]
# The saved folder at scale="real" (lab_dir("wanda", "real") / "wanda-unstructured"), served by vLLM 0.33.0 like
# any dense model: the zeros need no flag and buy no speed. Both flags are engine arguments of
# vllm/engine/arg_utils.py (ModelConfig.max_model_len, CacheConfig.gpu_memory_utilization).
SERVE_WANDA = ("vllm serve ./.cache/labs/wanda/real/wanda-unstructured --max-model-len 4096 "
               "--gpu-memory-utilization 0.90")
# The same deployment for the GPU planner (python -m calculators plan ... --json): the pruned checkpoint is a
# bf16 checkpoint, so it plans exactly like the dense model.
PLAN_ARGS = ["plan", "Qwen/Qwen2.5-0.5B", "--weights", "bf16", "--seq-len", "4096", "--gpu", "l4",
             "--gpu-memory-utilization", "0.90"]
# --8<-- [end:serve]


def prepare(scale: str) -> dict:
    """Check the scale and return its SETTINGS."""
    from snippets.labs.common import check_scale

    return SETTINGS[check_scale(scale)]


@contextlib.contextmanager
def cpu_threads(scale: str):
    """Run the block with the scale's number of torch threads, then restore the previous number. At the tiny scale
    that is one thread: the tiny model's matrices (128 x 384 at most) are too small for a second thread to pay off,
    and on a shared 2-core machine a second thread that waits for a busy core made every pruning run several times
    slower (measured)."""
    before, wanted = torch.get_num_threads(), SETTINGS[scale]["torch_threads"]
    if wanted:
        torch.set_num_threads(wanted)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# --------------------------------------------------------------------------------------------------------------
# Model and data


def load_dense(scale: str):
    """The dense model, its tokenizer (None for the byte-level tiny model) and where it comes from."""
    if scale == "tiny":
        model, meta = tiny_lm.load_or_train()
        return model.eval(), None, meta["path"]
    from transformers import AutoModelForCausalLM, AutoTokenizer

    name = SETTINGS[scale]["model"]
    model = AutoModelForCausalLM.from_pretrained(name, dtype=SETTINGS[scale]["dtype"]).to(device()).eval()
    return model, AutoTokenizer.from_pretrained(name), name


def calibration(scale: str, tokenizer=None, seed: int = 0) -> torch.Tensor:
    """[samples, seq_len] token ids to calibrate on."""
    cfg = SETTINGS[scale]
    if scale == "tiny":
        return tiny_lm.calibration_windows(cfg["calibration_samples"], cfg["seq_len"])
    # As the Wanda reference code's get_c4: random documents longer than seq_len, one random window from each.
    from datasets import load_dataset

    data = load_dataset("allenai/c4", data_files={"train": "en/c4-train.00000-of-01024.json.gz"}, split="train")
    rng, windows = random.Random(seed), []
    while len(windows) < cfg["calibration_samples"]:
        ids = tokenizer(data[rng.randint(0, len(data) - 1)]["text"], return_tensors="pt").input_ids[0]
        if len(ids) > cfg["seq_len"]:
            start = rng.randint(0, len(ids) - cfg["seq_len"] - 1)
            windows.append(ids[start : start + cfg["seq_len"]])
    return torch.stack(windows)


def heldout(scale: str, tokenizer=None) -> torch.Tensor:
    """[windows, seq_len] held-out token ids for perplexity."""
    cfg = SETTINGS[scale]
    if scale == "tiny":
        return tiny_lm.heldout_windows(cfg["heldout_windows"], cfg["seq_len"])
    from datasets import load_dataset

    text = "\n\n".join(load_dataset("Salesforce/wikitext", "wikitext-2-raw-v1", split="test")["text"])
    ids = tokenizer(text, return_tensors="pt").input_ids[0]
    windows = ids[: len(ids) // cfg["seq_len"] * cfg["seq_len"]].reshape(-1, cfg["seq_len"])
    return windows if cfg["heldout_windows"] is None else windows[: cfg["heldout_windows"]]


def perplexity(model, windows: torch.Tensor, scale: str) -> float:
    """exp(mean next-token negative log-likelihood) over the windows (per byte at the tiny scale)."""
    with cpu_threads(scale):
        return tiny_lm.perplexity(model, windows, batch_size=SETTINGS[scale]["batch_size"])


# --------------------------------------------------------------------------------------------------------------
# Pruning


def compressor(method: str, sparsity: float = SPARSITY, pattern: str = "unstructured", per_row: bool | None = None):
    """The from-scratch pruning step for tiny_lm.compress_sequentially. per_row=None: the method's usual group."""
    n, m = PATTERNS[pattern]
    per_row = DEFAULT_PER_ROW[method] if per_row is None else per_row
    if method == "magnitude":
        return magnitude_compressor(sparsity, per_row=per_row, n=n, m=m)
    if method == "wanda":
        return wanda_compressor(sparsity, prune_n=n, prune_m=m, per_row=per_row)
    if method == "sparsegpt":
        return sparsegpt_compressor(sparsity, prunen=n, prunem=m)
    raise ValueError(f"method: expected one of {METHODS}; got {method!r}")


def prune(model, calibration_ids: torch.Tensor, method: str, scale: str, sparsity: float = SPARSITY,
          pattern: str = "unstructured", per_row: bool | None = None):
    """A pruned copy of `model`, the relative output error of every pruned linear, and the wall time in seconds."""
    pruned = copy.deepcopy(model)
    start = time.perf_counter()
    with cpu_threads(scale):
        errors = tiny_lm.compress_sequentially(pruned, calibration_ids, compressor(method, sparsity, pattern, per_row),
                                               batch_size=SETTINGS[scale]["batch_size"], true_sequential=False)
    return pruned, errors, time.perf_counter() - start


def checkpoint_dir(scale: str, method: str, pattern: str) -> Path:
    """Where 02-Prune saves a pruned model: lab_dir / "<method>-<pattern>" (2:4 written 2of4)."""
    return lab_dir(LAB, scale) / f"{method}-{pattern.replace(':', 'of')}"


def save(model, tokenizer, path: Path) -> Path:
    model.save_pretrained(path)  # plain safetensors: every zero is stored like any other value
    if tokenizer is not None:
        tokenizer.save_pretrained(path)
    return path


def load_checkpoint(path: Path):
    """Reload a saved checkpoint with plain transformers (no pruning code involved)."""
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path, dtype="auto").to(device()).eval()


# --------------------------------------------------------------------------------------------------------------
# Checking what was saved (the same checks as snippets/recipes/prune_llmcompressor.py, without importing
# llm-compressor, whose import alone takes seconds)


def pruned_linears(model) -> dict[str, torch.nn.Linear]:
    """The linears that compress_sequentially prunes: every linear of every decoder layer (not lm_head)."""
    return {f"model.layers.{i}.{name}": layer.get_submodule(name)
            for i, layer in enumerate(model.model.layers)
            for group in tiny_lm.SEQUENTIAL_GROUPS for name in group}


def follows_n_m(weight: torch.Tensor, n: int = 2, m: int = 4) -> bool:
    """True if every run of m consecutive input weights of a row has at least n zeros."""
    groups = weight.reshape(weight.shape[0], -1, m)
    return bool(((groups == 0).sum(dim=-1) >= n).all())


def sparsity_report(model) -> list[dict]:
    """For every pruned linear: its shape, the exact fraction of zero weights, and whether it is 2:4."""
    return [{"linear": name, "shape": list(linear.weight.shape),
             "zero_fraction": (linear.weight == 0).sum().item() / linear.weight.numel(),
             "is_2of4": follows_n_m(linear.weight)}
            for name, linear in pruned_linears(model).items()]


# --------------------------------------------------------------------------------------------------------------
# Generation and speed


def encode(text: str, tokenizer=None) -> torch.Tensor:
    """[1, tokens] ids of `text`: bytes for the tiny model, the tokenizer's tokens otherwise."""
    if tokenizer is None:
        return tiny_lm.encode(text.encode())[None]
    return tokenizer(text, return_tensors="pt").input_ids


def decode(ids: torch.Tensor, tokenizer=None) -> str:
    return tiny_lm.decode(ids) if tokenizer is None else tokenizer.decode(ids, skip_special_tokens=True)


@torch.no_grad()
def generate(model, prompt_ids: torch.Tensor, new_tokens: int) -> torch.Tensor:
    """Greedy continuation of the prompt; returns only the new ids."""
    ids = prompt_ids.to(model.device)
    out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=new_tokens,
                         min_new_tokens=new_tokens, do_sample=False, pad_token_id=0)
    return out[0, ids.shape[1]:].cpu()


@torch.no_grad()
def matmul_times(W_dense: torch.Tensor, W_pruned: torch.Tensor, tokens: int, is_2of4: bool) -> list[dict]:
    """Median time of one product W x for `tokens` input columns: the dense weights, the pruned weights still in a
    dense tensor, and the pruned weights in a sparse format (CSR on a CPU; on a CUDA GPU and for a 2:4 matrix,
    PyTorch's semi-structured format, which runs on the sparse tensor cores through CUTLASS or cuSPARSELt)."""
    from snippets.labs.common import median_seconds

    on_gpu = torch.cuda.is_available()
    dtype = torch.float16 if on_gpu else torch.float32
    W_dense, W_pruned = W_dense.to(device(), dtype), W_pruned.to(device(), dtype)
    x = torch.randn(W_dense.shape[1], tokens, device=device(), dtype=dtype)
    rows = [("dense weights", W_dense), ("pruned, dense tensor", W_pruned)]
    if not on_gpu:
        rows.append(("pruned, CSR sparse tensor", W_pruned.to_sparse_csr()))
    elif is_2of4:
        from torch.sparse import to_sparse_semi_structured

        rows.append(("pruned, 2:4 semi-structured", to_sparse_semi_structured(W_pruned)))
    result = []
    for label, W in rows:
        seconds = median_seconds(lambda W=W: torch.mm(W, x), warmup=3, repeats=20)
        result.append({"weights": label, "shape": list(W_dense.shape), "tokens": tokens, "ms": 1000 * seconds,
                       "dtype": str(dtype).removeprefix("torch.")})
    return result
