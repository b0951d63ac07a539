"""Building blocks the family readers share: the tensor groups of common modules, and mixer lists.

Shapes follow ``transformers``: a linear layer is ``(out_features, in_features)``; routed experts are
listed one expert matrix at a time (``count`` = MoE layers x experts, ``active_count`` = MoE layers x
experts per token), which is how ``transformers``' fused 3-D expert parameters split.
"""

from __future__ import annotations

from dataclasses import dataclass

from calculators.errors import LIMITS, CalculatorError
from calculators.messages import Message
from calculators.model.families.reader import ConfigReader
from calculators.model.spec import FullAttention, Mixer, ModelSpec, SlidingAttention, TensorGroup

# ----------------------------------------------------------------------------------------------------
# Tensor groups of common modules


def linear(
    component: str,
    name: str,
    out_features: int,
    in_features: int,
    count: int,
    *,
    bias: bool = False,
    active_count: int | None = None,
    split: str = "column",
) -> list[TensorGroup]:
    """``count`` linear layers ``in_features -> out_features`` (weight, and bias if ``bias``), placed across
    tensor-parallel ranks by ``split`` (a row-parallel layer's bias is whole on every rank)."""
    if count == 0 or out_features == 0:
        return []
    active = count if active_count is None else active_count
    groups = []
    if in_features:  # a zero-width input (e.g. no shared experts) leaves only the bias
        groups.append(TensorGroup(component, "linear", (out_features, in_features), count, active, name, split=split))
    if bias:
        groups.append(TensorGroup(component, "bias", (out_features,), count, active, f"{name}.bias",
                                  split="replicated" if split == "row" else split))
    return groups


def norm(name: str, dim: int, count: int, *, bias: bool = False) -> list[TensorGroup]:
    """``count`` RMSNorm (weight) or LayerNorm (``bias=True``: weight and bias) of size ``dim``."""
    if count == 0:
        return []
    groups = [TensorGroup("norms", "norm", (dim,), count, count, name, split="replicated")]
    if bias:
        groups.append(TensorGroup("norms", "norm", (dim,), count, count, f"{name}.bias", split="replicated"))
    return groups


def embedding(vocab_size: int, hidden_size: int, name: str = "embed_tokens") -> list[TensorGroup]:
    """The token embedding table."""
    return [TensorGroup("embeddings", "embedding", (vocab_size, hidden_size), 1, 1, name, split="vocab")]


def output_head(vocab_size: int, hidden_size: int, tied: bool) -> list[TensorGroup]:
    """``lm_head``: nothing extra when tied to the embedding table (a tied weight is counted once)."""
    return [] if tied else linear("lm_head", "lm_head", vocab_size, hidden_size, 1, split="vocab")


def attention_projections(
    d: Dims,
    count: int,
    *,
    qkv_bias: bool = False,
    o_bias: bool = False,
    q_multiplier: int = 1,
) -> list[TensorGroup]:
    """q/k/v/o projections of grouped-query attention with ``d``'s heads (``q_multiplier=2``: a gated query)."""
    return [
        *linear("attention", "q_proj", d.heads * d.head_dim * q_multiplier, d.hidden, count, bias=qkv_bias),
        *linear("attention", "k_proj", d.kv_heads * d.head_dim, d.hidden, count, bias=qkv_bias, split="kv_heads"),
        *linear("attention", "v_proj", d.kv_heads * d.head_dim, d.hidden, count, bias=qkv_bias, split="kv_heads"),
        *linear("attention", "o_proj", d.hidden, d.heads * d.head_dim, count, bias=o_bias, split="row"),
    ]


def layer_norms(hidden: int, count: int) -> list[TensorGroup]:
    """The two RMSNorms of a pre-norm decoder layer: ``input_layernorm`` (before attention) and
    ``post_attention_layernorm`` (before the MLP)."""
    return [*norm("input_layernorm", hidden, count), *norm("post_attention_layernorm", hidden, count)]


def gated_mlp(
    component: str,
    hidden: int,
    intermediate: int,
    count: int,
    *,
    bias: bool = False,
    fused: bool = False,
) -> list[TensorGroup]:
    """A SwiGLU/GeGLU MLP: gate and up projections (fused into one ``gate_up_proj`` if ``fused``), down."""
    up = (
        linear(component, "gate_up_proj", 2 * intermediate, hidden, count, bias=bias)
        if fused
        else [
            *linear(component, "gate_proj", intermediate, hidden, count, bias=bias),
            *linear(component, "up_proj", intermediate, hidden, count, bias=bias),
        ]
    )
    return [*up, *linear(component, "down_proj", hidden, intermediate, count, bias=bias, split="row")]


def routed_experts(
    hidden: int,
    intermediate: int,
    num_experts: int,
    experts_per_token: int,
    moe_layers: int,
    *,
    bias: bool = False,
) -> list[TensorGroup]:
    """Routed experts of ``moe_layers`` layers, each a gated MLP (``gate_up_proj`` + ``down_proj``)."""
    count = moe_layers * num_experts
    active = moe_layers * experts_per_token
    return [
        *linear("experts", "experts.gate_up_proj", 2 * intermediate, hidden, count, bias=bias, active_count=active),
        *linear("experts", "experts.down_proj", hidden, intermediate, count, bias=bias, active_count=active,
                split="row"),
    ]


def router(hidden: int, num_experts: int, moe_layers: int, *, bias: bool = False) -> list[TensorGroup]:
    """The router (gate) of each MoE layer: one score per expert."""
    return linear("router", "router", num_experts, hidden, moe_layers, bias=bias, split="replicated")


# ----------------------------------------------------------------------------------------------------
# Dimensions shared by decoder-only families


@dataclass(frozen=True)
class Dims:
    """The standard dimensions of a decoder (``head_dim`` already resolved; ``intermediate`` is the MLP size)."""

    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    max_positions: int | None
    intermediate: int


def read_dims(
    r: ConfigReader,
    *,
    kv_heads_default: int | None = None,
    head_dim_default: int | None = None,
    defaults: dict[str, int] | None = None,
    check_gqa: bool = True,
) -> Dims:
    """Read hidden size, layers, heads, vocabulary, KV heads, head_dim, context length and ``intermediate_size``.

    ``kv_heads_default`` / ``head_dim_default`` are the family's constants when the field is absent
    (None: the usual rule, KV heads = heads and head_dim = hidden_size // heads). ``defaults`` gives
    transformers' defaults for fields that real configs of the family omit (Gemma 3's ``text_config``).
    """
    defaults = defaults or {}

    def required(key: str, **kwargs: object) -> int:
        return r.integer(key, defaults[key], **kwargs) if key in defaults else r.integer(key, **kwargs)

    hidden = required("hidden_size")
    layers = required("num_hidden_layers", maximum=LIMITS["num_hidden_layers"])
    heads = required("num_attention_heads")
    vocab = required("vocab_size", maximum=LIMITS["vocab_size"])
    if kv_heads_default is None:
        kv_heads = r.integer("num_key_value_heads", heads, note_default=False)
    else:
        kv_heads = r.integer("num_key_value_heads", kv_heads_default)
    if check_gqa and heads % kv_heads:
        raise CalculatorError(r.field("num_key_value_heads"), "config.kv_heads_divide_gqa", heads=heads, value=kv_heads)
    head_dim = r.optional_int("head_dim", head_dim_default, note_default=True)
    if head_dim is None:
        head_dim = derived_head_dim(r, hidden, heads)
    max_positions = r.optional_int("max_position_embeddings", maximum=LIMITS["positions"])
    intermediate = required("intermediate_size")
    return Dims(hidden, layers, heads, kv_heads, head_dim, vocab, max_positions, intermediate)


def derived_head_dim(r: ConfigReader, hidden: int, heads: int) -> int:
    """``hidden_size // num_attention_heads``, refusing a head count larger than the hidden size."""
    if hidden < heads:
        raise CalculatorError(r.field("num_attention_heads"), "config.heads_over_hidden", hidden=hidden, value=heads)
    return hidden // heads


# ----------------------------------------------------------------------------------------------------
# Layer schedules and token mixers


def sliding_window(r: ConfigReader, absent: int | None) -> int | None:
    """``sliding_window`` (None: no sliding window); ``absent`` is the family default for a missing key."""
    return r.optional_int("sliding_window", absent, maximum=LIMITS["positions"], note_default=True)


def attention_mixers(
    r: ConfigReader,
    layer_types: list[str],
    d: Dims,
    window: int | None,
    *,
    v_head_dim: int | None = None,
) -> list[Mixer]:
    """One FullAttention / SlidingAttention per layer type (identical layers share one object)."""
    v_dim = d.head_dim if v_head_dim is None else v_head_dim
    full = FullAttention(d.heads, d.kv_heads, d.head_dim, v_dim)
    sliding = None
    if "sliding_attention" in layer_types:
        if window is None:
            raise CalculatorError(r.field("sliding_window"), "config.sliding_window_missing")
        sliding = SlidingAttention(d.heads, d.kv_heads, d.head_dim, v_dim, window)
    return [sliding if kind == "sliding_attention" else full for kind in layer_types]


def every_layer_attention(r: ConfigReader, d: Dims, window: int | None) -> list[Mixer]:
    """Layers all alike: sliding attention over ``window`` tokens, or full attention when ``window`` is None."""
    kind = "full_attention" if window is None else "sliding_attention"
    return attention_mixers(r, every_layer(kind, d.layers), d, window)


def every_layer(kind: str, layers: int) -> list[str]:
    return [kind] * layers


def ignore_layer_types(r: ConfigReader) -> None:
    """Families whose modeling code has no per-layer types ignore a ``layer_types`` field; say so."""
    if r.present("layer_types"):
        r.note(Message("note.layer_types_alike", field=r.field("layer_types"), model_type=r.model_type))


def moe_layer_indices(
    r: ConfigReader, layers: int, num_experts: int, *, sparse_step_key: str = "decoder_sparse_step"
) -> list[int]:
    """Qwen-MoE rule: layer i is sparse unless listed in ``mlp_only_layers``, if (i + 1) % step == 0."""
    step = r.integer(sparse_step_key, 1, note_default=False)
    mlp_only = set(r.int_list("mlp_only_layers"))
    if num_experts == 0:
        return []
    return [i for i in range(layers) if i not in mlp_only and (i + 1) % step == 0]


def check_top_k(r: ConfigReader, key: str, top_k: int, num_experts: int) -> None:
    if top_k > num_experts:
        raise CalculatorError(r.field(key), "config.top_k_over_experts", experts=num_experts, value=top_k)


# ----------------------------------------------------------------------------------------------------
# Assembly


def decoder_tensors(
    d: Dims, layer_tensors: list[TensorGroup], tied: bool, *, final_norm: str = "norm"
) -> list[TensorGroup]:
    """The whole decoder around its layers: ``embed_tokens``, the given layer tensors, the final RMSNorm
    (``final_norm``) and ``lm_head`` (nothing when tied to the embeddings)."""
    return [
        *embedding(d.vocab, d.hidden),
        *layer_tensors,
        *norm(final_norm, d.hidden, 1),
        *output_head(d.vocab, d.hidden, tied),
    ]


def assemble(
    r: ConfigReader,
    *,
    hidden: int,
    layers: int,
    vocab: int,
    intermediate: int,
    max_positions: int | None,
    mixers: list[Mixer],
    tensors: list[TensorGroup],
    tied: bool,
    num_experts: int = 0,
    experts_per_token: int = 0,
    checkpoint_only: list[TensorGroup] | None = None,
    buffers: list[TensorGroup] | None = None,
    approximate: bool = False,
) -> ModelSpec:
    """Freeze what a reader found into a ModelSpec (``source`` is set by ``model_spec``)."""
    assert len(mixers) == layers, (len(mixers), layers)
    return ModelSpec(
        model_type=r.model_type,
        source="config",
        hidden_size=hidden,
        num_hidden_layers=layers,
        vocab_size=vocab,
        intermediate_size=intermediate,
        max_position_embeddings=max_positions,
        mixers=tuple(mixers),
        tensors=tuple(group for group in tensors if group.count > 0),
        checkpoint_only=tuple(checkpoint_only or ()),
        tie_word_embeddings=tied,
        num_experts=num_experts,
        experts_per_token=experts_per_token,
        approximate=approximate,
        notes=tuple(r.notes),
        buffers=tuple(buffers or ()),
    )


def assemble_decoder(
    r: ConfigReader,
    d: Dims,
    *,
    mixers: list[Mixer],
    tensors: list[TensorGroup],
    tied: bool,
    num_experts: int = 0,
    experts_per_token: int = 0,
    approximate: bool = False,
) -> ModelSpec:
    """``assemble`` for a reader of ``Dims``: hidden size, layers, vocabulary, MLP size and context length
    come from ``d``."""
    return assemble(
        r,
        hidden=d.hidden,
        layers=d.layers,
        vocab=d.vocab,
        intermediate=d.intermediate,
        max_positions=d.max_positions,
        mixers=mixers,
        tensors=tensors,
        tied=tied,
        num_experts=num_experts,
        experts_per_token=experts_per_token,
        approximate=approximate,
    )
