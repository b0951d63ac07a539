"""Qwen decoders: qwen2, qwen2_moe, qwen3, qwen3_moe and the hybrid qwen3_next.

Sliding windows follow each config class: ``use_sliding_window`` switches them on, ``max_window_layers``
and ``layer_types`` say which layers use them. MoE layers follow ``decoder_sparse_step`` and
``mlp_only_layers``. Qwen3-Next mixes Gated DeltaNet layers (recurrent state) with gated full attention.
"""

from __future__ import annotations

from calculators.errors import CalculatorError
from calculators.model.families.blocks import (
    Dims,
    assemble_decoder,
    attention_mixers,
    attention_projections,
    check_top_k,
    decoder_tensors,
    every_layer_attention,
    gated_mlp,
    ignore_layer_types,
    layer_norms,
    linear,
    moe_layer_indices,
    norm,
    read_dims,
    routed_experts,
    router,
    sliding_window,
)
from calculators.model.families.reader import ConfigReader
from calculators.model.spec import Mixer, ModelSpec, RecurrentMixer, TensorGroup

ATTENTION_TYPES = ("full_attention", "sliding_attention")


def _window_and_types(r: ConfigReader, layers: int, *, moe_rule: bool) -> tuple[int | None, list[str]]:
    """The sliding window (None if unused) and each layer's attention type.

    Without ``layer_types``: qwen2/qwen3 slide on layers ``i >= max_window_layers``; qwen2_moe slides on
    even layers ``i < max_window_layers``; both only when ``use_sliding_window`` is true.
    """
    use_sliding = r.flag("use_sliding_window", False)
    window = sliding_window(r, 4096) if use_sliding else None
    if use_sliding and window is None:
        raise CalculatorError(r.field("sliding_window"), "config.sliding_window_integer")
    max_window_layers = r.integer("max_window_layers", 28, minimum=0, note_default=False)
    types = r.layer_types(layers, ATTENTION_TYPES)
    if types is None:
        if moe_rule:
            slides = [use_sliding and (i + 1) % 2 == 1 and i < max_window_layers for i in range(layers)]
        else:
            slides = [window is not None and i >= max_window_layers for i in range(layers)]
        types = ["sliding_attention" if s else "full_attention" for s in slides]
    return window, types


def _moe_block(r: ConfigReader, d: Dims, *, defaults: tuple[int, int, int]) -> tuple[int, int, int, list[int]]:
    """(num_experts, experts_per_token, moe_intermediate_size, sparse layer indices); defaults in that order."""
    num_experts = r.integer("num_experts", defaults[0], minimum=0)
    top_k = r.integer("num_experts_per_tok", defaults[1])
    if num_experts:
        check_top_k(r, "num_experts_per_tok", top_k, num_experts)
    moe_intermediate = r.integer("moe_intermediate_size", defaults[2])
    return num_experts, top_k, moe_intermediate, moe_layer_indices(r, d.layers, num_experts)


def _mlps(
    d: Dims,
    num_experts: int,
    top_k: int,
    moe_intermediate: int,
    moe_layers: int,
    shared_intermediate: int | None,
) -> list[TensorGroup]:
    """Dense MLPs of the non-sparse layers and MoE blocks (router, experts, shared expert) of the rest."""
    dense_layers = d.layers - moe_layers
    groups = [
        *gated_mlp("mlp", d.hidden, d.intermediate, dense_layers),
        *router(d.hidden, num_experts, moe_layers),
        *routed_experts(d.hidden, moe_intermediate, num_experts, top_k, moe_layers),
    ]
    if shared_intermediate is not None:
        groups += [
            *gated_mlp("shared_experts", d.hidden, shared_intermediate, moe_layers),
            *linear("router", "shared_expert_gate", 1, d.hidden, moe_layers, split="replicated"),
        ]
    return groups


def read_qwen2(r: ConfigReader) -> ModelSpec:
    """qwen2 (Qwen2, Qwen2.5): biases on q/k/v only."""
    d = read_dims(r, kv_heads_default=32)
    tied = r.flag("tie_word_embeddings", False)
    window, types = _window_and_types(r, d.layers, moe_rule=False)
    tensors = [
        *attention_projections(d, d.layers, qkv_bias=True),
        *gated_mlp("mlp", d.hidden, d.intermediate, d.layers),
        *layer_norms(d.hidden, d.layers),
    ]
    return assemble_decoder(
        r, d, mixers=attention_mixers(r, types, d, window), tensors=decoder_tensors(d, tensors, tied), tied=tied
    )


def read_qwen3(r: ConfigReader) -> ModelSpec:
    """qwen3: explicit head_dim (default 128), per-head q/k RMSNorm, optional ``attention_bias``."""
    d = read_dims(r, kv_heads_default=32, head_dim_default=128)
    bias = r.flag("attention_bias", False)
    tied = r.flag("tie_word_embeddings", False)
    window, types = _window_and_types(r, d.layers, moe_rule=False)
    tensors = [
        *attention_projections(d, d.layers, qkv_bias=bias, o_bias=bias),
        *norm("q_norm", d.head_dim, d.layers),
        *norm("k_norm", d.head_dim, d.layers),
        *gated_mlp("mlp", d.hidden, d.intermediate, d.layers),
        *layer_norms(d.hidden, d.layers),
    ]
    return assemble_decoder(
        r, d, mixers=attention_mixers(r, types, d, window), tensors=decoder_tensors(d, tensors, tied), tied=tied
    )


def read_qwen2_moe(r: ConfigReader) -> ModelSpec:
    """qwen2_moe: routed experts plus a sigmoid-gated shared expert in every sparse layer."""
    d = read_dims(r, kv_heads_default=16)
    qkv_bias = r.flag("qkv_bias", True)
    tied = r.flag("tie_word_embeddings", False)
    window, types = _window_and_types(r, d.layers, moe_rule=True)
    num_experts, top_k, moe_intermediate, sparse = _moe_block(r, d, defaults=(60, 4, 1408))
    shared_intermediate = r.integer("shared_expert_intermediate_size", 5632)
    tensors = [
        *attention_projections(d, d.layers, qkv_bias=qkv_bias),
        *_mlps(d, num_experts, top_k, moe_intermediate, len(sparse), shared_intermediate),
        *layer_norms(d.hidden, d.layers),
    ]
    return assemble_decoder(
        r,
        d,
        mixers=attention_mixers(r, types, d, window),
        tensors=decoder_tensors(d, tensors, tied),
        tied=tied,
        num_experts=num_experts if sparse else 0,
        experts_per_token=top_k if sparse else 0,
    )


def read_qwen3_moe(r: ConfigReader) -> ModelSpec:
    """qwen3_moe: Qwen3 attention, routed experts without a shared expert."""
    d = read_dims(r, kv_heads_default=4)
    bias = r.flag("attention_bias", False)
    tied = r.flag("tie_word_embeddings", False)
    window = sliding_window(r, 4096) if r.flag("use_sliding_window", False) else None
    ignore_layer_types(r)
    num_experts, top_k, moe_intermediate, sparse = _moe_block(r, d, defaults=(128, 8, 768))
    tensors = [
        *attention_projections(d, d.layers, qkv_bias=bias, o_bias=bias),
        *norm("q_norm", d.head_dim, d.layers),
        *norm("k_norm", d.head_dim, d.layers),
        *_mlps(d, num_experts, top_k, moe_intermediate, len(sparse), None),
        *layer_norms(d.hidden, d.layers),
    ]
    return assemble_decoder(
        r,
        d,
        mixers=every_layer_attention(r, d, window),
        tensors=decoder_tensors(d, tensors, tied),
        tied=tied,
        num_experts=num_experts if sparse else 0,
        experts_per_token=top_k if sparse else 0,
    )


def read_qwen3_next(r: ConfigReader) -> ModelSpec:
    """qwen3_next: Gated DeltaNet layers and gated full attention (default: 3 linear, then 1 full)."""
    d = read_dims(r, kv_heads_default=2, head_dim_default=256)
    bias = r.flag("attention_bias", False)
    tied = r.flag("tie_word_embeddings", False)
    types = r.layer_types(d.layers, ("linear_attention", "full_attention"))
    if types is None:
        interval = r.integer("full_attention_interval", 4, note_default=False)
        types = ["full_attention" if (i + 1) % interval == 0 else "linear_attention" for i in range(d.layers)]
    linear_layers = types.count("linear_attention")
    attention_layers = d.layers - linear_layers

    delta_net, state = _gated_delta_net(r, d.hidden, linear_layers)
    full = attention_mixers(r, ["full_attention"], d, None)[0]
    mixers: list[Mixer] = [state if kind == "linear_attention" else full for kind in types]

    num_experts, top_k, moe_intermediate, sparse = _moe_block(r, d, defaults=(512, 10, 512))
    shared_intermediate = r.integer("shared_expert_intermediate_size", 512)
    tensors = [
        *attention_projections(d, attention_layers, qkv_bias=bias, o_bias=bias, q_multiplier=2),
        *norm("q_norm", d.head_dim, attention_layers),
        *norm("k_norm", d.head_dim, attention_layers),
        *delta_net,
        *_mlps(d, num_experts, top_k, moe_intermediate, len(sparse), shared_intermediate),
        *layer_norms(d.hidden, d.layers),
    ]
    return assemble_decoder(
        r,
        d,
        mixers=mixers,
        tensors=decoder_tensors(d, tensors, tied),
        tied=tied,
        num_experts=num_experts if sparse else 0,
        experts_per_token=top_k if sparse else 0,
    )


def _gated_delta_net(r: ConfigReader, hidden: int, layers: int) -> tuple[list[TensorGroup], RecurrentMixer]:
    """Tensors of ``layers`` Gated DeltaNet blocks, and the recurrent state one of them keeps.

    State per sequence: a causal-conv window of ``conv_dim x kernel`` (q, k and v channels) and a
    delta-rule state of ``num_value_heads x key_head_dim x value_head_dim``.
    """
    v_heads = r.integer("linear_num_value_heads", 32)
    k_heads = r.integer("linear_num_key_heads", 16)
    k_dim = r.integer("linear_key_head_dim", 128)
    v_dim = r.integer("linear_value_head_dim", 128)
    kernel = r.integer("linear_conv_kernel_dim", 4)
    if v_heads % k_heads:
        raise CalculatorError(r.field("linear_num_key_heads"), "config.divide", other="linear_num_value_heads",
                              size=v_heads, value=k_heads)
    key_dim, value_dim = k_heads * k_dim, v_heads * v_dim
    conv_dim = 2 * key_dim + value_dim
    tensors = [
        TensorGroup("recurrent", "other", (conv_dim, 1, kernel), layers, layers, "linear_attn.conv1d", split="column"),
        *linear("recurrent", "linear_attn.in_proj_qkvz", 2 * key_dim + 2 * value_dim, hidden, layers),
        *linear("recurrent", "linear_attn.in_proj_ba", 2 * v_heads, hidden, layers),
        TensorGroup("recurrent", "bias", (v_heads,), layers, layers, "linear_attn.dt_bias", split="column"),
        TensorGroup("recurrent", "other", (v_heads,), layers, layers, "linear_attn.A_log", split="column"),
        *norm("linear_attn.norm", v_dim, layers),
        *linear("recurrent", "linear_attn.out_proj", hidden, value_dim, layers, split="row"),
    ]
    state = RecurrentMixer(
        kind="gated_deltanet",
        conv_state_elements=conv_dim * kernel,
        ssm_state_elements=v_heads * k_dim * v_dim,
        parallel_heads=k_heads,
    )
    return [group for group in tensors if group.count > 0], state
