"""What each CPU-capable recipe costs at the tests' tiny scale: seconds and peak resident memory per step.

Usage: ``python -m benchmarks.recipe_costs`` (Linux: it reads /proc/self). Builds the tiny model of
snippets/recipes/tiny_llama.py (a randomly initialised 2-layer Llama, hidden size 128, float32, with a byte-level BPE
tokenizer trained on standard-library docstrings), runs every recipe that works without a GPU once, with the
calibration sizes the CPU tests use, and writes ``benchmarks/results/recipes-cpu.json``:

    {"machine": {...}, "tiny_model": {...}, "records": [{"recipe", "step", "seconds", "peak_rss_mib",
     "rss_start_mib", "checkpoint_bytes"}, ...], "checkpoints": {recipe: {...}}, "metrics": {recipe: {...}},
     "method": {...}}

Steps. For the llm-compressor recipes (GPTQ, AWQ, FP8, SparseGPT, Wanda) the recipe function runs unchanged and is
split where `oneshot` returns: "quantize" (or "prune") is loading the model, tokenizing the calibration texts and
`oneshot`; "save" is `save_pretrained` of model and tokenizer; "reload+generate" is `reload_and_generate` (plain
transformers, 8 greedy tokens). The distillation recipes have "distill" (the training loop) and "evaluate" steps.

Time: wall clock, ``time.perf_counter``. Memory: the peak resident set size of this process during the step,
``resource.getrusage(RUSAGE_SELF).ru_maxrss``, after resetting the kernel's high-water mark to the current RSS at
the start of the step (writing 5 to /proc/self/clear_refs, Linux >= 4.0). It counts everything resident: the
interpreter and the libraries (torch, transformers, llm-compressor), which at this scale outweigh the model, so
each record also gives ``rss_start_mib``, the RSS when the step began. Where the reset is not possible the figure is
the process's peak so far, and ``method.rss_reset`` says so. These are tiny-model CPU figures: they show what a
recipe's machinery costs, not what a real model costs (the GPU tests measure that).
"""

from __future__ import annotations

import datetime
import gc
import importlib.metadata
import json
import os
import platform
import resource
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM  # noqa: E402

from benchmarks import RESULTS, ROOT  # noqa: E402
from snippets.recipes import (  # noqa: E402
    awq_llmcompressor,
    distill_causal_lm,
    distill_minilm,
    fp8_llmcompressor,
    gptq_llmcompressor,
    prune_llmcompressor,
)
from snippets.recipes.common import reload_and_generate, stdlib_docstrings  # noqa: E402
from snippets.recipes.tiny_llama import TINY_LLAMA, build_tokenizer, save_random_llama  # noqa: E402

RESULT = RESULTS / "recipes-cpu.json"
MIB = 2**20
MINILM_STEPS = 30  # as tests/recipes/test_distill_minilm.py
CAUSAL_LM_STEPS = 40  # as tests/recipes/test_distill_causal_lm.py


# --- memory -------------------------------------------------------------------------------------------------------

def current_rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter to the current RSS; False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


RSS_RESET = reset_peak_rss()


class Recorder:
    def __init__(self):
        self.records: list[dict] = []

    def add(self, recipe, step, seconds, peak_mib, start_mib, checkpoint_bytes=None):
        record = {
            "recipe": recipe, "step": step, "seconds": round(seconds, 2), "peak_rss_mib": round(peak_mib, 1),
            "rss_start_mib": round(start_mib, 1), "checkpoint_bytes": checkpoint_bytes,
        }
        self.records.append(record)
        print(f"{recipe:24s} {step:16s} {record['seconds']:8.2f} s  peak {record['peak_rss_mib']:8.1f} MiB"
              f"  (start {record['rss_start_mib']:.1f})", flush=True)

    @contextmanager
    def step(self, recipe: str, step: str, checkpoint=None):
        gc.collect()
        reset_peak_rss()
        start_mib, start = current_rss_mib(), time.perf_counter()
        yield
        seconds, peak = time.perf_counter() - start, peak_rss_mib()
        self.add(recipe, step, seconds, peak, start_mib, None if checkpoint is None else folder_bytes(checkpoint))

    def run_split(self, recipe: str, module, fn, /, *args, first_step: str = "quantize", **kwargs) -> Path:
        """Run a recipe function (load, oneshot, save) unchanged; record two steps split where oneshot returns."""
        real_oneshot = module.oneshot
        mark = {}

        def timed_oneshot(*a, **k):
            result = real_oneshot(*a, **k)
            mark.update(time=time.perf_counter(), peak=peak_rss_mib(), rss=current_rss_mib())
            reset_peak_rss()
            return result

        gc.collect()
        reset_peak_rss()
        start_mib, start = current_rss_mib(), time.perf_counter()
        with mock.patch.object(module, "oneshot", timed_oneshot):
            save_dir = Path(fn(*args, **kwargs))
        end, save_peak = time.perf_counter(), peak_rss_mib()
        self.add(recipe, first_step, mark["time"] - start, mark["peak"], start_mib)
        self.add(recipe, "save", end - mark["time"], save_peak, mark["rss"], folder_bytes(save_dir))
        return save_dir


def folder_bytes(folder) -> int:
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())


def safetensors_bytes(folder) -> int:
    return sum(f.stat().st_size for f in Path(folder).glob("*.safetensors"))


def saved_scheme(folder) -> dict | None:
    """The essentials of the `quantization_config` a recipe wrote into config.json (None for a dense checkpoint)."""
    config = json.loads((Path(folder) / "config.json").read_text()).get("quantization_config")
    if config is None:
        return None
    group = next(iter(config["config_groups"].values()))
    weights, activations = group["weights"], group.get("input_activations")
    return {
        "quant_method": config["quant_method"], "format": config["format"], "ignore": config.get("ignore"),
        "weights": {k: weights.get(k) for k in ("num_bits", "type", "symmetric", "strategy", "group_size")},
        "input_activations": None if activations is None else {
            k: activations.get(k) for k in ("num_bits", "type", "strategy", "dynamic")
        },
    }


# --- recipes ------------------------------------------------------------------------------------------------------

def quantization_and_pruning(rec: Recorder, model_dir: Path, texts: list[str], work: Path, checkpoints, metrics):
    """Every llm-compressor recipe at the CPU tests' calibration sizes."""
    runs = [
        ("gptq-w4a16", gptq_llmcompressor, gptq_llmcompressor.quantize_gptq_w4a16,
         dict(texts=texts, num_samples=16, max_seq_length=64), "quantize"),
        ("awq-w4a16-asym", awq_llmcompressor, awq_llmcompressor.quantize_awq_w4a16_asym,
         dict(texts=texts, num_samples=8, max_seq_length=64, n_grid=4), "quantize"),
        ("fp8-dynamic", fp8_llmcompressor, fp8_llmcompressor.quantize_fp8_dynamic, {}, "quantize"),
        ("fp8-static", fp8_llmcompressor, fp8_llmcompressor.quantize_fp8_static,
         dict(texts=texts, num_samples=8, max_seq_length=64), "quantize"),
    ]
    for method, factory in (("sparsegpt", prune_llmcompressor.sparsegpt_recipe),
                            ("wanda", prune_llmcompressor.wanda_recipe)):
        for mask_structure, label in (("0:0", "unstructured"), ("2:4", "2of4")):
            runs.append((f"{method}-{label}", prune_llmcompressor, prune_llmcompressor.prune,
                         dict(recipe=factory(0.5, mask_structure), texts=texts, num_samples=8, max_seq_length=64),
                         "prune"))

    source_bytes = safetensors_bytes(model_dir)
    for name, module, fn, kwargs, first_step in runs:
        save_dir = rec.run_split(name, module, fn, model_dir, work / name, first_step=first_step, **kwargs)
        with rec.step(name, "reload+generate"):
            model, new_tokens = reload_and_generate(save_dir)
        weights = safetensors_bytes(save_dir)
        checkpoints[name] = {
            "bytes": folder_bytes(save_dir), "safetensors_bytes": weights,
            "ratio_to_source": round(weights / source_bytes, 3), "quantization_config": saved_scheme(save_dir),
        }
        settings = {k: v for k, v in kwargs.items() if k not in ("texts", "recipe")}
        metrics[name] = {"new_tokens": len(new_tokens), **settings}
        if module is prune_llmcompressor:
            sparsity = prune_llmcompressor.linear_sparsity(model)
            pruned = [s for layer, s in sparsity.items() if not layer.endswith("lm_head")]
            layers = [m.weight for n, m in model.named_modules()
                      if isinstance(m, torch.nn.Linear) and not n.endswith("lm_head")]
            metrics[name].update(
                mean_linear_sparsity=round(sum(pruned) / len(pruned), 4),
                lm_head_sparsity=round(sparsity["lm_head"], 4),
                all_layers_2of4=all(prune_llmcompressor.follows_n_m(w, 2, 4) for w in layers),
            )
        del model


def causal_lm_distillation(rec: Recorder, model_dir: Path, tokenizer, texts: list[str], metrics):
    """The setting of tests/recipes/test_distill_causal_lm.py: the tiny Llama (its lm_head sharpened 25x, so that a
    random teacher has something to teach) distilled into a 1-layer student."""
    name = "distill-causal-lm"
    torch.manual_seed(0)
    teacher = LlamaForCausalLM.from_pretrained(model_dir)
    with torch.no_grad():
        teacher.lm_head.weight.mul_(25)
    student = LlamaForCausalLM(LlamaConfig(**{**TINY_LLAMA, "num_hidden_layers": 1, "vocab_size": len(tokenizer)}))
    train = distill_causal_lm.make_batches(tokenizer, texts[:32], batch_size=8, max_length=64)
    held_out = distill_causal_lm.make_batches(tokenizer, texts[-16:], batch_size=8, max_length=64)
    before = distill_causal_lm.mean_kl(student, teacher, held_out)
    with rec.step(name, "distill"):
        losses = distill_causal_lm.distill(student, teacher, train, steps=CAUSAL_LM_STEPS, lr=3e-3)
    with rec.step(name, "evaluate"):
        after = distill_causal_lm.mean_kl(student, teacher, held_out)
    metrics[name] = {
        "steps": CAUSAL_LM_STEPS, "batch_size": 8, "temperature": 2.0, "alpha": 0.5,
        "teacher_params": sum(p.numel() for p in teacher.parameters()),
        "student_params": sum(p.numel() for p in student.parameters()),
        "held_out_kl_before": round(before, 4), "held_out_kl_after": round(after, 4),
        "first_loss": round(losses[0], 4), "last_loss": round(losses[-1], 4),
    }


def minilm_distillation(rec: Recorder, metrics):
    """The setting of tests/recipes/test_distill_minilm.py: all-MiniLM-L6-v2 into 3 layers, 30 steps of 16."""
    name = "distill-minilm"
    with rec.step(name, "load"):
        teacher, tokenizer = distill_minilm.load_teacher()
    torch.manual_seed(0)  # dropout
    train, held_out = distill_minilm.split_sentences()
    student = distill_minilm.make_student(teacher)
    before = distill_minilm.mean_cosine(student, teacher, tokenizer, held_out)
    with rec.step(name, "distill"):
        losses = distill_minilm.distill(student, teacher, tokenizer, train, steps=MINILM_STEPS)
    with rec.step(name, "evaluate"):
        after = distill_minilm.mean_cosine(student, teacher, tokenizer, held_out)
    metrics[name] = {
        "steps": MINILM_STEPS, "batch_size": 16, "student_layers": list(distill_minilm.STUDENT_LAYERS),
        "teacher_params": sum(p.numel() for p in teacher.parameters()),
        "student_params": sum(p.numel() for p in student.parameters()),
        "student_trainable_params": sum(p.numel() for p in student.parameters() if p.requires_grad),
        "held_out_sentences": len(held_out), "train_sentences": len(train),
        "held_out_cosine_before": round(before, 3), "held_out_cosine_after": round(after, 3),
        "first_loss": round(losses[0], 4), "last_loss": round(losses[-1], 4),
    }


# --- main ---------------------------------------------------------------------------------------------------------

def machine() -> dict:
    versions = {name: importlib.metadata.version(name)
                for name in ("torch", "transformers", "llmcompressor", "compressed-tensors")}
    return {
        "platform": platform.platform(), "processor": platform.machine(), "cpus": os.cpu_count(),
        "python": platform.python_version(), **versions, "gpu": torch.cuda.is_available(),
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
        "date": datetime.date.today().isoformat(),
    }


def main() -> int:
    started = time.perf_counter()
    info = machine()
    rec, checkpoints, metrics = Recorder(), {}, {}
    texts = stdlib_docstrings()
    tokenizer = build_tokenizer(texts)
    with tempfile.TemporaryDirectory(prefix="recipe-costs-") as tmp:
        work = Path(tmp)
        model_dir = save_random_llama(work / "tiny-llama", tokenizer, **TINY_LLAMA)
        params = sum(p.numel() for p in LlamaForCausalLM.from_pretrained(model_dir).parameters())
        tiny_model = {
            "architecture": "LlamaForCausalLM",
            **{k: v for k, v in TINY_LLAMA.items() if k != "max_position_embeddings"},
            "vocab_size": len(tokenizer), "dtype": "float32", "params": params,
            "checkpoint_bytes": folder_bytes(model_dir), "safetensors_bytes": safetensors_bytes(model_dir),
        }
        quantization_and_pruning(rec, model_dir, texts, work, checkpoints, metrics)
        causal_lm_distillation(rec, model_dir, tokenizer, texts, metrics)
    minilm_distillation(rec, metrics)

    results = {
        "machine": info,
        "tiny_model": tiny_model,
        "records": rec.records,
        "checkpoints": checkpoints,
        "metrics": metrics,
        "method": {
            "seconds": "wall clock (time.perf_counter), one run, no warm-up",
            "peak_rss_mib": "resource.getrusage(RUSAGE_SELF).ru_maxrss of this process during the step, in MiB, "
                            "after resetting the peak to the current RSS (/proc/self/clear_refs); includes the "
                            "interpreter and the loaded libraries",
            "rss_reset": RSS_RESET,
            "rss_start_mib": "resident set size (/proc/self/statm) when the step began",
            "checkpoint_bytes": "all files the save step wrote (weights, config, tokenizer); null on other steps",
            "not_run": "bitsandbytes (needs a CUDA GPU); vLLM serving (needs a GPU)",
            "total_seconds": round(time.perf_counter() - started, 1),
        },
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULT.relative_to(ROOT)} in {results['method']['total_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
