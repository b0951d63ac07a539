"""KV-cache and recurrent-state memory for ``batch`` sequences of ``seq_len`` tokens.

A sum over the model's layers (``spec.mixers``), each kind knowing what it stores per token:

* full attention: ``num_kv_heads x (head_dim + v_head_dim)`` elements per token per layer (GQA/MQA:
  KV heads, never query heads);
* sliding-window attention: the same per token, for at most ``window - 1`` tokens: what ``transformers``'
  ``DynamicCache`` keeps between forward passes (``DynamicSlidingWindowLayer`` slices the last
  ``window - 1``). With ``block_size`` (paged, vLLM-style) a layer keeps the blocks holding those tokens:
  ``ceil(seq_len / block_size) - (seq_len - (window - 1)) // block_size`` blocks, at most
  ``ceil((window - 1) / block_size) + 1``;
* MLA (DeepSeek-V2/V3): one latent of ``kv_lora_rank + qk_rope_head_dim`` elements per token per layer,
  no factor 2, replicated on every tensor-parallel rank. This is what vLLM stores and what
  ``transformers`` 5.x caches (the normalized latent as "keys", the rotary key as "values", one head).
  ``mla_decompressed=True`` gives instead the per-head keys and values that older ``transformers``
  versions cached: ``num_heads x (qk_nope + qk_rope)`` for K plus ``num_heads x v_head_dim`` for V;
* recurrent layers (Mamba, Gated DeltaNet): a per-sequence state independent of ``seq_len``, reported
  apart as ``recurrent_state_bytes``: the convolution window (``conv_state_dtype``, model dtype in
  ``transformers``) plus the SSM / delta-rule state (``ssm_state_dtype``, float32 in ``transformers``).
  ``transformers`` keeps the full ``kernel`` columns of the convolution window; vLLM keeps ``kernel - 1``.

Tensor parallelism follows vLLM: each rank holds ``max(1, num_kv_heads // tp)`` KV heads (heads are split
while ``tp <= num_kv_heads``, then replicated), the MLA latent is replicated on every rank, and
recurrent states are split across ranks. A ``tp`` that vLLM refuses (one that does not divide the
attention heads, or neither divides nor is a multiple of the KV heads) raises CalculatorError.

Quantized cache dtypes and the scales they store are described in ``calculators.model.dtypes``.
"""

from __future__ import annotations

from dataclasses import dataclass

from calculators.errors import LIMITS, CalculatorError, boolean, positive_int
from calculators.messages import Message, render
from calculators.model.dtypes import KVDtype, canonical_dtype_name, state_dtype_bytes
from calculators.model.dtypes import kv_dtype as lookup_kv_dtype
from calculators.model.spec import Mixer, ModelSpec, RecurrentMixer


@dataclass(frozen=True)
class KVCacheKind:
    """The cache of the layers that share one kind of mixer (bytes for the whole batch).

    ``cached_tokens`` is per sequence per layer (after the sliding-window cap and block rounding; 0 for
    recurrent layers); ``bytes_per_token`` is per sequence per layer, all KV heads of the model.
    """

    kind: str
    layers: int
    window: int | None
    cached_tokens: int
    bytes_per_token: int
    kv_cache_bytes: int
    per_gpu_kv_cache_bytes: int
    recurrent_state_bytes: int
    per_gpu_recurrent_state_bytes: int

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "layers": self.layers,
            "window": self.window,
            "cached_tokens": self.cached_tokens,
            "bytes_per_token": self.bytes_per_token,
            "kv_cache_bytes": self.kv_cache_bytes,
            "per_gpu_kv_cache_bytes": self.per_gpu_kv_cache_bytes,
            "recurrent_state_bytes": self.recurrent_state_bytes,
            "per_gpu_recurrent_state_bytes": self.per_gpu_recurrent_state_bytes,
        }


@dataclass(frozen=True)
class KVCache:
    """KV-cache and recurrent-state bytes of one model for ``batch`` sequences of ``seq_len`` tokens.

    ``kv_cache_bytes`` is the attention cache of the whole model (all heads, counted once);
    ``per_gpu_kv_cache_bytes`` what one tensor-parallel rank holds (with the heads it replicates).
    ``recurrent_state_bytes`` / ``per_gpu_recurrent_state_bytes`` are the Mamba / Gated DeltaNet states.
    """

    model_type: str
    source: str
    seq_len: int
    batch: int
    kv_dtype: str
    scale_granularity: str
    block_size: int | None
    tp: int
    mla_decompressed: bool
    conv_state_dtype: str
    ssm_state_dtype: str
    kv_cache_bytes: int
    per_gpu_kv_cache_bytes: int
    recurrent_state_bytes: int
    per_gpu_recurrent_state_bytes: int
    kinds: tuple[KVCacheKind, ...]
    approximate: bool
    notes: tuple[Message | str, ...]

    @property
    def total_bytes(self) -> int:
        """KV cache plus recurrent state of the whole model."""
        return self.kv_cache_bytes + self.recurrent_state_bytes

    @property
    def per_gpu_bytes(self) -> int:
        """KV cache plus recurrent state on one tensor-parallel rank."""
        return self.per_gpu_kv_cache_bytes + self.per_gpu_recurrent_state_bytes

    @property
    def bytes_per_token(self) -> int:
        """Bytes one cached token takes across every attention layer (all KV heads, whole model): the per-layer
        figure of each kind times its layers. For full-attention models ``kv_cache_bytes`` is this times
        ``batch x cached tokens``."""
        return sum(row.layers * row.bytes_per_token for row in self.kinds)

    @property
    def by_kind(self) -> dict[str, dict]:
        """Per mixer kind: layers and bytes, summed over the kinds' variants (e.g. two window sizes)."""
        summary: dict[str, dict] = {}
        for row in self.kinds:
            entry = summary.setdefault(
                row.kind,
                {
                    "layers": 0,
                    "kv_cache_bytes": 0,
                    "per_gpu_kv_cache_bytes": 0,
                    "recurrent_state_bytes": 0,
                    "per_gpu_recurrent_state_bytes": 0,
                },
            )
            for key in entry:
                entry[key] += getattr(row, key)
        return summary

    def to_dict(self, lang: str = "en") -> dict:
        """A JSON-ready dict: integers for bytes, the breakdown per kind and per distinct layer spec; the notes in
        ``lang``."""
        return {
            "model_type": self.model_type,
            "source": self.source,
            "seq_len": self.seq_len,
            "batch": self.batch,
            "kv_dtype": self.kv_dtype,
            "scale_granularity": self.scale_granularity,
            "block_size": self.block_size,
            "tp": self.tp,
            "mla_decompressed": self.mla_decompressed,
            "conv_state_dtype": self.conv_state_dtype,
            "ssm_state_dtype": self.ssm_state_dtype,
            "bytes_per_token": self.bytes_per_token,
            "kv_cache_bytes": self.kv_cache_bytes,
            "per_gpu_kv_cache_bytes": self.per_gpu_kv_cache_bytes,
            "recurrent_state_bytes": self.recurrent_state_bytes,
            "per_gpu_recurrent_state_bytes": self.per_gpu_recurrent_state_bytes,
            "total_bytes": self.total_bytes,
            "per_gpu_bytes": self.per_gpu_bytes,
            "by_kind": self.by_kind,
            "layers": [row.to_dict() for row in self.kinds],
            "approximate": self.approximate,
            "notes": [render(note, lang) for note in self.notes],
        }


def kv_cache(
    spec: ModelSpec,
    *,
    seq_len: int,
    batch: int = 1,
    kv_dtype: str = "bf16",
    block_size: int | None = None,
    tp: int = 1,
    mla_decompressed: bool = False,
    conv_state_dtype: str = "bf16",
    ssm_state_dtype: str = "fp32",
) -> KVCache:
    """Bytes of KV cache and recurrent state for ``batch`` sequences of ``seq_len`` tokens each.

    ``kv_dtype``: bf16, fp16, fp32, fp8 (e4m3, per-tensor scales), fp8_e5m2, fp8_per_token_head, int8,
    int4 (one fp32 scale per token per KV head for K and for V), nvfp4. ``block_size``: round each
    sequence up to whole pages of that many tokens (None: no rounding). ``tp``: tensor-parallel ranks.
    """
    if not isinstance(spec, ModelSpec):
        raise CalculatorError("spec", "value.model_spec", type=type(spec).__name__)
    seq_len = positive_int("seq_len", seq_len, LIMITS["seq_len"])
    batch = positive_int("batch", batch, LIMITS["batch"])
    tp = positive_int("tp", tp, LIMITS["tp"])
    if block_size is not None:
        block_size = positive_int("block_size", block_size, LIMITS["block_size"])
    mla_decompressed = boolean("mla_decompressed", mla_decompressed)
    dtype = lookup_kv_dtype(kv_dtype, "kv_dtype")
    conv_bytes = state_dtype_bytes(conv_state_dtype, "conv_state_dtype")
    ssm_bytes = state_dtype_bytes(ssm_state_dtype, "ssm_state_dtype")

    kinds = []
    for mixer, layers in spec.mixer_counts:
        if mixer.caches_tokens:
            kinds.append(_attention(mixer, layers, seq_len, batch, dtype, block_size, tp, mla_decompressed))
        else:
            kinds.append(_recurrent(mixer, layers, batch, tp, conv_bytes, ssm_bytes))

    return KVCache(
        model_type=spec.model_type,
        source=spec.source,
        seq_len=seq_len,
        batch=batch,
        kv_dtype=dtype.name,
        scale_granularity=dtype.scale_granularity,
        block_size=block_size,
        tp=tp,
        mla_decompressed=mla_decompressed,
        conv_state_dtype=_canonical(conv_state_dtype),
        ssm_state_dtype=_canonical(ssm_state_dtype),
        kv_cache_bytes=sum(row.kv_cache_bytes for row in kinds),
        per_gpu_kv_cache_bytes=sum(row.per_gpu_kv_cache_bytes for row in kinds),
        recurrent_state_bytes=sum(row.recurrent_state_bytes for row in kinds),
        per_gpu_recurrent_state_bytes=sum(row.per_gpu_recurrent_state_bytes for row in kinds),
        kinds=tuple(kinds),
        approximate=spec.approximate,
        notes=spec.notes + _notes(kinds, dtype, mla_decompressed),
    )


def _attention(
    mixer: Mixer,
    layers: int,
    seq_len: int,
    batch: int,
    dtype: KVDtype,
    block_size: int | None,
    tp: int,
    mla_decompressed: bool,
) -> KVCacheKind:
    tokens = mixer.cached_tokens(seq_len, block_size)
    token_bytes, rank_bytes = mixer.kv_bytes_per_token(dtype, tp, mla_decompressed)
    per_sequence = layers * tokens * batch
    return KVCacheKind(
        kind=mixer.kind,
        layers=layers,
        window=mixer.window,
        cached_tokens=tokens,
        bytes_per_token=token_bytes,
        kv_cache_bytes=per_sequence * token_bytes,
        per_gpu_kv_cache_bytes=per_sequence * rank_bytes,
        recurrent_state_bytes=0,
        per_gpu_recurrent_state_bytes=0,
    )


def _recurrent(mixer: RecurrentMixer, layers: int, batch: int, tp: int, conv_bytes: int, ssm_bytes: int) -> KVCacheKind:
    if mixer.parallel_heads % tp:
        raise CalculatorError("tp", "kv.tp_state", kind=mixer.kind, heads=mixer.parallel_heads, value=tp)
    state_bytes = mixer.conv_state_elements * conv_bytes + mixer.ssm_state_elements * ssm_bytes
    return KVCacheKind(
        kind=mixer.kind,
        layers=layers,
        window=None,
        cached_tokens=0,
        bytes_per_token=0,
        kv_cache_bytes=0,
        per_gpu_kv_cache_bytes=0,
        recurrent_state_bytes=layers * batch * state_bytes,
        per_gpu_recurrent_state_bytes=layers * batch * state_bytes // tp,
    )


def _canonical(name: str) -> str:
    return str(canonical_dtype_name(name))


def _notes(kinds: list[KVCacheKind], dtype: KVDtype, mla_decompressed: bool) -> tuple[Message, ...]:
    present = {row.kind for row in kinds}
    notes = []
    if "sliding_attention" in present:
        notes.append(Message("note.sliding_window_cap"))
    if "mla" in present:
        notes.append(Message("note.mla_decompressed" if mla_decompressed else "note.mla_latent"))
    if present & {"mamba", "gated_deltanet"}:
        notes.append(Message("note.recurrent_state"))
    if dtype.scale_granularity == "per-tensor":
        notes.append(Message("note.per_tensor_scales", dtype=dtype.name))
    elif dtype.scale_granularity != "none":
        notes.append(Message("note.scales_counted", dtype=dtype.name, description=dtype.description))
    return tuple(notes)
