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
    of 16 elements).
    """

    name: str
    bits: int
    scale_granularity: str
    scale_bytes: int
    description: str

    def vector_bytes(self, elements: int) -> int:
        """Bytes to store one vector of ``elements`` values for one token, scales included."""
        data_bytes = -(-elements * self.bits // 8)
        if self.scale_granularity == "per-token-head":
            return data_bytes + self.scale_bytes
        if self.scale_granularity == "per-16-elements":
            return data_bytes + -(-elements // 16) * self.scale_bytes
        return data_bytes


KV_DTYPES = {
    "fp32": KVDtype("fp32", 32, "none", 0, "32-bit float"),
    "bf16": KVDtype("bf16", 16, "none", 0, "bfloat16"),
    "fp16": KVDtype("fp16", 16, "none", 0, "float16"),
    "fp8": KVDtype(
        "fp8", 8, "per-tensor", 0, "fp8 e4m3 with one K and one V scale per layer (8 bytes/layer, not counted)"
    ),
    "fp8_e5m2": KVDtype("fp8_e5m2", 8, "per-tensor", 0, "fp8 e5m2 (per-tensor scale, not counted)"),
    "fp8_per_token_head": KVDtype(
        "fp8_per_token_head", 8, "per-token-head", FP32_SCALE_BYTES, "fp8 e4m3 + one fp32 scale per token per head"
    ),
    "int8": KVDtype("int8", 8, "per-token-head", FP32_SCALE_BYTES, "int8 + one fp32 scale per token per head"),
    "int4": KVDtype("int4", 4, "per-token-head", FP32_SCALE_BYTES, "int4 + one fp32 scale per token per head"),
    "nvfp4": KVDtype("nvfp4", 4, "per-16-elements", 1, "fp4 e2m1 + one fp8 scale per 16 elements"),
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
    raise CalculatorError(field, f"expected one of {', '.join(KV_DTYPES)}; got {describe(name)}")


def state_dtype_bytes(name: object, field: str) -> int:
    """Bytes per element of a recurrent-state dtype (fp32, bf16 or fp16); CalculatorError otherwise."""
    canonical = canonical_dtype_name(name)
    if isinstance(canonical, str) and canonical in STATE_DTYPES:
        return STATE_DTYPES[canonical]
    raise CalculatorError(field, f"expected one of {', '.join(STATE_DTYPES)}; got {describe(name)}")
