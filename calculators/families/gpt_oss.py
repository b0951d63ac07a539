"""gpt-oss: alternating sliding-window (128) and full attention with learned sinks; every layer MoE with
biased experts and router."""

from __future__ import annotations

from calculators.families.blocks import (
    assemble,
    attention_mixers,
    attention_projections,
    check_top_k,
    embedding,
    norm,
    output_head,
    read_dims,
    routed_experts,
    router,
    sliding_window,
)
from calculators.families.reader import ConfigReader
from calculators.spec import ModelSpec, TensorGroup


def read_gpt_oss(r: ConfigReader) -> ModelSpec:
    d = read_dims(r, kv_heads_default=8, head_dim_default=64)
    intermediate = r.int("intermediate_size")
    bias = r.bool("attention_bias", True)
    tied = r.bool("tie_word_embeddings", False)
    num_experts = r.int("num_local_experts", 128, aliases=("num_experts",))
    top_k = r.int("num_experts_per_tok", 4)
    check_top_k(r, "num_experts_per_tok", top_k, num_experts)
    window = sliding_window(r, 128)
    types = r.layer_types(d.layers, ("full_attention", "sliding_attention"))
    if types is None:
        types = ["sliding_attention" if (i + 1) % 2 else "full_attention" for i in range(d.layers)]
    layers = d.layers
    tensors = [
        *embedding(d.vocab, d.hidden),
        *attention_projections(d.hidden, d.heads, d.kv_heads, d.head_dim, layers, qkv_bias=bias, o_bias=bias),
        TensorGroup("attention", "other", (d.heads,), layers, layers, "sinks"),
        *router(d.hidden, num_experts, layers, bias=True),
        *routed_experts(d.hidden, intermediate, num_experts, top_k, layers, bias=True),
        *norm("input_layernorm", d.hidden, layers),
        *norm("post_attention_layernorm", d.hidden, layers),
        *norm("norm", d.hidden, 1),
        *output_head(d.vocab, d.hidden, tied),
    ]
    return assemble(
        r,
        hidden=d.hidden,
        layers=layers,
        vocab=d.vocab,
        intermediate=intermediate,
        max_positions=d.max_positions,
        mixers=attention_mixers(r, types, d, window),
        tensors=tensors,
        tied=tied,
        num_experts=num_experts,
        experts_per_token=top_k,
    )
