"""A model described the way memory questions need it: weight tensors and one token mixer per layer.

``model_spec(config)`` reads a Hugging Face ``config.json`` dict into a :class:`ModelSpec`:

* ``tensors``: every parameter tensor that ``transformers`` builds for ``AutoModelForCausalLM`` (tied
  weights once), grouped into :class:`TensorGroup` s of identical tensors. Parameter counts, weight
  memory and quantization all sum over these groups.
* ``mixers``: one entry per decoder layer saying how that layer mixes tokens (full attention,
  sliding-window attention, multi-head latent attention, or a recurrent Mamba / Gated DeltaNet block).
  KV-cache and recurrent-state sizes sum over these.

Each supported ``model_type`` has a small reader in ``calculators/families/`` that emits these two lists;
nothing downstream branches on the model type. An unknown ``model_type`` is estimated from the standard
fields with ``approximate=True`` and notes that say what was assumed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from math import prod
from typing import ClassVar

from calculators.errors import CalculatorError

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


@dataclass(frozen=True)
class TensorGroup:
    """``count`` identical weight tensors of one ``shape`` (for example every layer's ``q_proj``).

    ``role`` is ``"linear"`` for a matrix used as ``y = x W^T`` with ``shape == (out_features,
    in_features)`` (also for fused MoE experts, which are listed one expert matrix at a time), or
    ``"embedding"``, ``"norm"`` (norm weights and norm biases), ``"bias"`` or ``"other"``.
    ``active_count`` of the ``count`` tensors are used for one token: all of them, except for routed
    experts, where it is ``experts_per_token`` per MoE layer.
    """

    component: str
    role: str
    shape: tuple[int, ...]
    count: int
    active_count: int
    name: str = ""

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
    num_heads: int
    num_kv_heads: int
    head_dim: int
    v_head_dim: int


@dataclass(frozen=True)
class SlidingAttention:
    """Attention over the last ``window`` positions (the current one included).

    ``transformers`` keeps the last ``window - 1`` tokens in its cache between forward passes.
    """

    kind: ClassVar[str] = "sliding_attention"
    num_heads: int
    num_kv_heads: int
    head_dim: int
    v_head_dim: int
    window: int


@dataclass(frozen=True)
class MLAAttention:
    """DeepSeek's multi-head latent attention: caches one latent of ``kv_lora_rank + qk_rope_head_dim``
    elements per token, shared by all heads, from which per-head keys and values are decompressed."""

    kind: ClassVar[str] = "mla"
    num_heads: int
    kv_lora_rank: int
    qk_rope_head_dim: int
    qk_nope_head_dim: int
    v_head_dim: int


@dataclass(frozen=True)
class RecurrentMixer:
    """A recurrent token mixer (``kind`` ``"mamba"`` or ``"gated_deltanet"``) whose state per sequence
    does not grow with its length: a causal-convolution window plus an SSM / delta-rule state.

    ``parallel_heads`` is the number of heads (or channels) tensor parallelism splits the state across.
    """

    kind: str
    conv_state_elements: int
    ssm_state_elements: int
    parallel_heads: int

    @property
    def state_elements(self) -> int:
        """Elements of state per sequence (convolution window + SSM / recurrent state)."""
        return self.conv_state_elements + self.ssm_state_elements


Mixer = FullAttention | SlidingAttention | MLAAttention | RecurrentMixer


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
    notes: tuple[str, ...]
    buffers: tuple[TensorGroup, ...] = ()

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


def model_spec(config: object, *, source: str = "config") -> ModelSpec:
    """Read a Hugging Face ``config.json`` object (a dict) into a :class:`ModelSpec`.

    Multimodal configs with a ``text_config`` are read through their text model (the vision tower is not
    counted, and a note says so). Missing or ill-typed fields raise :class:`CalculatorError` naming the
    field (``config.hidden_size``). ``source`` is a label carried into every result (a path or preset id).
    """
    if not isinstance(config, dict):
        raise CalculatorError("config", f"expected a JSON object (dict), got {type(config).__name__}")
    if not isinstance(source, str):
        raise CalculatorError("source", f"expected a string, got {type(source).__name__}")
    try:
        key = json.dumps(config, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        key = None  # not JSON data: read it uncached, and let the reader name the bad field
    spec = _cached_spec(key) if key is not None else _read(config)
    return spec if spec.source == source else replace(spec, source=source)


@lru_cache(maxsize=256)
def _cached_spec(config_json: str) -> ModelSpec:
    return _read(json.loads(config_json))


def _read(config: dict) -> ModelSpec:
    from calculators.families import read_model  # the readers import this module's data classes

    return read_model(config)
