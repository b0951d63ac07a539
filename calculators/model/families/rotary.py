"""The cos/sin tables a model's rotary embeddings precompute, read from config.json.

vLLM builds each rotary embedding once per distinct configuration (``get_rope`` caches them) and keeps its
``cos_sin_cache`` buffer on the GPU in the model's dtype: ``positions x rotary_dim`` values, which vLLM counts
in the memory it logs for the weights. ``positions`` follows the scaling type, as in
``vllm/model_executor/layers/rotary_embedding``: the context length for plain, ``llama3`` and unscaled rope;
``original_max_position_embeddings x factor`` for YaRN (``YaRNScalingRotaryEmbedding``,
``DeepseekScalingRotaryEmbedding``); ``max_position_embeddings x factor`` for ``linear`` and ``dynamic``
scaling; ``original + max_position_embeddings`` rows for Phi-3's ``longrope`` (short and long tables).
Models with learned or ALiBi positions (GPT-2, BLOOM, Falcon with ``alibi``) and Jamba have none.
"""

from __future__ import annotations

from calculators.model.spec import MLAAttention, ModelSpec, RotaryCache

NO_ROTARY = ("gpt2", "bloom", "jamba")


def rotary_caches(config: dict, spec: ModelSpec) -> tuple[RotaryCache, ...]:
    """One :class:`RotaryCache` per distinct rope configuration of the model described by ``config``."""
    if spec.model_type in NO_ROTARY or config.get("alibi") is True or not spec.max_position_embeddings:
        return ()
    rotary_dim = _rotary_dim(config, spec)
    if not rotary_dim:
        return ()
    positions = spec.max_position_embeddings
    scaling = config.get("rope_scaling") or config.get("rope_parameters")
    tables = []
    if isinstance(scaling, dict) and all(isinstance(v, dict) for v in scaling.values()) and scaling:
        tables = [_positions(positions, sub) for sub in scaling.values()]  # per layer type (Gemma 3 in transformers 5)
    else:
        tables = [_positions(positions, scaling if isinstance(scaling, dict) else None)]
        if isinstance(config.get("rope_local_base_freq"), (int, float)):
            tables.append(positions)  # Gemma 3's sliding layers: a second, unscaled table
    return tuple(RotaryCache(rows, rotary_dim) for rows in dict.fromkeys(tables))


def _rotary_dim(config: dict, spec: ModelSpec) -> int:
    for mixer in spec.mixers:
        if isinstance(mixer, MLAAttention):
            return mixer.qk_rope_head_dim
        head_dim = getattr(mixer, "head_dim", 0)
        if head_dim:
            fraction = config.get("partial_rotary_factor", config.get("rotary_pct", 1.0))
            if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
                fraction = 1.0
            return int(head_dim * fraction)
    return 0


def _positions(max_positions: int, scaling: dict | None) -> int:
    if not scaling:
        return max_positions
    kind = scaling.get("rope_type", scaling.get("type"))
    factor = scaling.get("factor")
    original = scaling.get("original_max_position_embeddings")
    usable_factor = isinstance(factor, (int, float)) and not isinstance(factor, bool) and 1 <= factor <= 1024
    usable_original = isinstance(original, int) and not isinstance(original, bool) and 0 < original <= 1 << 26
    if kind in ("yarn", "deepseek_yarn") and usable_factor:
        return int((original if usable_original else max_positions) * factor)
    if kind in ("linear", "dynamic") and usable_factor:
        return int(max_positions * factor)
    if kind in ("longrope", "su") and usable_original:
        return original + max_positions
    return max_positions
