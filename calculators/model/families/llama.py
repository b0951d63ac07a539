"""Llama-style decoders: llama, mistral, mixtral, granite, olmo2, phi3.

Each layer: attention (q/k/v/o, GQA), a gated MLP or routed experts, RMSNorms. The families differ in
biases, norm placement, fused projections, default KV heads and sliding windows, all read from
``transformers`` 5.x's modeling code.
"""

from __future__ import annotations

from calculators.model.families.blocks import (
    assemble_decoder,
    attention_projections,
    check_top_k,
    decoder_tensors,
    every_layer_attention,
    gated_mlp,
    ignore_layer_types,
    layer_norms,
    linear,
    norm,
    read_dims,
    routed_experts,
    router,
    sliding_window,
)
from calculators.model.families.reader import ConfigReader
from calculators.model.spec import ModelSpec


def read_llama(r: ConfigReader) -> ModelSpec:
    """llama and granite: optional attention and MLP biases (``attention_bias``, ``mlp_bias``)."""
    d = read_dims(r)
    attention_bias = r.flag("attention_bias", False)
    mlp_bias = r.flag("mlp_bias", False)
    tied = r.flag("tie_word_embeddings", False)
    ignore_layer_types(r)
    tensors = [
        *attention_projections(d, d.layers, qkv_bias=attention_bias, o_bias=attention_bias),
        *gated_mlp("mlp", d.hidden, d.intermediate, d.layers, bias=mlp_bias),
        *layer_norms(d.hidden, d.layers),
    ]
    return assemble_decoder(
        r, d, mixers=every_layer_attention(r, d, None), tensors=decoder_tensors(d, tensors, tied), tied=tied
    )


def read_mistral(r: ConfigReader) -> ModelSpec:
    """mistral: no biases, 8 KV heads by default, sliding window 4096 unless the config says null."""
    d = read_dims(r, kv_heads_default=8)
    tied = r.flag("tie_word_embeddings", False)
    window = sliding_window(r, 4096)
    ignore_layer_types(r)
    tensors = [
        *attention_projections(d, d.layers),
        *gated_mlp("mlp", d.hidden, d.intermediate, d.layers),
        *layer_norms(d.hidden, d.layers),
    ]
    return assemble_decoder(
        r, d, mixers=every_layer_attention(r, d, window), tensors=decoder_tensors(d, tensors, tied), tied=tied
    )


def read_mixtral(r: ConfigReader) -> ModelSpec:
    """mixtral: every layer's MLP is ``num_local_experts`` routed experts of ``intermediate_size``."""
    d = read_dims(r, kv_heads_default=8)
    num_experts = r.integer("num_local_experts", 8, aliases=("num_experts",))
    top_k = r.integer("num_experts_per_tok", 2)
    check_top_k(r, "num_experts_per_tok", top_k, num_experts)
    tied = r.flag("tie_word_embeddings", False)
    window = sliding_window(r, None)
    ignore_layer_types(r)
    tensors = [
        *attention_projections(d, d.layers),
        *router(d.hidden, num_experts, d.layers),
        *routed_experts(d.hidden, d.intermediate, num_experts, top_k, d.layers),
        *layer_norms(d.hidden, d.layers),
    ]
    return assemble_decoder(
        r,
        d,
        mixers=every_layer_attention(r, d, window),
        tensors=decoder_tensors(d, tensors, tied),
        tied=tied,
        num_experts=num_experts,
        experts_per_token=top_k,
    )


def read_olmo2(r: ConfigReader) -> ModelSpec:
    """olmo2: norms after attention and MLP (no input norm), q/k norms over all heads."""
    d = read_dims(r)
    attention_bias = r.flag("attention_bias", False)
    tied = r.flag("tie_word_embeddings", False)
    ignore_layer_types(r)
    tensors = [
        *attention_projections(d, d.layers, qkv_bias=attention_bias, o_bias=attention_bias),
        *norm("q_norm", d.heads * d.head_dim, d.layers),
        *norm("k_norm", d.kv_heads * d.head_dim, d.layers),
        *gated_mlp("mlp", d.hidden, d.intermediate, d.layers),
        *norm("post_attention_layernorm", d.hidden, d.layers),
        *norm("post_feedforward_layernorm", d.hidden, d.layers),
    ]
    return assemble_decoder(
        r, d, mixers=every_layer_attention(r, d, None), tensors=decoder_tensors(d, tensors, tied), tied=tied
    )


def read_phi3(r: ConfigReader) -> ModelSpec:
    """phi3: fused ``qkv_proj`` and ``gate_up_proj``; a ``sliding_window`` applies to every layer."""
    d = read_dims(r)
    tied = r.flag("tie_word_embeddings", False)
    window = sliding_window(r, None)
    ignore_layer_types(r)
    qkv_out = (d.heads + 2 * d.kv_heads) * d.head_dim
    tensors = [
        *linear("attention", "qkv_proj", qkv_out, d.hidden, d.layers),
        *linear("attention", "o_proj", d.hidden, d.heads * d.head_dim, d.layers, split="row"),
        *gated_mlp("mlp", d.hidden, d.intermediate, d.layers, fused=True),
        *layer_norms(d.hidden, d.layers),
    ]
    return assemble_decoder(
        r, d, mixers=every_layer_attention(r, d, window), tensors=decoder_tensors(d, tensors, tied), tied=tied
    )
