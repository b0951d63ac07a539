"""Llama-style decoders: llama, mistral, mixtral, granite, olmo2, phi3.

Each layer: attention (q/k/v/o, GQA), a gated MLP or routed experts, RMSNorms. The families differ in
biases, norm placement, fused projections, default KV heads and sliding windows, all read from
``transformers`` 5.x's modeling code.
"""

from __future__ import annotations

from calculators.families.blocks import (
    Dims,
    assemble,
    attention_mixers,
    attention_projections,
    check_top_k,
    embedding,
    every_layer,
    gated_mlp,
    linear,
    norm,
    output_head,
    read_dims,
    routed_experts,
    router,
    sliding_window,
)
from calculators.families.reader import ConfigReader
from calculators.spec import ModelSpec, TensorGroup


def ignore_layer_types(r: ConfigReader) -> None:
    """Families whose modeling code has no per-layer types ignore a ``layer_types`` field; say so."""
    if r.present("layer_types"):
        r.note(f"{r.field('layer_types')} ignored: {r.model_type} layers are all built alike")


def _common(d: Dims, tensors: list[TensorGroup], tied: bool) -> list[TensorGroup]:
    """Embeddings + the given layer tensors + final norm + lm_head."""
    return [
        *embedding(d.vocab, d.hidden),
        *tensors,
        *norm("norm", d.hidden, 1),
        *output_head(d.vocab, d.hidden, tied),
    ]


def read_llama(r: ConfigReader) -> ModelSpec:
    """llama and granite: optional attention and MLP biases (``attention_bias``, ``mlp_bias``)."""
    d = read_dims(r)
    intermediate = r.int("intermediate_size")
    attention_bias = r.bool("attention_bias", False)
    mlp_bias = r.bool("mlp_bias", False)
    tied = r.bool("tie_word_embeddings", False)
    ignore_layer_types(r)
    layers = d.layers
    tensors = [
        *attention_projections(
            d.hidden, d.heads, d.kv_heads, d.head_dim, layers, qkv_bias=attention_bias, o_bias=attention_bias
        ),
        *gated_mlp("mlp", d.hidden, intermediate, layers, bias=mlp_bias),
        *norm("input_layernorm", d.hidden, layers),
        *norm("post_attention_layernorm", d.hidden, layers),
    ]
    return assemble(
        r,
        hidden=d.hidden,
        layers=layers,
        vocab=d.vocab,
        intermediate=intermediate,
        max_positions=d.max_positions,
        mixers=attention_mixers(r, every_layer("full_attention", layers), d, None),
        tensors=_common(d, tensors, tied),
        tied=tied,
    )


def read_mistral(r: ConfigReader) -> ModelSpec:
    """mistral: no biases, 8 KV heads by default, sliding window 4096 unless the config says null."""
    d = read_dims(r, kv_heads_default=8)
    intermediate = r.int("intermediate_size")
    tied = r.bool("tie_word_embeddings", False)
    window = sliding_window(r, 4096)
    ignore_layer_types(r)
    layers = d.layers
    tensors = [
        *attention_projections(d.hidden, d.heads, d.kv_heads, d.head_dim, layers),
        *gated_mlp("mlp", d.hidden, intermediate, layers),
        *norm("input_layernorm", d.hidden, layers),
        *norm("post_attention_layernorm", d.hidden, layers),
    ]
    kind = "full_attention" if window is None else "sliding_attention"
    return assemble(
        r,
        hidden=d.hidden,
        layers=layers,
        vocab=d.vocab,
        intermediate=intermediate,
        max_positions=d.max_positions,
        mixers=attention_mixers(r, every_layer(kind, layers), d, window),
        tensors=_common(d, tensors, tied),
        tied=tied,
    )


def read_mixtral(r: ConfigReader) -> ModelSpec:
    """mixtral: every layer's MLP is ``num_local_experts`` routed experts of ``intermediate_size``."""
    d = read_dims(r, kv_heads_default=8)
    intermediate = r.int("intermediate_size")
    num_experts = r.int("num_local_experts", 8, aliases=("num_experts",))
    top_k = r.int("num_experts_per_tok", 2)
    check_top_k(r, "num_experts_per_tok", top_k, num_experts)
    tied = r.bool("tie_word_embeddings", False)
    window = sliding_window(r, None)
    ignore_layer_types(r)
    layers = d.layers
    tensors = [
        *attention_projections(d.hidden, d.heads, d.kv_heads, d.head_dim, layers),
        *router(d.hidden, num_experts, layers),
        *routed_experts(d.hidden, intermediate, num_experts, top_k, layers),
        *norm("input_layernorm", d.hidden, layers),
        *norm("post_attention_layernorm", d.hidden, layers),
    ]
    kind = "full_attention" if window is None else "sliding_attention"
    return assemble(
        r,
        hidden=d.hidden,
        layers=layers,
        vocab=d.vocab,
        intermediate=intermediate,
        max_positions=d.max_positions,
        mixers=attention_mixers(r, every_layer(kind, layers), d, window),
        tensors=_common(d, tensors, tied),
        tied=tied,
        num_experts=num_experts,
        experts_per_token=top_k,
    )


def read_olmo2(r: ConfigReader) -> ModelSpec:
    """olmo2: norms after attention and MLP (no input norm), q/k norms over all heads."""
    d = read_dims(r)
    intermediate = r.int("intermediate_size")
    attention_bias = r.bool("attention_bias", False)
    tied = r.bool("tie_word_embeddings", False)
    ignore_layer_types(r)
    layers = d.layers
    tensors = [
        *attention_projections(
            d.hidden, d.heads, d.kv_heads, d.head_dim, layers, qkv_bias=attention_bias, o_bias=attention_bias
        ),
        *norm("q_norm", d.heads * d.head_dim, layers),
        *norm("k_norm", d.kv_heads * d.head_dim, layers),
        *gated_mlp("mlp", d.hidden, intermediate, layers),
        *norm("post_attention_layernorm", d.hidden, layers),
        *norm("post_feedforward_layernorm", d.hidden, layers),
    ]
    return assemble(
        r,
        hidden=d.hidden,
        layers=layers,
        vocab=d.vocab,
        intermediate=intermediate,
        max_positions=d.max_positions,
        mixers=attention_mixers(r, every_layer("full_attention", layers), d, None),
        tensors=_common(d, tensors, tied),
        tied=tied,
    )


def read_phi3(r: ConfigReader) -> ModelSpec:
    """phi3: fused ``qkv_proj`` and ``gate_up_proj``; a ``sliding_window`` applies to every layer."""
    d = read_dims(r)
    intermediate = r.int("intermediate_size")
    tied = r.bool("tie_word_embeddings", False)
    window = sliding_window(r, None)
    ignore_layer_types(r)
    layers = d.layers
    qkv_out = (d.heads + 2 * d.kv_heads) * d.head_dim
    tensors = [
        *linear("attention", "qkv_proj", qkv_out, d.hidden, layers),
        *linear("attention", "o_proj", d.hidden, d.heads * d.head_dim, layers),
        *gated_mlp("mlp", d.hidden, intermediate, layers, fused=True),
        *norm("input_layernorm", d.hidden, layers),
        *norm("post_attention_layernorm", d.hidden, layers),
    ]
    kind = "full_attention" if window is None else "sliding_attention"
    return assemble(
        r,
        hidden=d.hidden,
        layers=layers,
        vocab=d.vocab,
        intermediate=intermediate,
        max_positions=d.max_positions,
        mixers=attention_mixers(r, every_layer(kind, layers), d, window),
        tensors=_common(d, tensors, tied),
        tied=tied,
    )
