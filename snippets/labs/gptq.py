"""The GPTQ lab (docs/en/labs/gptq/): quantize a causal LM to 4-bit weights with llm-compressor's GPTQ, beside the
project's from-scratch GPTQ and round-to-nearest (RTN), reload the compressed checkpoint, and measure it.

Two scales share every function here. ``tiny``: the project's byte-level Llama (snippets/scratch/tiny_lm.py, trained
once on the Python standard library and cached), calibrated and evaluated on byte windows, on a CPU in minutes.
``real``: Qwen/Qwen2.5-0.5B from the Hugging Face Hub on a GPU, calibrated on random 2048-token windows of
WikiText-2's training split and evaluated on its test split, as the GPTQ paper's setup does with C4 and WikiText-2
(Frantar et al., 2023, Section 5). Both scales turn text into the same thing, a tensor of token-id windows
[n, seq_len], so calibration, perplexity and both GPTQ implementations take the same input.

Read it top-down: settings, models and data, the three quantizers, what the notebooks measure, deployment.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path

import torch

from snippets.labs.common import lab_dir
from snippets.scratch import tiny_lm
from snippets.scratch.gptq import gptq_compressor
from snippets.scratch.rtn import rtn, rtn_compressor

LAB = "gptq"

# --8<-- [start:config]
SETTINGS = {
    "tiny": {
        "model": "tiny-lm (snippets/scratch/tiny_lm.py)",  # byte-level Llama, 4 layers, hidden size 128
        "bits": 4,                  # weight bits (W4A16: activations stay in the model's float type)
        "group_size": 32,           # input channels per scale (hidden size 128: 128 would be one scale per row)
        "symmetric": True,          # no zero point, as in compressed-tensors' W4A16 preset
        "actorder": "static",       # llm-compressor's default: columns by decreasing H_ii, groups fixed beforehand
        "dampening_frac": 0.01,     # lambda = 1% of the mean diagonal of H (the paper's choice)
        "block_size": 128,          # columns per lazy-batch block
        "calibration_samples": 16,  # windows of seq_len tokens
        "seq_len": 128,
        "heldout_samples": 32,      # evaluation windows (None: the whole test split)
        "batch_size": 8,            # calibration and evaluation batch
        "sweep_bits": [8, 4, 3],    # the perplexity-versus-bits comparison in 04-Benchmark
        "prompt": "def ",
        "new_tokens": 48,           # bytes at this scale
    },
    "real": {
        "model": "Qwen/Qwen2.5-0.5B",
        "bits": 4,
        "group_size": 128,          # compressed-tensors' W4A16 preset
        "symmetric": True,
        "actorder": "static",
        "dampening_frac": 0.01,
        "block_size": 128,
        "calibration_samples": 128,  # the paper's 128 random 2048-token segments
        "seq_len": 2048,
        "heldout_samples": None,
        "batch_size": 2,
        "sweep_bits": [8, 4, 3],
        "prompt": "The capital of France is",
        "new_tokens": 24,           # tokens at this scale
        "dataset": ["Salesforce/wikitext", "wikitext-2-raw-v1"],
    },
}
# --8<-- [end:config]

COMPRESSED = "gptq-w4a16"  # llm-compressor's checkpoint, compressed-tensors pack-quantized
SCRATCH_GPTQ = "scratch-gptq"  # the from-scratch GPTQ model (dequantized weights, saved dense)
RTN = "rtn"  # round-to-nearest, same grid (dequantized weights, saved dense)
DENSE = "dense"  # the unquantized model saved the same way, for sizes on disk

# --8<-- [start:serve]
# Serve the real-scale checkpoint that 02-Quantize writes (run from the repository root, on a machine with vLLM and a
# GPU). No --quantization flag: vLLM reads quantization_config from config.json.
SERVE_GPTQ_LAB = "vllm serve .cache/labs/gptq/real/gptq-w4a16 --max-model-len 4096 --gpu-memory-utilization 0.90"
# --8<-- [end:serve]
SERVE_FLAGS = ("--max-model-len", "--gpu-memory-utilization")


# ---------------------------------------------------------------------------------------------------------------
# Models and data

def load_dense(scale: str):
    """The unquantized model (eval mode, on CPU) and its tokenizer (None at the tiny scale: tokens are bytes).

    The model comes from ``from_pretrained`` in both cases: llm-compressor's oneshot reads ``model.name_or_path``.
    """
    if scale == "tiny":
        model, _ = tiny_lm.load_or_train()
        return model, None
    from transformers import AutoModelForCausalLM, AutoTokenizer

    name = SETTINGS[scale]["model"]
    return AutoModelForCausalLM.from_pretrained(name, dtype=torch.bfloat16).eval(), AutoTokenizer.from_pretrained(name)


def _wikitext_ids(tokenizer, split: str) -> torch.Tensor:
    from datasets import load_dataset

    rows = load_dataset(*SETTINGS["real"]["dataset"], split=split)["text"]
    return tokenizer("\n\n".join(rows), return_tensors="pt", add_special_tokens=False).input_ids[0]


def calibration_ids(scale: str, tokenizer=None, n: int | None = None) -> torch.Tensor:
    """[n, seq_len] token ids at random offsets of the training text (seeded: the same set on every run)."""
    s = SETTINGS[scale]
    n = n or s["calibration_samples"]
    if scale == "tiny":
        return tiny_lm.calibration_windows(n, s["seq_len"])
    return tiny_lm.random_windows(_wikitext_ids(tokenizer, "train"), n, s["seq_len"], torch.Generator().manual_seed(1))


def heldout_ids(scale: str, tokenizer=None) -> torch.Tensor:
    """[n, seq_len] evaluation windows: spread over the held-out files (tiny), consecutive over WikiText-2 test."""
    s = SETTINGS[scale]
    if scale == "tiny":
        return tiny_lm.heldout_windows(s["heldout_samples"], s["seq_len"])
    ids = _wikitext_ids(tokenizer, "test")
    windows = ids[: len(ids) // s["seq_len"] * s["seq_len"]].reshape(-1, s["seq_len"])
    return windows if s["heldout_samples"] is None else windows[: s["heldout_samples"]]


def perplexity(model, windows: torch.Tensor, scale: str) -> float:
    """exp(mean next-token negative log-likelihood) over every predicted position (per byte at the tiny scale)."""
    return tiny_lm.perplexity(model, windows, batch_size=SETTINGS[scale]["batch_size"])


def to_device(model):
    from snippets.labs.common import device

    return model.to(device())


# ---------------------------------------------------------------------------------------------------------------
# The three quantizers

# --8<-- [start:oneshot]
def gptq_recipe(scale: str, bits: int | None = None):
    """llm-compressor's GPTQModifier with the lab's settings: int weights, one scale per group, lm_head kept."""
    from llmcompressor.modifiers.gptq import GPTQModifier

    s = SETTINGS[scale]
    weights = {"num_bits": bits or s["bits"], "type": "int", "symmetric": s["symmetric"], "strategy": "group",
               "group_size": s["group_size"]}
    return GPTQModifier(ignore=["lm_head"], actorder=s["actorder"], block_size=s["block_size"],
                        dampening_frac=s["dampening_frac"],
                        config_groups={"group_0": {"targets": ["Linear"], "weights": weights}})


def quantize_with_llmcompressor(model, calibration: torch.Tensor, scale: str, tokenizer=None, log: bool = False):
    """Run oneshot(GPTQModifier) on `model` in place, one decoder layer at a time (the sequential pipeline).

    The batches are token ids already, so no tokenizer is needed; a non-None processor stops oneshot from looking
    for one in the model's folder (the tiny model has none). log=False silences llm-compressor's per-module log
    lines (timestamped, so a notebook's stored output would change on every run).
    """
    from torch.utils.data import DataLoader

    with contextlib.redirect_stdout(io.StringIO()):  # importing llm-compressor without a GPU logs a warning
        from llmcompressor import LoggerConfig, configure_logger, oneshot
    configure_logger(LoggerConfig(disabled=not log))

    batches = DataLoader([{"input_ids": x} for x in calibration], batch_size=SETTINGS[scale]["batch_size"])
    oneshot(model=model, dataset=batches, processor=tokenizer if tokenizer is not None else object(),
            recipe=gptq_recipe(scale), pipeline="sequential")
    return model
# --8<-- [end:oneshot]


# --8<-- [start:scratch]
def quantize_from_scratch(model, calibration: torch.Tensor, scale: str, method: str = "gptq",
                          bits: int | None = None) -> dict[str, float]:
    """The project's GPTQ or RTN on every decoder linear of `model` (in place), layer by layer.

    Same grid as llm-compressor (symmetric int, one scale per group, groups fixed from the original weights) and,
    for GPTQ, the same column order (act-order) and dampening. Every linear of a layer is calibrated in one pass, as
    llm-compressor does. Returns each linear's relative output error ||WX - W'X'||^2 / ||WX||^2.
    """
    s = SETTINGS[scale]
    bits = bits or s["bits"]
    if method == "gptq":
        compress = gptq_compressor(bits, s["group_size"], sym=s["symmetric"], actorder=s["actorder"] is not None,
                                   static_groups=True, blocksize=s["block_size"], percdamp=s["dampening_frac"])
    elif method == "rtn":
        compress = rtn_compressor(bits, s["group_size"], sym=s["symmetric"])
    else:
        raise ValueError(f"method: expected 'gptq' or 'rtn', got {method!r}")
    return tiny_lm.compress_sequentially(model, calibration, compress, batch_size=s["batch_size"],
                                         true_sequential=False)
# --8<-- [end:scratch]


@torch.no_grad()
def round_to_nearest(model, scale: str, bits: int | None = None):
    """RTN on every decoder linear without calibration data (the same weights quantize_from_scratch(..., "rtn")
    gives, without the forward passes that measure errors): for sweeps."""
    s = SETTINGS[scale]
    for layer in model.model.layers:
        for name in [n for group in tiny_lm.SEQUENTIAL_GROUPS for n in group]:
            linear = layer.get_submodule(name)
            linear.weight.copy_(rtn(linear.weight.float(), bits or s["bits"], s["symmetric"], "group",
                                    s["group_size"])[0])
    return model


def quantized_copy(model, calibration, scale: str, method: str, bits: int):
    """A quantized deep copy of `model` (the original is untouched)."""
    out = copy.deepcopy(model)
    if method == "gptq":
        quantize_from_scratch(out, calibration, scale, "gptq", bits)
    else:
        round_to_nearest(out, scale, bits)
    return out


# ---------------------------------------------------------------------------------------------------------------
# What the notebooks measure

def layer_error_rows(errors: dict[str, dict[str, float]]) -> list[dict]:
    """{"rtn": {linear: err}, "gptq": {...}} -> one record per linear: layer index, linear name, each method's error
    and the ratio RTN / GPTQ."""
    rows = []
    for name in errors["rtn"]:
        layer = int(name.split(".")[2])
        rows.append({"layer": layer, "linear": name.split(".", 3)[3], "rtn": errors["rtn"][name],
                     "gptq": errors["gptq"][name], "ratio": errors["rtn"][name] / errors["gptq"][name]})
    return rows


def generate(model, scale: str, tokenizer=None, prompt: str | None = None) -> str:
    """Greedy continuation of the prompt, decoded (bytes as UTF-8 at the tiny scale)."""
    s = SETTINGS[scale]
    prompt = prompt or s["prompt"]
    ids = tiny_lm.encode(prompt.encode()) if tokenizer is None else tokenizer(prompt, return_tensors="pt").input_ids[0]
    ids = ids.unsqueeze(0).to(model.device)
    out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=s["new_tokens"],
                         do_sample=False, pad_token_id=tokenizer.eos_token_id if tokenizer is not None else 0)
    new = out[0, ids.shape[1]:].cpu()
    return tiny_lm.decode(new) if tokenizer is None else tokenizer.decode(new)


def tensor_bytes(model) -> int:
    """Bytes of every parameter and buffer the model holds now (packed int32 words count as they are stored)."""
    return sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()])


def checkpoint_breakdown(folder: Path) -> dict[str, int]:
    """Bytes of the safetensors tensors of a checkpoint, split into the quantized linears' tensors (packed codes,
    scales, shapes) and everything kept in floating point (embeddings, lm_head, norms)."""
    from safetensors import safe_open

    out = {"quantized_linears": 0, "kept_float": 0}
    for file in sorted(Path(folder).glob("*.safetensors")):
        with safe_open(file, "pt") as f:
            for name in f.keys():  # noqa: SIM118 - safe_open is not iterable
                t = f.get_slice(name)
                numel = 1
                for d in t.get_shape():
                    numel *= d
                nbytes = numel * torch.empty(0, dtype=_dtype(t.get_dtype())).element_size()
                quantized = name.endswith(("weight_packed", "weight_scale", "weight_shape", "weight_zero_point"))
                out["quantized_linears" if quantized else "kept_float"] += nbytes
    return out


def _dtype(name: str) -> torch.dtype:
    return {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16, "I32": torch.int32,
            "I64": torch.int64, "I8": torch.int8, "U8": torch.uint8}[name]


def saved_quantization_config(folder: Path) -> dict:
    """The weights block of the quantization_config that config.json carries (what vLLM reads)."""
    config = json.loads((Path(folder) / "config.json").read_text())["quantization_config"]
    weights = config["config_groups"]["group_0"]["weights"]
    return {"quant_method": config["quant_method"], "format": config["format"], "num_bits": weights["num_bits"],
            "group_size": weights["group_size"], "symmetric": weights["symmetric"], "actorder": weights["actorder"],
            "ignore": config["ignore"]}


# ---------------------------------------------------------------------------------------------------------------
# Deployment

def planner_prediction(model: str = "Qwen/Qwen2.5-0.5B", seq_len: int = 4096, gpu: str = "l4") -> list[dict]:
    """The handbook's GPU planner (calculators package) for serving `model` with vLLM, dense bf16 against GPTQ int4
    with groups of 128: bytes per GPU by term."""
    from calculators import load_spec, memory_plan

    rows = []
    for weights in ("bf16", "gptq-int4"):
        plan = memory_plan(load_spec(model), weights=weights, seq_len=seq_len, gpu=gpu).to_dict()
        rows.append({"weights": plan["weights_format"], "gpu": plan["gpu_name"], "seq_len": seq_len,
                     "weights_bytes": plan["breakdown"]["weights"], "kv_cache_bytes": plan["breakdown"]["kv_cache"],
                     "per_gpu_bytes": plan["per_gpu_bytes"], "fits": plan["fits"],
                     "max_batch": plan["max_batch"]})
    return rows


def paths(scale: str) -> dict[str, Path]:
    """Where the lab's checkpoints live between notebooks."""
    root = lab_dir(LAB, scale)
    return {name: root / name for name in (COMPRESSED, SCRATCH_GPTQ, RTN, DENSE)} | {"probe": root / "probe.pt"}
