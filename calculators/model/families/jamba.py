"""Jamba: Mamba layers with one attention layer in every ``attn_layer_period``, MoE on every
``expert_layer_period``-th layer."""

from __future__ import annotations

from calculators.errors import CalculatorError, describe
from calculators.model.families.blocks import (
    assemble_decoder,
    attention_mixers,
    attention_projections,
    check_top_k,
    decoder_tensors,
    gated_mlp,
    ignore_layer_types,
    linear,
    norm,
    read_dims,
    routed_experts,
    router,
)
from calculators.model.families.reader import ConfigReader
from calculators.model.spec import Mixer, ModelSpec, RecurrentMixer, TensorGroup


def read_jamba(r: ConfigReader) -> ModelSpec:
    d = read_dims(r, kv_heads_default=8)
    tied = r.flag("tie_word_embeddings", False)
    ignore_layer_types(r)
    num_experts = r.integer("num_experts", 16, aliases=("num_local_experts",))
    top_k = r.integer("num_experts_per_tok", 2)
    attn_period, attn_offset = _period(r, "attn_layer", 8, 4)
    expert_period, expert_offset = _period(r, "expert_layer", 2, 1)

    is_attention = [i % attn_period == attn_offset for i in range(d.layers)]
    is_moe = [num_experts > 1 and i % expert_period == expert_offset for i in range(d.layers)]
    attention_layers, moe_layers = sum(is_attention), sum(is_moe)
    if moe_layers:
        check_top_k(r, "num_experts_per_tok", top_k, num_experts)

    mamba, state = _mamba(r, d.hidden, d.layers - attention_layers)
    full = attention_mixers(r, ["full_attention"], d, None)[0]
    mixers: list[Mixer] = [full if attention else state for attention in is_attention]

    tensors = [
        *attention_projections(d, attention_layers),
        *mamba,
        *gated_mlp("mlp", d.hidden, d.intermediate, d.layers - moe_layers),
        *router(d.hidden, num_experts, moe_layers),
        *routed_experts(d.hidden, d.intermediate, num_experts, top_k, moe_layers),
        *norm("input_layernorm", d.hidden, d.layers),
        *norm("pre_ff_layernorm", d.hidden, d.layers),
    ]
    return assemble_decoder(
        r,
        d,
        mixers=mixers,
        tensors=decoder_tensors(d, tensors, tied, final_norm="final_layernorm"),
        tied=tied,
        num_experts=num_experts if moe_layers else 0,
        experts_per_token=top_k if moe_layers else 0,
    )


def _period(r: ConfigReader, prefix: str, period_default: int, offset_default: int) -> tuple[int, int]:
    period = r.integer(f"{prefix}_period", period_default, note_default=False)
    offset = r.integer(f"{prefix}_offset", offset_default, minimum=0, note_default=False)
    if offset >= period:
        raise CalculatorError(r.field(f"{prefix}_offset"), "config.offset_over_period", other=f"{prefix}_period",
                              period=period)
    return period, offset


def _mamba(r: ConfigReader, hidden: int, layers: int) -> tuple[list[TensorGroup], RecurrentMixer]:
    """Tensors of ``layers`` Mamba mixers, and the state one of them keeps per sequence:
    a ``d_inner x d_conv`` convolution window and a ``d_inner x d_state`` SSM state."""
    expand = r.integer("mamba_expand", 2)
    d_state = r.integer("mamba_d_state", 16)
    d_conv = r.integer("mamba_d_conv", 4)
    conv_bias = r.flag("mamba_conv_bias", True)
    proj_bias = r.flag("mamba_proj_bias", False)
    dt_rank_value = r.data.get("mamba_dt_rank", "auto")
    if dt_rank_value in ("auto", None):
        dt_rank = -(-hidden // 16)
    elif isinstance(dt_rank_value, str):
        raise CalculatorError(r.field("mamba_dt_rank"), "config.dt_rank", value=describe(dt_rank_value))
    else:
        dt_rank = r.integer("mamba_dt_rank")
    inner = expand * hidden
    tensors = [
        TensorGroup("recurrent", "other", (inner, 1, d_conv), layers, layers, "mamba.conv1d", split="column"),
        *([TensorGroup("recurrent", "bias", (inner,), layers, layers, "mamba.conv1d.bias", split="column")]
          if conv_bias else []),
        *linear("recurrent", "mamba.in_proj", 2 * inner, hidden, layers, bias=proj_bias),
        *linear("recurrent", "mamba.x_proj", dt_rank + 2 * d_state, inner, layers, split="row"),
        *linear("recurrent", "mamba.dt_proj", inner, dt_rank, layers, bias=True),
        TensorGroup("recurrent", "other", (inner, d_state), layers, layers, "mamba.A_log", split="column"),
        TensorGroup("recurrent", "other", (inner,), layers, layers, "mamba.D", split="column"),
        *linear("recurrent", "mamba.out_proj", hidden, inner, layers, bias=proj_bias, split="row"),
        *norm("mamba.dt_layernorm", dt_rank, layers),
        *norm("mamba.b_layernorm", d_state, layers),
        *norm("mamba.c_layernorm", d_state, layers),
    ]
    state = RecurrentMixer(
        kind="mamba",
        conv_state_elements=inner * d_conv,
        ssm_state_elements=inner * d_state,
        parallel_heads=inner,
    )
    return [group for group in tensors if group.count > 0], state
