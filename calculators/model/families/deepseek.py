"""DeepSeek-V2 and DeepSeek-V3: multi-head latent attention (MLA) and fine-grained MoE.

Layers ``i < first_k_dense_replace`` have a dense MLP; the others route each token to
``num_experts_per_tok`` of ``n_routed_experts`` experts and always run ``n_shared_experts`` shared ones.
DeepSeek-V3 checkpoints also hold ``num_nextn_predict_layers`` multi-token-prediction (MTP) layers that
``transformers`` does not build: they are listed in ``checkpoint_only``, outside the total.
"""

from __future__ import annotations

from dataclasses import replace

from calculators.errors import LIMITS
from calculators.messages import Message
from calculators.model.families.blocks import (
    assemble,
    check_top_k,
    embedding,
    gated_mlp,
    layer_norms,
    linear,
    norm,
    output_head,
    routed_experts,
    router,
)
from calculators.model.families.reader import ConfigReader
from calculators.model.spec import MLAAttention, ModelSpec, TensorGroup


def read_deepseek_v2(r: ConfigReader) -> ModelSpec:
    return _read(r, version=2)


def read_deepseek_v3(r: ConfigReader) -> ModelSpec:
    return _read(r, version=3)


def _read(r: ConfigReader, version: int) -> ModelSpec:
    v3 = version == 3
    hidden = r.integer("hidden_size")
    layers = r.integer("num_hidden_layers", maximum=LIMITS["num_hidden_layers"])
    heads = r.integer("num_attention_heads")
    vocab = r.integer("vocab_size", maximum=LIMITS["vocab_size"])
    intermediate = r.integer("intermediate_size")
    max_positions = r.optional_int("max_position_embeddings", maximum=LIMITS["positions"])
    tied = r.flag("tie_word_embeddings", False)
    attention_bias = r.flag("attention_bias", False)
    mlp_bias = False if v3 else r.flag("mlp_bias", False)

    mla = MLAAttention(
        num_heads=heads,
        kv_lora_rank=r.integer("kv_lora_rank", 512),
        qk_rope_head_dim=r.integer("qk_rope_head_dim", 64),
        qk_nope_head_dim=r.integer("qk_nope_head_dim", 128),
        v_head_dim=r.integer("v_head_dim", 128),
    )
    q_lora_rank = r.optional_int("q_lora_rank", 1536, note_default=True)

    num_experts = r.integer("n_routed_experts", 256 if v3 else 64, aliases=("num_local_experts", "num_experts"))
    shared_experts = r.integer("n_shared_experts", 1 if v3 else 2, minimum=0)
    moe_intermediate = r.integer("moe_intermediate_size", 2048 if v3 else 1407)
    first_dense = r.integer("first_k_dense_replace", 3 if v3 else 0, minimum=0, maximum=LIMITS["num_hidden_layers"])
    moe_layers = max(0, layers - first_dense)
    top_k = r.integer("num_experts_per_tok", 8) if v3 or moe_layers == 0 else r.integer("num_experts_per_tok")
    check_top_k(r, "num_experts_per_tok", top_k, num_experts)
    if r.present("moe_layer_freq") and r.data["moe_layer_freq"] != 1:
        r.note(Message("note.moe_layer_freq_ignored", field=r.field("moe_layer_freq")))
    mtp_layers = 0
    if v3:
        mtp_layers = r.integer("num_nextn_predict_layers", 0, aliases=("num_mtp_layers",), minimum=0,
                               note_default=False)

    def moe_block(count: int) -> list[TensorGroup]:
        return [
            *router(hidden, num_experts, count),
            *routed_experts(hidden, moe_intermediate, num_experts, top_k, count),
            *gated_mlp("shared_experts", hidden, moe_intermediate * shared_experts, count, bias=mlp_bias),
        ]

    tensors = [
        *embedding(vocab, hidden),
        *_mla_projections(hidden, mla, q_lora_rank, layers, attention_bias),
        *gated_mlp("mlp", hidden, intermediate, layers - moe_layers, bias=mlp_bias),
        *moe_block(moe_layers),
        *layer_norms(hidden, layers),
        *norm("norm", hidden, 1),
        *output_head(vocab, hidden, tied),
    ]
    # DeepSeek-V3's router keeps a per-expert score-correction bias as a buffer, not a parameter.
    buffers = [TensorGroup("router", "other", (num_experts,), moe_layers, moe_layers, "e_score_correction_bias",
                           split="replicated")]

    checkpoint_only: list[TensorGroup] = []
    if mtp_layers:
        n = mtp_layers
        mtp = [
            TensorGroup("embeddings", "embedding", (vocab, hidden), n, n, "embed_tokens", split="vocab"),
            *norm("enorm", hidden, n),
            *norm("hnorm", hidden, n),
            *linear("other", "eh_proj", hidden, 2 * hidden, n, split="replicated"),  # a plain nn.Linear in vLLM
            *_mla_projections(hidden, mla, q_lora_rank, n, attention_bias),
            *moe_block(n),
            TensorGroup("router", "other", (num_experts,), n, n, "e_score_correction_bias", split="replicated"),
            *layer_norms(hidden, n),
            *norm("shared_head.norm", hidden, n),
            *linear("lm_head", "shared_head.head", vocab, hidden, n, split="vocab"),
        ]
        checkpoint_only = [replace(group, name=f"mtp.{group.name}") for group in mtp]
        r.note(Message("note.mtp_layers", layers=mtp_layers))

    return assemble(
        r,
        hidden=hidden,
        layers=layers,
        vocab=vocab,
        intermediate=intermediate,
        max_positions=max_positions,
        mixers=[mla] * layers,
        tensors=tensors,
        tied=tied,
        num_experts=num_experts if moe_layers else 0,
        experts_per_token=top_k if moe_layers else 0,
        checkpoint_only=checkpoint_only,
        buffers=buffers if v3 and moe_layers else [],
    )


def _mla_projections(
    hidden: int, mla: MLAAttention, q_lora_rank: int | None, count: int, bias: bool
) -> list[TensorGroup]:
    """MLA's projections: query (direct or through a rank-``q_lora_rank`` bottleneck), the shared latent
    ``kv_a_proj_with_mqa`` (latent + rope key), its up-projection ``kv_b_proj`` to per-head keys and values,
    and ``o_proj``."""
    qk_head_dim = mla.qk_nope_head_dim + mla.qk_rope_head_dim
    if q_lora_rank is None:
        query = linear("attention", "q_proj", mla.num_heads * qk_head_dim, hidden, count)
    else:
        query = [
            *linear("attention", "q_a_proj", q_lora_rank, hidden, count, bias=bias, split="replicated"),
            *norm("q_a_layernorm", q_lora_rank, count),
            *linear("attention", "q_b_proj", mla.num_heads * qk_head_dim, q_lora_rank, count),
        ]
    return [
        *query,
        *linear("attention", "kv_a_proj_with_mqa", mla.kv_lora_rank + mla.qk_rope_head_dim, hidden, count, bias=bias,
                split="replicated"),
        *norm("kv_a_layernorm", mla.kv_lora_rank, count),
        *linear(
            "attention", "kv_b_proj", mla.num_heads * (mla.qk_nope_head_dim + mla.v_head_dim), mla.kv_lora_rank, count
        ),
        *linear("attention", "o_proj", hidden, mla.num_heads * mla.v_head_dim, count, bias=bias, split="row"),
    ]
