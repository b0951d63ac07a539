"""A model described the way memory questions need it: weight tensors and one token mixer per layer.

``calculators.model.families.model_spec(config)`` reads a Hugging Face ``config.json`` dict into a :class:`ModelSpec`:

* ``tensors``: every parameter tensor that ``transformers`` builds for ``AutoModelForCausalLM`` (tied
  weights once), grouped into :class:`TensorGroup` s of identical tensors, each labelled by its reader with its
  role and its place across tensor-parallel ranks. Parameter counts, weight memory, quantization and the
  per-GPU weights all sum over these groups.
* ``mixers``: one entry per decoder layer saying how that layer mixes tokens (full attention,
  sliding-window attention, multi-head latent attention, or a recurrent Mamba / Gated DeltaNet block).
  KV-cache and recurrent-state sizes sum over these. Each kind of mixer owns its rules: the tokens it caches,
  its cache bytes per token (and one tensor-parallel rank's share), the checks a config or a GPU count must
  pass, and the activations training saves; the callers ask the mixer and never branch on its type.

Each supported ``model_type`` has a small reader in ``calculators/model/families/`` that emits these two lists;
nothing downstream branches on the model type. An unknown ``model_type`` is estimated from the standard
fields with ``approximate=True`` and notes that say what was assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from math import prod
from typing import TYPE_CHECKING, ClassVar

from calculators.errors import CalculatorError
from calculators.messages import Message

if TYPE_CHECKING:
    from calculators.model.dtypes import KVDtype

COMPONENTS = (
    "embeddings",
    "attention",
    "mlp",
    "experts",
    "shared_experts",
    "router",
    "norms",
    "lm_head",
    "recurrent",
    "other",
)
ROLES = ("linear", "embedding", "norm", "bias", "other")
# How tensor parallelism places a tensor, as vLLM's parallel layers do: "column" splits the output features
# (ColumnParallelLinear, and per-head tensors such as attention sinks or a recurrent layer's state parameters),
# "row" the input features (RowParallelLinear: its bias is whole on every rank, so a row-parallel layer's bias is
# "replicated"), "vocab" the vocabulary rows (VocabParallelEmbedding, ParallelLMHead), "kv_heads" the KV heads (the
# k/v projections: one whole head per rank once the ranks outnumber the heads), "replicated" a whole copy per rank.
SPLITS = ("column", "row", "vocab", "kv_heads", "replicated")


@dataclass(frozen=True)
class TensorGroup:
    """``count`` identical weight tensors of one ``shape`` (for example every layer's ``q_proj``).

    ``role`` is ``"linear"`` for a matrix used as ``y = x W^T`` with ``shape == (out_features,
    in_features)`` (also for fused MoE experts, which are listed one expert matrix at a time), or
    ``"embedding"``, ``"norm"`` (norm weights and norm biases), ``"bias"`` or ``"other"``.
    ``active_count`` of the ``count`` tensors are used for one token: all of them, except for routed
    experts, where it is ``experts_per_token`` per MoE layer. ``split`` is one of :data:`SPLITS`.
    """

    def __post_init__(self):
        if self.split not in SPLITS:
            raise ValueError(f"TensorGroup {self.name!r}: split must be one of {SPLITS}, not {self.split!r}")

    component: str
    role: str
    shape: tuple[int, ...]
    count: int
    active_count: int
    name: str = ""
    split: str = field(kw_only=True)  # one of SPLITS: the family reader says how tensor parallelism places it

    @property
    def numel(self) -> int:
        """Elements in one tensor of the group."""
        return prod(self.shape)

    @property
    def total_numel(self) -> int:
        """Elements in all ``count`` tensors."""
        return self.numel * self.count

    @property
    def active_numel(self) -> int:
        """Elements in the ``active_count`` tensors one token uses."""
        return self.numel * self.active_count


@dataclass(frozen=True)
class FullAttention:
    """Causal attention over every earlier token: caches ``num_kv_heads`` keys and values per token."""

    kind: ClassVar[str] = "full_attention"
    caches_tokens: ClassVar[bool] = True
    window: ClassVar[None] = None
    num_heads: int
    num_kv_heads: int
    head_dim: int
    v_head_dim: int

    def cached_tokens(self, seq_len: int, block_size: int | None) -> int:
        """Token slots one sequence of ``seq_len`` tokens occupies in this layer."""
        return cached_tokens(seq_len, self.window, block_size)

    def kv_bytes_per_token(self, dtype: KVDtype, tp: int, mla_decompressed: bool = False) -> tuple[int, int]:
        """Cache bytes one token takes in this layer: all KV heads, and one tensor-parallel rank's share."""
        per_head = dtype.vector_bytes(self.head_dim) + dtype.vector_bytes(self.v_head_dim)
        return self.num_kv_heads * per_head, per_rank_kv_heads(self.num_heads, self.num_kv_heads, tp) * per_head

    def rank_bytes_per_token(self, dtype: KVDtype, tp: int) -> int:
        """Cache bytes one token takes in this layer on one tensor-parallel rank (its share of the KV heads)."""
        return self.kv_bytes_per_token(dtype, tp)[1]

    def config_problem(self, layer: int) -> tuple[str, Message] | None:
        """The config field and the reason no engine can run this layer, or None."""
        if self.num_heads % self.num_kv_heads:
            return ("config.num_key_value_heads",
                    Message("config.kv_heads_divide", kv_heads=self.num_kv_heads, layer=layer, heads=self.num_heads))
        return None

    def split_problem(self, tp: int, layer: int) -> Message | None:
        """Why this layer cannot be split across ``tp`` GPUs, or None."""
        if self.num_heads % tp:
            return _heads_problem(self.num_heads, tp, layer)
        kv = self.num_kv_heads
        if (kv >= tp and kv % tp) or (kv < tp and tp % kv):
            return Message("tp.kv_heads", kv_heads=kv, layer=layer, tp=tp)
        return None

    def saved_bytes_per_token(self, act_bytes: int) -> tuple[int, int]:
        """Activations training saves per token in this layer's attention core (q, k, v after rotary, and the
        fp32 log-sum-exp per head), and the heads an eager softmax spans."""
        qkv = self.num_heads * self.head_dim + self.num_kv_heads * self.head_dim + self.num_kv_heads * self.v_head_dim
        return act_bytes * qkv + 4 * self.num_heads, self.num_heads

    def vllm_request_tokens(self, max_model_len: int, max_num_batched_tokens: int, block_size: int) -> int:
        """Token slots vLLM V1 reserves for one request of ``max_model_len`` tokens in this layer
        (``FullAttentionSpec.max_memory_usage_bytes`` in ``vllm/v1/kv_cache_interface.py``)."""
        return -(-max_model_len // block_size) * block_size


@dataclass(frozen=True)
class SlidingAttention:
    """Attention over the last ``window`` positions (the current one included).

    ``transformers`` keeps the last ``window - 1`` tokens in its cache between forward passes.
    """

    kind: ClassVar[str] = "sliding_attention"
    caches_tokens: ClassVar[bool] = True
    num_heads: int
    num_kv_heads: int
    head_dim: int
    v_head_dim: int
    window: int

    # the same cache per token, head split and saved activations as full attention; only the tokens differ
    kv_bytes_per_token = FullAttention.kv_bytes_per_token
    rank_bytes_per_token = FullAttention.rank_bytes_per_token
    config_problem = FullAttention.config_problem
    split_problem = FullAttention.split_problem
    saved_bytes_per_token = FullAttention.saved_bytes_per_token

    def cached_tokens(self, seq_len: int, block_size: int | None) -> int:
        """Token slots one sequence occupies in this layer: the blocks that hold its last ``window - 1`` tokens."""
        return cached_tokens(seq_len, self.window, block_size)

    def vllm_request_tokens(self, max_model_len: int, max_num_batched_tokens: int, block_size: int) -> int:
        """Token slots vLLM V1 reserves for one request in this layer: the window minus one plus one scheduler
        step's tokens, plus one block (``SlidingWindowSpec.max_memory_usage_bytes``)."""
        tokens = min(self.window - 1 + max_num_batched_tokens, max_model_len)
        return (-(-tokens // block_size) + 1) * block_size


@dataclass(frozen=True)
class MLAAttention:
    """DeepSeek's multi-head latent attention: caches one latent of ``kv_lora_rank + qk_rope_head_dim``
    elements per token, shared by all heads, from which per-head keys and values are decompressed."""

    kind: ClassVar[str] = "mla"
    caches_tokens: ClassVar[bool] = True
    window: ClassVar[None] = None
    num_kv_heads: ClassVar[None] = None  # one latent shared by all heads
    num_heads: int
    kv_lora_rank: int
    qk_rope_head_dim: int
    qk_nope_head_dim: int
    v_head_dim: int

    cached_tokens = FullAttention.cached_tokens

    def kv_bytes_per_token(self, dtype: KVDtype, tp: int, mla_decompressed: bool = False) -> tuple[int, int]:
        """Cache bytes one token takes in this layer, and on one rank: the latent, replicated on every rank; or,
        ``mla_decompressed``, the per-head keys and values older ``transformers`` cached, split across ranks."""
        if self.num_heads % tp:
            raise CalculatorError("tp", "kv.tp_not_divisor", heads=self.num_heads, value=tp)
        if not mla_decompressed:
            latent = dtype.vector_bytes(self.kv_lora_rank + self.qk_rope_head_dim)
            return latent, latent
        per_head = (dtype.vector_bytes(self.qk_nope_head_dim + self.qk_rope_head_dim)
                    + dtype.vector_bytes(self.v_head_dim))
        return self.num_heads * per_head, self.num_heads // tp * per_head

    rank_bytes_per_token = FullAttention.rank_bytes_per_token  # the latent: the same on every rank

    def config_problem(self, layer: int) -> tuple[str, Message] | None:
        return None

    def split_problem(self, tp: int, layer: int) -> Message | None:
        return _heads_problem(self.num_heads, tp, layer) if self.num_heads % tp else None

    def saved_bytes_per_token(self, act_bytes: int) -> tuple[int, int]:
        """Activations training saves per token: per-head q, k (nope + rope) and v, and the fp32 log-sum-exp."""
        qk = self.qk_nope_head_dim + self.qk_rope_head_dim
        return act_bytes * self.num_heads * (2 * qk + self.v_head_dim) + 4 * self.num_heads, self.num_heads

    def vllm_request_tokens(self, max_model_len: int, max_num_batched_tokens: int, block_size: int) -> int:
        """Token slots vLLM V1 reserves for one request of ``max_model_len`` tokens (``MLAAttentionSpec``)."""
        return -(-max_model_len // block_size) * block_size


@dataclass(frozen=True)
class RecurrentMixer:
    """A recurrent token mixer (``kind`` ``"mamba"`` or ``"gated_deltanet"``) whose state per sequence
    does not grow with its length: a causal-convolution window plus an SSM / delta-rule state.

    ``parallel_heads`` is the number of heads (or channels) tensor parallelism splits the state across.
    """

    caches_tokens: ClassVar[bool] = False
    window: ClassVar[None] = None
    num_kv_heads: ClassVar[None] = None
    kind: str
    conv_state_elements: int
    ssm_state_elements: int
    parallel_heads: int

    @property
    def state_elements(self) -> int:
        """Elements of state per sequence (convolution window + SSM / recurrent state)."""
        return self.conv_state_elements + self.ssm_state_elements

    def cached_tokens(self, seq_len: int, block_size: int | None) -> int:
        return 0

    def config_problem(self, layer: int) -> tuple[str, Message] | None:
        return None

    def split_problem(self, tp: int, layer: int) -> Message | None:
        if self.parallel_heads % tp:
            return Message("tp.recurrent_heads", heads=self.parallel_heads, layer=layer, tp=tp)
        return None

    def saved_bytes_per_token(self, act_bytes: int) -> tuple[int, int]:
        return 0, 0


Mixer = FullAttention | SlidingAttention | MLAAttention | RecurrentMixer


def cached_tokens(seq_len: int, window: int | None, block_size: int | None) -> int:
    """Token slots one sequence occupies in one layer (window: sliding-window size, None for full)."""
    if window is None:
        return seq_len if block_size is None else -(-seq_len // block_size) * block_size
    kept = min(seq_len, window - 1)
    if block_size is None:
        return kept
    blocks = -(-seq_len // block_size) - (seq_len - kept) // block_size
    return blocks * block_size


def _heads_problem(num_heads: int, tp: int, layer: int) -> Message:
    return Message("tp.heads", heads=num_heads, layer=layer, tp=tp)


def per_rank_kv_heads(num_heads: int, num_kv_heads: int, tp: int) -> int:
    """KV heads one tensor-parallel rank holds: ``max(1, num_kv_heads // tp)`` (vLLM's rule).

    Raises CalculatorError for a ``tp`` vLLM refuses: one that does not divide ``num_heads``, or that
    neither divides ``num_kv_heads`` nor is a multiple of it.
    """
    if num_heads % tp:
        raise CalculatorError("tp", "kv.tp_not_divisor", heads=num_heads, value=tp)
    if num_kv_heads % tp and tp % num_kv_heads:
        raise CalculatorError("tp", "kv.tp_kv_heads", kv_heads=num_kv_heads, value=tp)
    return max(1, num_kv_heads // tp)


@dataclass(frozen=True)
class RotaryCache:
    """The cos/sin table a rotary embedding precomputes: ``positions`` rows of ``rotary_dim`` values
    (``rotary_dim / 2`` cosines and as many sines), one table per distinct rope configuration."""

    positions: int
    rotary_dim: int


@dataclass(frozen=True)
class ModelSpec:
    """Everything the calculators need to know about one model. Build it with :func:`model_spec`."""

    model_type: str
    source: str
    hidden_size: int
    num_hidden_layers: int
    vocab_size: int
    intermediate_size: int
    max_position_embeddings: int | None
    mixers: tuple[Mixer, ...]
    tensors: tuple[TensorGroup, ...]
    checkpoint_only: tuple[TensorGroup, ...]
    tie_word_embeddings: bool
    num_experts: int
    experts_per_token: int
    approximate: bool
    notes: tuple[Message | str, ...]
    buffers: tuple[TensorGroup, ...] = ()
    rotary_caches: tuple[RotaryCache, ...] = ()
    checkpoint_format: str | None = None  # the weight format a config's quantization_config names

    @property
    def total_params(self) -> int:
        """Parameters ``transformers`` builds (tied weights once, checkpoint-only weights excluded)."""
        return sum(group.total_numel for group in self.tensors)

    @property
    def active_params(self) -> int:
        """Parameters used for one token (all but the routed experts a token is not sent to)."""
        return sum(group.active_numel for group in self.tensors)

    @property
    def checkpoint_only_params(self) -> int:
        """Parameters a checkpoint stores that ``transformers`` does not build (e.g. DeepSeek-V3's MTP layer)."""
        return sum(group.total_numel for group in self.checkpoint_only)

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    @cached_property
    def mixer_counts(self) -> tuple[tuple[Mixer, int], ...]:
        """Each distinct mixer with the number of layers that use it, in order of first appearance."""
        counts: dict[Mixer, int] = {}
        for mixer in self.mixers:
            counts[mixer] = counts.get(mixer, 0) + 1
        return tuple(counts.items())
