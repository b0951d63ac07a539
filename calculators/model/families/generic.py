"""Estimate for a ``model_type`` no reader knows: a Llama-style decoder built from the standard fields.

The result is marked ``approximate`` and its notes list every assumption. Fields it cannot do without
(hidden size, layers, heads, MLP size, vocabulary) raise CalculatorError naming them all at once.
"""

from __future__ import annotations

from calculators.errors import CalculatorError, positive_int
from calculators.messages import Message
from calculators.model.families.blocks import (
    assemble_decoder,
    attention_projections,
    decoder_tensors,
    every_layer_attention,
    gated_mlp,
    layer_norms,
    read_dims,
    routed_experts,
    router,
)
from calculators.model.families.reader import ConfigReader
from calculators.model.spec import ModelSpec

#: Standard field names and the aliases other families use for them.
STANDARD_FIELDS = {
    "hidden_size": ("n_embd", "d_model"),
    "num_hidden_layers": ("n_layer", "num_layers"),
    "num_attention_heads": ("n_head", "num_heads"),
    "intermediate_size": ("n_inner", "ffn_dim", "d_ff"),
    "vocab_size": (),
}


def read_generic(r: ConfigReader) -> ModelSpec:
    data = dict(r.data)
    for key, aliases in STANDARD_FIELDS.items():  # use an alias where the standard name is absent
        if data.get(key) is None:
            for alias in aliases:
                if data.get(alias) is not None:
                    data[key] = positive_int(r.field(alias), data[alias])
                    r.note(Message("note.alias", alias=r.field(alias), key=key))
                    break
    missing = [key for key in STANDARD_FIELDS if data.get(key) is None]
    if missing:
        names = ", ".join(r.field(key) for key in missing)
        raise CalculatorError(r.field(missing[0]), "config.generic_needs", model_type=repr(r.model_type), names=names)
    r.data = data
    for key in ("sliding_window", "layer_types"):
        if r.present(key):
            r.note(Message("note.layer_types_full_attention", field=r.field(key)))
    d = read_dims(r, check_gqa=False)
    tied = r.flag("tie_word_embeddings", False)
    num_experts = 0
    for key in ("num_local_experts", "num_experts", "n_routed_experts"):
        if r.present(key):
            num_experts = r.integer(key, minimum=0)
            break
    top_k = r.integer("num_experts_per_tok", 0, minimum=0, note_default=False) if num_experts > 1 else 0
    moe = num_experts > 1 and top_k > 0
    layers = d.layers
    if moe:
        expert_size = r.integer("moe_intermediate_size", d.intermediate, note_default=False)
        mlp = [
            *router(d.hidden, num_experts, layers),
            *routed_experts(d.hidden, expert_size, num_experts, min(top_k, num_experts), layers),
        ]
        r.note(Message("note.assumed_moe", experts=num_experts, size=expert_size, top_k=top_k))
    else:
        mlp = gated_mlp("mlp", d.hidden, d.intermediate, layers)
    r.note(Message("note.generic_model_type", model_type=repr(r.model_type)))
    tensors = [
        *attention_projections(d, layers),
        *mlp,
        *layer_norms(d.hidden, layers),
    ]
    return assemble_decoder(
        r,
        d,
        mixers=every_layer_attention(r, d, None),
        tensors=decoder_tensors(d, tensors, tied),
        tied=tied,
        num_experts=num_experts if moe else 0,
        experts_per_token=top_k if moe else 0,
        approximate=True,
    )
