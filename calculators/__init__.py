"""Exact memory calculators for large language models (standard library only; runs in CPython and Pyodide).

Describe a model, then ask questions of it::

    from calculators import load_spec, count_parameters, kv_cache, weight_memory, memory_plan, recommend

    spec = load_spec("meta-llama/Llama-3.1-8B")          # a preset id, a config.json path, or JSON text
    count_parameters(spec).total                          # 8,030,261,248
    kv_cache(spec, seq_len=8192, batch=4, kv_dtype="fp8").kv_cache_bytes
    weight_memory(spec, "gptq-int4").kept_high_precision  # what stays in 16-bit, and why
    plan = memory_plan(spec, weights="fp8", seq_len=32768, batch=8, gpu="H100", count=1)
    plan.fits, plan.headroom_bytes, plan.max_batch, plan.decode_tokens_per_s_bound
    recommend(spec, weights="bf16", seq_len=32768, batch=4).options
    training_memory(spec, method="qlora", gradient_checkpointing=True, gpu="RTX 4090").peak_bytes

Every result object has ``to_dict()`` (``to_dict("zh-TW")``: its sentences in 繁體中文, see ``calculators.messages``);
``calculators.cli.run_json(argv)`` returns the JSON the command line prints (``python -m calculators --help``).
Every bad input raises :class:`CalculatorError` naming the field.
Names are imported on first use, so ``import calculators`` stays cheap.

The package is in layers, listed here from the ground up; a module imports its own layer and the layers below it,
never one above or beside it (tests/calculators/test_structure.py holds the package to this order):

==================  ===============================================================================================
``messages/``       every sentence the package says, as a code and its values, in English and 繁體中文
``errors``          :class:`CalculatorError` and the small validators that raise it
``model/``          what a model is and how it is read: ``spec`` (tensors and one token mixer per layer),
                    ``families/`` (one reader of ``config.json`` per model family), ``configs``, ``presets``,
                    ``dtypes`` (what a cache element takes), ``params`` (parameter counts)
``memory/``         the bytes of one model, on no particular GPU: ``formats`` (what a weight format stores),
                    ``weights``, ``kv``, ``activations`` (the widths activations follow) and ``runtime`` (what a
                    CUDA process pays before any of them)
``plan/``           models on GPUs: ``gpus`` (the catalog), ``deployment``, ``engines/`` (one per inference engine),
                    ``vllm_releases``, ``inference`` (``memory_plan``, ``recommend``), ``training``, ``calibration``
``presentation/``   how a result reads: ``report`` (HTML and Markdown tables) and ``chart`` (SVG)
``options``         every option of every command, declared once (beside ``presentation/``, not above it)
``cli``             the command line: ``python -m calculators`` (``__main__``), the console script ``llm-calc``
``web``             the calculator pages' entry point, called by the browser's worker and by the site build
==================  ===============================================================================================

``data/`` holds the GPU catalog and the presets as JSON package data (read with ``importlib.resources``).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    # errors
    "CalculatorError": "errors",
    # model: what a model is and how it is read
    "ModelSpec": "model.spec",
    "TensorGroup": "model.spec",
    "FullAttention": "model.spec",
    "SlidingAttention": "model.spec",
    "MLAAttention": "model.spec",
    "RecurrentMixer": "model.spec",
    "model_spec": "model.families",
    "load_config": "model.configs",
    "load_spec": "model.configs",
    "PRESETS": "model.presets",
    "preset_ids": "model.presets",
    "count_parameters": "model.params",
    "ParamCount": "model.params",
    "KV_DTYPES": "model.dtypes",
    # memory: the bytes of one model
    "kv_cache": "memory.kv",
    "KVCache": "memory.kv",
    "weight_memory": "memory.weights",
    "WeightMemory": "memory.weights",
    "parse_format": "memory.formats",
    # plan: models on GPUs
    "GPU": "plan.gpus",
    "CATALOG": "plan.gpus",
    "get_gpu": "plan.gpus",
    "list_gpus": "plan.gpus",
    "memory_plan": "plan.inference",
    "MemoryPlan": "plan.inference",
    "recommend": "plan.inference",
    "Recommendation": "plan.inference",
    "check_tensor_parallel": "plan.inference",
    "training_memory": "plan.training",
    "TrainingMemory": "plan.training",
    "lora_parameters": "plan.training",
    # the command line
    "run_json": "cli",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'calculators' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"calculators.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
