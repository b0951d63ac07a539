"""One reader per model family: config.json -> tensor groups and token mixers (see ``calculators.model.spec``).

``READERS`` maps each supported ``model_type`` to its reader. A new architecture is a new reader here,
not a branch in the formulas.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache

from calculators.errors import CalculatorError, describe
from calculators.messages import Message
from calculators.model.families.classic import read_bloom, read_falcon, read_gpt2, read_gpt_neox
from calculators.model.families.deepseek import read_deepseek_v2, read_deepseek_v3
from calculators.model.families.gemma import read_gemma, read_gemma2, read_gemma3_text
from calculators.model.families.generic import read_generic
from calculators.model.families.gpt_oss import read_gpt_oss
from calculators.model.families.jamba import read_jamba
from calculators.model.families.llama import read_llama, read_mistral, read_mixtral, read_olmo2, read_phi3
from calculators.model.families.quantization import checkpoint_format
from calculators.model.families.qwen import read_qwen2, read_qwen2_moe, read_qwen3, read_qwen3_moe, read_qwen3_next
from calculators.model.families.reader import ConfigReader
from calculators.model.families.rotary import rotary_caches
from calculators.model.spec import ModelSpec

READERS: dict[str, Callable[[ConfigReader], ModelSpec]] = {
    "llama": read_llama,
    "granite": read_llama,
    "mistral": read_mistral,
    "mixtral": read_mixtral,
    "olmo2": read_olmo2,
    "phi3": read_phi3,
    "qwen2": read_qwen2,
    "qwen2_moe": read_qwen2_moe,
    "qwen3": read_qwen3,
    "qwen3_moe": read_qwen3_moe,
    "qwen3_next": read_qwen3_next,
    "gemma": read_gemma,
    "gemma2": read_gemma2,
    "gemma3_text": read_gemma3_text,
    "deepseek_v2": read_deepseek_v2,
    "deepseek_v3": read_deepseek_v3,
    "gpt_oss": read_gpt_oss,
    "jamba": read_jamba,
    "gpt2": read_gpt2,
    "gpt_neox": read_gpt_neox,
    "falcon": read_falcon,
    "bloom": read_bloom,
}

#: Multimodal model types whose ``text_config`` may omit its own ``model_type``.
TEXT_MODEL_TYPES = {"gemma3": "gemma3_text"}

SUPPORTED_MODEL_TYPES = tuple(sorted([*READERS, *TEXT_MODEL_TYPES]))


def read_model(config: dict) -> ModelSpec:
    """Dispatch a config.json object to its family reader (through ``text_config`` when there is one)."""
    model_type = config.get("model_type")
    if model_type is not None and not isinstance(model_type, str):
        raise CalculatorError("config.model_type", "value.string", value=describe(model_type))
    text = config.get("text_config")
    if text is None:
        reader = READERS.get(model_type or "", read_generic)
        r = ConfigReader(config, "config", model_type or "(none)")
        if model_type is None:
            r.note(Message("note.model_type_missing"))
        return _with_runtime_facts(reader(r), config, config)

    if not isinstance(text, dict):
        raise CalculatorError("config.text_config", "config.text_config", value=describe(text))
    text_type = text.get("model_type") or TEXT_MODEL_TYPES.get(model_type or "") or model_type
    if not isinstance(text_type, str):
        raise CalculatorError("config.text_config.model_type", "value.string", value=describe(text_type))
    r = ConfigReader(text, "config.text_config", text_type)
    r.note(Message("note.multimodal", model_type=model_type))
    spec = READERS.get(text_type, read_generic)(r)
    return _with_runtime_facts(replace(spec, model_type=model_type or text_type), text, config)


def _with_runtime_facts(spec: ModelSpec, text_config: dict, config: dict) -> ModelSpec:
    """Add what an engine builds beside the parameters: rotary tables, and the checkpoint's own format."""
    return replace(spec, rotary_caches=rotary_caches(text_config, spec), checkpoint_format=checkpoint_format(config))


def model_spec(config: object, *, source: str = "config") -> ModelSpec:
    """Read a Hugging Face ``config.json`` object (a dict) into a :class:`ModelSpec`.

    Multimodal configs with a ``text_config`` are read through their text model (the vision tower is not
    counted, and a note says so). Missing or ill-typed fields raise :class:`CalculatorError` naming the
    field (``config.hidden_size``). ``source`` is a label carried into every result (a path or preset id).
    """
    if not isinstance(config, dict):
        raise CalculatorError("config", "config.not_dict", type=type(config).__name__)
    if not isinstance(source, str):
        raise CalculatorError("source", "value.string", value=type(source).__name__)
    try:
        key = json.dumps(config, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        key = None  # not JSON data: read it uncached, and let the reader name the bad field
    spec = _cached_spec(key) if key is not None else read_model(config)
    return spec if spec.source == source else replace(spec, source=source)


@lru_cache(maxsize=256)
def _cached_spec(config_json: str) -> ModelSpec:
    return read_model(json.loads(config_json))
