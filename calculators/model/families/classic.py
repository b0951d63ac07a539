"""Earlier decoder designs: gpt2, gpt_neox, falcon, bloom.

LayerNorm with bias, biased linear layers (except Falcon's ``bias=false``), a non-gated MLP, and attention
heads of ``hidden_size // num_attention_heads``. Falcon's KV heads depend on two flags: ``multi_query``
(one shared K/V head) and ``new_decoder_architecture`` (``num_kv_heads`` groups).
"""

from __future__ import annotations

from calculators.errors import LIMITS, CalculatorError
from calculators.messages import Message
from calculators.model.families.blocks import assemble, embedding, linear, norm, output_head
from calculators.model.families.reader import ConfigReader
from calculators.model.spec import FullAttention, ModelSpec, TensorGroup


def _head_dim(r: ConfigReader, hidden: int, heads: int, heads_key: str) -> int:
    if hidden % heads:
        raise CalculatorError(r.field(heads_key), "config.divide", other="hidden_size", size=hidden, value=heads)
    return hidden // heads


def _layers(r: ConfigReader, key: str, aliases: tuple[str, ...] = ()) -> int:
    return r.integer(key, aliases=aliases, maximum=LIMITS["num_hidden_layers"])


def _mlp(hidden: int, inner: int, layers: int, names: tuple[str, str], bias: bool = True) -> list[TensorGroup]:
    return [
        *linear("mlp", names[0], inner, hidden, layers, bias=bias),
        *linear("mlp", names[1], hidden, inner, layers, bias=bias, split="row"),
    ]


def read_gpt2(r: ConfigReader) -> ModelSpec:
    """gpt2: learned position embeddings (``n_positions``), fused ``c_attn``, MLP of ``n_inner`` (4 x)."""
    hidden = r.integer("n_embd", aliases=("hidden_size",))
    layers = _layers(r, "n_layer", ("num_hidden_layers",))
    heads = r.integer("n_head", aliases=("num_attention_heads",))
    vocab = r.integer("vocab_size", maximum=LIMITS["vocab_size"])
    positions = r.integer("n_positions", 1024, aliases=("max_position_embeddings",), maximum=LIMITS["positions"])
    inner = r.optional_int("n_inner") or 4 * hidden
    tied = r.flag("tie_word_embeddings", True)
    if r.flag("add_cross_attention", False):
        raise CalculatorError(r.field("add_cross_attention"), "config.gpt2_cross_attention")
    head_dim = _head_dim(r, hidden, heads, "n_head")
    tensors = [
        *embedding(vocab, hidden, "wte"),
        # vLLM builds GPT-style learned positions as a plain nn.Embedding (gpt_bigcode.py, jais.py): one whole copy
        # per rank
        TensorGroup("embeddings", "embedding", (positions, hidden), 1, 1, "wpe", split="replicated"),
        *norm("ln_1", hidden, layers, bias=True),
        *linear("attention", "c_attn", 3 * hidden, hidden, layers, bias=True),
        *linear("attention", "c_proj", hidden, hidden, layers, bias=True, split="row"),
        *norm("ln_2", hidden, layers, bias=True),
        *_mlp(hidden, inner, layers, ("c_fc", "mlp.c_proj")),
        *norm("ln_f", hidden, 1, bias=True),
        *output_head(vocab, hidden, tied),
    ]
    return assemble(
        r,
        hidden=hidden,
        layers=layers,
        vocab=vocab,
        intermediate=inner,
        max_positions=positions,
        mixers=[FullAttention(heads, heads, head_dim, head_dim)] * layers,
        tensors=tensors,
        tied=tied,
    )


def read_gpt_neox(r: ConfigReader) -> ModelSpec:
    """gpt_neox (Pythia, GPT-NeoX): fused ``query_key_value``, untied ``lm_head`` by default."""
    hidden = r.integer("hidden_size")
    layers = _layers(r, "num_hidden_layers")
    heads = r.integer("num_attention_heads")
    vocab = r.integer("vocab_size", maximum=LIMITS["vocab_size"])
    intermediate = r.integer("intermediate_size")
    max_positions = r.optional_int("max_position_embeddings", maximum=LIMITS["positions"])
    bias = r.flag("attention_bias", True)
    tied = r.flag("tie_word_embeddings", False)
    head_dim = _head_dim(r, hidden, heads, "num_attention_heads")
    tensors = [
        *embedding(vocab, hidden, "embed_in"),
        *norm("input_layernorm", hidden, layers, bias=True),
        *norm("post_attention_layernorm", hidden, layers, bias=True),
        *linear("attention", "query_key_value", 3 * hidden, hidden, layers, bias=bias),
        *linear("attention", "dense", hidden, hidden, layers, bias=bias, split="row"),
        *_mlp(hidden, intermediate, layers, ("dense_h_to_4h", "dense_4h_to_h")),
        *norm("final_layer_norm", hidden, 1, bias=True),
        *output_head(vocab, hidden, tied),
    ]
    return assemble(
        r,
        hidden=hidden,
        layers=layers,
        vocab=vocab,
        intermediate=intermediate,
        max_positions=max_positions,
        mixers=[FullAttention(heads, heads, head_dim, head_dim)] * layers,
        tensors=tensors,
        tied=tied,
    )


def read_falcon(r: ConfigReader) -> ModelSpec:
    """falcon: ``multi_query`` (Falcon-7B, one K/V head) or ``new_decoder_architecture`` (Falcon-40B/180B,
    ``num_kv_heads`` K/V heads); parallel attention and MLP share one or two LayerNorms."""
    hidden = r.integer("hidden_size", aliases=("n_embed",))
    layers = _layers(r, "num_hidden_layers")
    heads = r.integer("num_attention_heads")
    vocab = r.integer("vocab_size", maximum=LIMITS["vocab_size"])
    max_positions = r.optional_int("max_position_embeddings", maximum=LIMITS["positions"])
    new_architecture = r.flag("new_decoder_architecture", False)
    multi_query = r.flag("multi_query", True)
    parallel_attn = r.flag("parallel_attn", True)
    bias = r.flag("bias", False)
    tied = r.flag("tie_word_embeddings", True)
    ffn = r.optional_int("ffn_hidden_size") or 4 * hidden
    num_ln = r.optional_int("num_ln_in_parallel_attn")
    head_dim = _head_dim(r, hidden, heads, "num_attention_heads")

    if new_architecture:
        kv_heads = r.integer("num_kv_heads", heads, note_default=False)
        if heads % kv_heads:
            raise CalculatorError(r.field("num_kv_heads"), "config.divide", other="num_attention_heads", size=heads,
                                  value=kv_heads)
        qkv_out = (heads + 2 * kv_heads) * head_dim
        r.note(Message("note.falcon_broadcast", heads=heads, kv_heads=kv_heads))
    elif multi_query:
        kv_heads, qkv_out = 1, hidden + 2 * head_dim
    else:
        kv_heads, qkv_out = heads, 3 * hidden
    if not parallel_attn:
        layer_norms = ("input_layernorm", "post_attention_layernorm")
    elif num_ln == 2 or (num_ln is None and new_architecture):
        layer_norms = ("ln_attn", "ln_mlp")
    else:
        layer_norms = ("input_layernorm",)

    tensors = [
        *embedding(vocab, hidden, "word_embeddings"),
        *linear("attention", "query_key_value", qkv_out, hidden, layers, bias=bias),
        *linear("attention", "dense", hidden, hidden, layers, bias=bias, split="row"),
        *_mlp(hidden, ffn, layers, ("dense_h_to_4h", "dense_4h_to_h"), bias=bias),
        *[group for name in layer_norms for group in norm(name, hidden, layers, bias=True)],
        *norm("ln_f", hidden, 1, bias=True),
        *output_head(vocab, hidden, tied),
    ]
    return assemble(
        r,
        hidden=hidden,
        layers=layers,
        vocab=vocab,
        intermediate=ffn,
        max_positions=max_positions,
        mixers=[FullAttention(heads, kv_heads, head_dim, head_dim)] * layers,
        tensors=tensors,
        tied=tied,
    )


def read_bloom(r: ConfigReader) -> ModelSpec:
    """bloom: ALiBi positions (no position parameters), a LayerNorm right after the embeddings."""
    hidden = r.integer("hidden_size", aliases=("n_embed",))
    layers = _layers(r, "n_layer", ("num_hidden_layers",))
    heads = r.integer("n_head", aliases=("num_attention_heads",))
    vocab = r.integer("vocab_size", maximum=LIMITS["vocab_size"])
    tied = r.flag("tie_word_embeddings", True)
    head_dim = _head_dim(r, hidden, heads, "n_head")
    tensors = [
        *embedding(vocab, hidden, "word_embeddings"),
        *norm("word_embeddings_layernorm", hidden, 1, bias=True),
        *norm("input_layernorm", hidden, layers, bias=True),
        *linear("attention", "query_key_value", 3 * hidden, hidden, layers, bias=True),
        *linear("attention", "dense", hidden, hidden, layers, bias=True, split="row"),
        *norm("post_attention_layernorm", hidden, layers, bias=True),
        *_mlp(hidden, 4 * hidden, layers, ("dense_h_to_4h", "dense_4h_to_h")),
        *norm("ln_f", hidden, 1, bias=True),
        *output_head(vocab, hidden, tied),
    ]
    return assemble(
        r,
        hidden=hidden,
        layers=layers,
        vocab=vocab,
        intermediate=4 * hidden,
        max_positions=None,
        mixers=[FullAttention(heads, heads, head_dim, head_dim)] * layers,
        tensors=tensors,
        tied=tied,
    )
