"""Weight memory of a model in a storage format, counted tensor by tensor as the quantization tools store it.

``weight_memory(spec, fmt)`` walks the :class:`~calculators.model.spec.TensorGroup` s of a model and sizes each one
in the format ``fmt``. Linear weights (``role == "linear"``, shape ``(out_features, in_features)``) are the
ones quantization tools compress; embeddings, norms, biases, MoE routers and the LM head are kept in 16-bit
the way each tool keeps them, and the result lists what was kept and why. What each format stores per linear
weight is :mod:`calculators.memory.formats`.

What stays in 16-bit (listed in ``kept_high_precision`` with the reason):

* embeddings: quantizers replace ``nn.Linear`` modules only, and an embedding is not one;
* the LM head: llm-compressor's recipes use ``ignore=["lm_head"]``; bitsandbytes skips the output embedding
  (transformers' ``get_keys_to_not_convert``);
* norms and biases: 1-D tensors are never quantized (biases of quantized layers stay 16-bit beside them);
* MoE routers: published MoE recipes ignore them (llm-compressor examples use ``re:.*mlp.gate$``) and in
  transformers 5 they are plain parameters, not ``nn.Linear``;
* routed experts under ``nf4``/``nf4-dq`` only: transformers 5 stores them as fused 3-D parameters and its
  bitsandbytes integration replaces only ``nn.Linear`` modules (``replace_with_bnb_linear`` checks
  ``type(module) is nn.Linear``), so they load in 16-bit (seen on a tiny Mixtral loaded with transformers 5.17 and
  bitsandbytes 0.50.2:
  ``mlp.experts.gate_up_proj`` stays a bf16 ``(E, 2I, h)`` Parameter, as does the router ``mlp.gate``).
  llm-compressor quantizes experts (its MoE calibration unfuses them), so the other formats compress them,
  and vLLM's bitsandbytes loader (``BitsAndBytesMoEMethod``) does too: ``loader="vllm"`` counts them in NF4;
* linear weights of the ``"other"`` component (anything outside the decoder stack).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from calculators.errors import CalculatorError
from calculators.memory.formats import HIGH_PRECISION_DTYPES, WeightFormat, linear_bytes, parse_format
from calculators.messages import Message, render
from calculators.model.spec import ModelSpec

_QUANTIZED_COMPONENTS = ("attention", "mlp", "experts", "shared_experts", "recurrent")

KEPT_REASONS = {
    "embeddings": "embedding, not an nn.Linear: quantizers leave it in 16-bit",
    "lm_head": "LM head kept in 16-bit (llm-compressor ignore=['lm_head']; bitsandbytes skips the output layer)",
    "norms": "norm weights are 1-D and never quantized",
    "bias": "biases stay in 16-bit beside their quantized weights",
    "router": "MoE router kept in 16-bit (recipes ignore it; in transformers 5 it is not an nn.Linear)",
    "experts_bnb": (
        "routed experts are fused 3-D parameters in transformers 5; bitsandbytes replaces only nn.Linear, "
        "so they stay 16-bit"
    ),
    "other": "outside the decoder's linear layers: not targeted by the recipe",
    "non_linear": "not a linear weight: kept in 16-bit",
    "buffers": "buffer (not a parameter), counted in fp32",
    "mxfp4_not_experts": "MXFP4 covers the routed experts only (gpt-oss modules_to_not_convert)",
}


@dataclass(frozen=True)
class WeightRow:
    """The bytes of one tensor group in the chosen format (``bytes`` covers all ``count`` tensors)."""

    component: str
    role: str
    name: str
    shape: tuple[int, ...]
    count: int
    active_count: int
    numel: int  # all count tensors
    bytes: int  # all count tensors
    quantized: bool
    storage: str  # what is stored, e.g. "int32 packed (out, in*4/32) + bf16 scales (out, in/128)"
    kept_reason: str = ""
    split: str = field(kw_only=True)  # the group's place across tensor-parallel ranks (spec.SPLITS)

    @property
    def active_bytes(self) -> int:
        """Bytes of the ``active_count`` tensors one token reads."""
        return self.bytes * self.active_count // self.count if self.count else 0

    def to_dict(self) -> dict:
        return {
            "component": self.component,
            "role": self.role,
            "name": self.name,
            "shape": list(self.shape),
            "count": self.count,
            "active_count": self.active_count,
            "numel": self.numel,
            "bytes": self.bytes,
            "quantized": self.quantized,
            "storage": self.storage,
            "kept_reason": self.kept_reason,
        }


@dataclass(frozen=True)
class WeightMemory:
    """Weight bytes of a model in one format, with the per-tensor-group detail and what was kept in 16-bit."""

    format: str
    description: str
    high_precision_dtype: str
    total_bytes: int
    active_bytes: int
    total_params: int
    quantized_params: int
    rows: tuple[WeightRow, ...]
    by_component: dict
    kept_high_precision: tuple[dict, ...]
    checkpoint_only_bytes: int
    notes: tuple[Message | str, ...] = field(default_factory=tuple)

    @property
    def bits_per_param(self) -> float:
        return 8.0 * self.total_bytes / self.total_params if self.total_params else 0.0

    def to_dict(self, lang: str = "en") -> dict:
        """A JSON-ready dict; the notes in ``lang``."""
        return {
            "format": self.format,
            "description": self.description,
            "high_precision_dtype": self.high_precision_dtype,
            "total_bytes": self.total_bytes,
            "active_bytes": self.active_bytes,
            "total_params": self.total_params,
            "quantized_params": self.quantized_params,
            "bits_per_param": round(self.bits_per_param, 6),
            "by_component": dict(self.by_component),
            "kept_high_precision": [dict(item) for item in self.kept_high_precision],
            "checkpoint_only_bytes": self.checkpoint_only_bytes,
            "rows": [row.to_dict() for row in self.rows],
            "notes": [render(note, lang) for note in self.notes],
        }


def weight_memory(
    spec, fmt: object = "bf16", *, high_precision_dtype: str = "bf16", loader: str = "transformers"
) -> WeightMemory:
    """Bytes of every weight of ``spec`` stored as ``fmt`` (see the module docstring for each format).

    ``high_precision_dtype`` (bf16, fp16 or fp32) is the dtype of the tensors a quantized format keeps
    unquantized and of its scales; it is ignored by the dense formats, which set every tensor's width.
    ``loader`` (``"transformers"`` or ``"vllm"``) matters for ``nf4``: vLLM's ``BitsAndBytesMoEMethod``
    quantizes routed experts, transformers 5 leaves its fused experts in 16-bit.
    """
    if not isinstance(spec, ModelSpec):
        raise CalculatorError("spec", "value.model_spec", type=type(spec).__name__)
    wf = parse_format(fmt)
    if loader not in ("transformers", "vllm"):
        raise CalculatorError("loader", "weights.loader", value=repr(loader))
    if high_precision_dtype not in HIGH_PRECISION_DTYPES:
        raise CalculatorError("high_precision_dtype", "value.one_of", options=", ".join(HIGH_PRECISION_DTYPES),
                              value=repr(high_precision_dtype))
    hp_bytes = HIGH_PRECISION_DTYPES[wf.name] if wf.kind == "dense" else HIGH_PRECISION_DTYPES[high_precision_dtype]
    hp_name = wf.name if wf.kind == "dense" else high_precision_dtype
    rows = [_size_group(group, wf, hp_bytes, hp_name, loader) for group in spec.tensors]
    for group in getattr(spec, "buffers", ()):
        numel = group.numel * group.count
        rows.append(WeightRow(group.component, group.role, group.name or "buffer", tuple(group.shape), group.count,
                              group.active_count, numel, 4 * numel, False, "fp32 buffer", KEPT_REASONS["buffers"],
                              split=group.split))
    checkpoint_only = sum(_size_group(group, wf, hp_bytes, hp_name, loader).bytes for group in spec.checkpoint_only)

    by_component: dict[str, int] = {}
    kept: dict[tuple[str, str], dict] = {}
    for row in rows:
        by_component[row.component] = by_component.get(row.component, 0) + row.bytes
        if not row.quantized and wf.kind not in ("dense", "bpw"):
            item = kept.setdefault((row.component, row.kept_reason),
                                   {"component": row.component, "params": 0, "bytes": 0, "reason": row.kept_reason})
            item["params"] += row.numel
            item["bytes"] += row.bytes
    notes = []
    if any(row.quantized and row.shape and row.shape[-1] % max(wf.group_size, 1) for row in rows) and \
            wf.kind == "gptq":
        notes.append(Message("note.ragged_groups", group=wf.group_size))
    if spec.checkpoint_only:
        notes.append(Message("note.checkpoint_only"))
    if getattr(spec, "approximate", False):
        notes.extend(spec.notes)
    return WeightMemory(
        format=wf.name,
        description=wf.description,
        high_precision_dtype=hp_name,
        total_bytes=sum(row.bytes for row in rows),
        active_bytes=sum(row.active_bytes for row in rows),
        total_params=sum(row.numel for row in rows),
        quantized_params=sum(row.numel for row in rows if row.quantized),
        rows=tuple(rows),
        by_component=by_component,
        kept_high_precision=tuple(kept.values()),
        checkpoint_only_bytes=checkpoint_only,
        notes=tuple(notes),
    )


def is_quantized_by(group, wf: WeightFormat, loader: str = "transformers") -> tuple[bool, str]:
    """Whether format ``wf`` compresses ``group``, and if not, why it stays in 16-bit."""
    if wf.kind in ("dense", "bpw"):
        return wf.kind == "bpw", ""
    if group.role != "linear":
        if group.role == "bias":
            return False, KEPT_REASONS["bias"]
        if group.role == "norm" or group.component == "norms":
            return False, KEPT_REASONS["norms"]
        if group.component in ("embeddings", "lm_head"):
            return False, KEPT_REASONS[group.component]
        return False, KEPT_REASONS["non_linear"]
    if group.component in ("lm_head", "embeddings", "router", "other"):
        return False, KEPT_REASONS[group.component]
    if wf.kind == "mxfp4" and group.component != "experts":
        return False, KEPT_REASONS["mxfp4_not_experts"]
    if group.component == "experts" and wf.kind == "nf4" and loader == "transformers":
        return False, KEPT_REASONS["experts_bnb"]
    if group.component in _QUANTIZED_COMPONENTS:
        return True, ""
    return False, KEPT_REASONS["other"]


def _size_group(group, wf: WeightFormat, hp_bytes: int, hp_name: str, loader: str = "transformers") -> WeightRow:
    count = group.count
    numel_one = group.numel
    numel = numel_one * count
    shape = tuple(group.shape)
    name = getattr(group, "name", "") or ""
    quantized, reason = is_quantized_by(group, wf, loader)
    if wf.kind == "dense":
        return WeightRow(group.component, group.role, name, shape, count, group.active_count, numel,
                         numel * hp_bytes, False, hp_name, split=group.split)
    if wf.kind == "bpw":
        return WeightRow(group.component, group.role, name, shape, count, group.active_count, numel,
                         math.ceil(numel * wf.exact_bits / 8), True, f"{wf.bits:g} bits per weight",
                         split=group.split)
    if not quantized:
        return WeightRow(group.component, group.role, name, shape, count, group.active_count, numel,
                         numel * hp_bytes, False, hp_name, reason, split=group.split)
    if len(shape) < 2:
        raise CalculatorError("spec.tensors", "weights.shape", name=name or group.component, shape=shape)
    out_features, in_features = shape[-2], shape[-1]
    matrices = numel_one // (out_features * in_features) if out_features * in_features else 0
    one, storage = linear_bytes(out_features, in_features, wf, hp_bytes)
    return WeightRow(group.component, group.role, name, shape, count, group.active_count, numel,
                     one * matrices * count, True, storage, split=group.split)
