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
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    # errors
    "CalculatorError": "errors",
    # model description
    "ModelSpec": "spec",
    "TensorGroup": "spec",
    "FullAttention": "spec",
    "SlidingAttention": "spec",
    "MLAAttention": "spec",
    "RecurrentMixer": "spec",
    "model_spec": "families",
    "load_config": "configs",
    "load_spec": "configs",
    "PRESETS": "presets",
    "preset_ids": "presets",
    "count_parameters": "params",
    "ParamCount": "params",
    "kv_cache": "kv",
    "KVCache": "kv",
    "KV_DTYPES": "dtypes",
    # planning
    "weight_memory": "weights",
    "WeightMemory": "weights",
    "parse_format": "weights",
    "GPU": "gpus",
    "CATALOG": "gpus",
    "get_gpu": "gpus",
    "list_gpus": "gpus",
    "memory_plan": "plan",
    "MemoryPlan": "plan",
    "recommend": "plan",
    "Recommendation": "plan",
    "check_tensor_parallel": "plan",
    "training_memory": "training",
    "TrainingMemory": "training",
    "lora_parameters": "training",
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
