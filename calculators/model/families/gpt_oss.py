"""gpt-oss: alternating sliding-window (128) and full attention with learned sinks; every layer MoE with
biased experts and router."""

from __future__ import annotations

from calculators.model.families.blocks import (
    assemble_decoder,
    attention_mixers,
    attention_projections,
    check_top_k,
    decoder_tensors,
    layer_norms,
    read_dims,
    routed_experts,
    router,
    sliding_window,
)
from calculators.model.families.reader import ConfigReader
from calculators.model.spec import ModelSpec, TensorGroup


def read_gpt_oss(r: ConfigReader) -> ModelSpec:
    d = read_dims(r, kv_heads_default=8, head_dim_default=64)
    bias = r.flag("attention_bias", True)
    tied = r.flag("tie_word_embeddings", False)
    num_experts = r.integer("num_local_experts", 128, aliases=("num_experts",))
    top_k = r.integer("num_experts_per_tok", 4)
    check_top_k(r, "num_experts_per_tok", top_k, num_experts)
    window = sliding_window(r, 128)
    types = r.layer_types(d.layers, ("full_attention", "sliding_attention"))
    if types is None:
        types = ["sliding_attention" if (i + 1) % 2 else "full_attention" for i in range(d.layers)]
    layers = d.layers
    tensors = [
        *attention_projections(d, layers, qkv_bias=bias, o_bias=bias),
        TensorGroup("attention", "other", (d.heads,), layers, layers, "sinks", split="column"),  # one per head
        *router(d.hidden, num_experts, layers, bias=True),
        *routed_experts(d.hidden, d.intermediate, num_experts, top_k, layers, bias=True),
        *layer_norms(d.hidden, layers),
    ]
    return assemble_decoder(
        r,
        d,
        mixers=attention_mixers(r, types, d, window),
        tensors=decoder_tensors(d, tensors, tied),
        tied=tied,
        num_experts=num_experts,
        experts_per_token=top_k,
    )
