"""Data types of cached tensors: element widths and the scales quantized caches store beside them.

A KV-cache dtype decides how many bytes one cached vector takes: one key or value head vector of
``head_dim`` elements for one token. Quantized formats also store scales; where a scale is stored per
token it is part of the cache and counted here:

=====================  =====  ===================================================================
name                   bits   scales counted in the cache
=====================  =====  ===================================================================
fp32, bf16, fp16       32/16  none
fp8 (= fp8_e4m3),      8      one per-tensor scale per layer for K and one for V (vLLM's default
fp8_e5m2                      fp8 cache): 8 bytes per layer, constant in sequence length, not counted
fp8_per_token_head     8      one fp32 scale per token, per KV head, for K and for V
int8                   8      one fp32 scale per token, per KV head, for K and for V (symmetric;
                              vLLM's ``int8_per_token_head`` layout)
int4                   4      one fp32 scale per token, per KV head, for K and for V (symmetric);
                              two 4-bit values per byte, an odd head_dim rounds up to a whole byte
nvfp4                  4      one fp8 (e4m3) scale per 16 elements (vLLM's packed NVFP4 layout)
=====================  =====  ===================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from calculators.errors import CalculatorError, describe
from calculators.messages import Message

#: Bytes of one element of the plain floating-point and integer types.
DTYPE_BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1}

#: Other spellings users type for the same types.
DTYPE_ALIASES = {
    "float32": "fp32",
    "float": "fp32",
    "bfloat16": "bf16",
    "float16": "fp16",
    "half": "fp16",
    "fp8_e4m3": "fp8",
    "fp8_e4m3fn": "fp8",
    "e4m3": "fp8",
    "float8_e4m3fn": "fp8",
    "e5m2": "fp8_e5m2",
    "float8_e5m2": "fp8_e5m2",
    "int8_per_token_head": "int8",
}

FP32_SCALE_BYTES = 4


@dataclass(frozen=True)
class KVDtype:
    """How one cached K or V vector is stored.

    ``bits`` per element; ``scale_granularity`` is ``"none"``, ``"per-tensor"`` (not stored per token),
    ``"per-token-head"`` (``scale_bytes`` per vector) or ``"per-16-elements"`` (``scale_bytes`` per block
    of 16 elements); ``description`` says it in words (a :class:`~calculators.messages.Message`, which the notes
    quote).
    """

    name: str
    bits: int
    scale_granularity: str
    scale_bytes: int
    description: Message

    def vector_bytes(self, elements: int) -> int:
        """Bytes to store one vector of ``elements`` values for one token, scales included."""
        data_bytes = -(-elements * self.bits // 8)
        if self.scale_granularity == "per-token-head":
            return data_bytes + self.scale_bytes
        if self.scale_granularity == "per-16-elements":
            return data_bytes + -(-elements // 16) * self.scale_bytes
        return data_bytes


KV_DTYPES = {
    "fp32": KVDtype("fp32", 32, "none", 0, Message("kv_dtype.fp32")),
    "bf16": KVDtype("bf16", 16, "none", 0, Message("kv_dtype.bf16")),
    "fp16": KVDtype("fp16", 16, "none", 0, Message("kv_dtype.fp16")),
    "fp8": KVDtype("fp8", 8, "per-tensor", 0, Message("kv_dtype.fp8")),
    "fp8_e5m2": KVDtype("fp8_e5m2", 8, "per-tensor", 0, Message("kv_dtype.fp8_e5m2")),
    "fp8_per_token_head": KVDtype("fp8_per_token_head", 8, "per-token-head", FP32_SCALE_BYTES,
                                  Message("kv_dtype.per_token_head", base="fp8 e4m3", scale="fp32")),
    "int8": KVDtype("int8", 8, "per-token-head", FP32_SCALE_BYTES,
                    Message("kv_dtype.per_token_head", base="int8", scale="fp32")),
    "int4": KVDtype("int4", 4, "per-token-head", FP32_SCALE_BYTES,
                    Message("kv_dtype.per_token_head", base="int4", scale="fp32")),
    "nvfp4": KVDtype("nvfp4", 4, "per-16-elements", 1,
                     Message("kv_dtype.per_elements", base="fp4 e2m1", scale="fp8", elements=16)),
}

#: dtypes accepted for recurrent (Mamba / Gated DeltaNet) state, with their element width in bytes.
STATE_DTYPES = {"fp32": 4, "bf16": 2, "fp16": 2}


def canonical_dtype_name(name: object) -> object:
    """The canonical spelling of a dtype name (``"bfloat16"`` -> ``"bf16"``); other values unchanged."""
    if isinstance(name, str):
        lowered = name.strip().lower()
        return DTYPE_ALIASES.get(lowered, lowered)
    return name


def kv_dtype(name: object, field: str = "kv_dtype") -> KVDtype:
    """Look up a KV-cache dtype by name or alias; raise CalculatorError naming ``field`` otherwise."""
    canonical = canonical_dtype_name(name)
    if isinstance(canonical, str) and canonical in KV_DTYPES:
        return KV_DTYPES[canonical]
    raise CalculatorError(field, "value.one_of", options=", ".join(KV_DTYPES), value=describe(name))


def state_dtype_bytes(name: object, field: str) -> int:
    """Bytes per element of a recurrent-state dtype (fp32, bf16 or fp16); CalculatorError otherwise."""
    canonical = canonical_dtype_name(name)
    if isinstance(canonical, str) and canonical in STATE_DTYPES:
        return STATE_DTYPES[canonical]
    raise CalculatorError(field, "value.one_of", options=", ".join(STATE_DTYPES), value=describe(name))
