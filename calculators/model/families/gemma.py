"""Gemma decoders: gemma, gemma2, gemma3_text (the text model of the multimodal gemma3).

Gemma ties its output head to the embeddings by default and fixes head_dim (256 unless the config says
otherwise). Gemma 2 alternates sliding and full attention and norms before and after each block;
Gemma 3 adds per-head q/k norms and slides on five layers of every six.
"""

from __future__ import annotations

from calculators.model.families.blocks import (
    assemble_decoder,
    attention_mixers,
    attention_projections,
    decoder_tensors,
    every_layer,
    gated_mlp,
    layer_norms,
    norm,
    read_dims,
    sliding_window,
)
from calculators.model.families.reader import ConfigReader
from calculators.model.spec import ModelSpec

ATTENTION_TYPES = ("full_attention", "sliding_attention")


def read_gemma(r: ConfigReader) -> ModelSpec:
    """gemma: all layers full attention, two norms per layer."""
    return _read(r, version=1)


def read_gemma2(r: ConfigReader) -> ModelSpec:
    """gemma2: layers alternate sliding (even indices) and full attention."""
    return _read(r, version=2)


def read_gemma3_text(r: ConfigReader) -> ModelSpec:
    """gemma3_text: q/k norms; layer i slides unless (i + 1) is a multiple of ``sliding_window_pattern``."""
    return _read(r, version=3)


def _read(r: ConfigReader, version: int) -> ModelSpec:
    if version == 3:
        defaults = {"num_attention_heads": 8, "vocab_size": 262_208}
        d = read_dims(r, kv_heads_default=4, head_dim_default=256, defaults=defaults)
    else:
        d = read_dims(r, kv_heads_default=16 if version == 1 else 4, head_dim_default=256)
    bias = r.flag("attention_bias", False)
    tied = r.flag("tie_word_embeddings", True)
    layers = d.layers

    window = None
    types = every_layer("full_attention", layers)
    if version >= 2:
        window = sliding_window(r, 4096)
        if version == 3 and window is not None and r.flag("use_bidirectional_attention", False):
            window = window // 2 + 1  # as Gemma3TextConfig does for its bidirectional (embedding) variant
        given = r.layer_types(layers, ATTENTION_TYPES)
        if given is not None:
            types = given
        else:
            pattern = 2 if version == 2 else r.integer("sliding_window_pattern", 6, note_default=False)
            types = ["sliding_attention" if (i + 1) % pattern else "full_attention" for i in range(layers)]

    tensors = [
        *attention_projections(d, layers, qkv_bias=bias, o_bias=bias),
        *(norm("q_norm", d.head_dim, layers) + norm("k_norm", d.head_dim, layers) if version == 3 else []),
        *gated_mlp("mlp", d.hidden, d.intermediate, layers),
        *layer_norms(d.hidden, layers),
        *(
            norm("pre_feedforward_layernorm", d.hidden, layers) + norm("post_feedforward_layernorm", d.hidden, layers)
            if version >= 2
            else []
        ),
    ]
    return assemble_decoder(
        r, d, mixers=attention_mixers(r, types, d, window), tensors=decoder_tensors(d, tensors, tied), tied=tied
    )
