"""Parameter counts: total, active per token, and by component, exactly as ``transformers`` builds them.

``total`` equals ``sum(p.numel() for p in model.parameters())`` of
``AutoModelForCausalLM.from_config(config)`` (tied weights counted once, buffers excluded); the test
suite checks this for every supported family. ``active`` counts what one token uses: everything except
the routed experts it is not sent to. ``checkpoint_only`` counts weights a checkpoint stores beside them
that ``transformers`` does not build (DeepSeek-V3's multi-token-prediction layer).
"""

from __future__ import annotations

from dataclasses import dataclass

from calculators.errors import CalculatorError
from calculators.messages import Message, render
from calculators.model.spec import COMPONENTS, ModelSpec


@dataclass(frozen=True)
class ParamCount:
    """Parameter counts of one model (element counts, not bytes)."""

    model_type: str
    source: str
    total: int
    active: int
    by_component: dict[str, int]
    active_by_component: dict[str, int]
    checkpoint_only: int
    num_experts: int
    experts_per_token: int
    approximate: bool
    notes: tuple[Message | str, ...]

    @property
    def checkpoint_total(self) -> int:
        """Parameters in the checkpoint: ``total`` plus ``checkpoint_only``."""
        return self.total + self.checkpoint_only

    def to_dict(self, lang: str = "en") -> dict:
        """A JSON-ready dict (integers for counts); the notes in ``lang``."""
        return {
            "model_type": self.model_type,
            "source": self.source,
            "total_params": self.total,
            "active_params": self.active,
            "by_component": dict(self.by_component),
            "active_by_component": dict(self.active_by_component),
            "checkpoint_only_params": self.checkpoint_only,
            "checkpoint_total_params": self.checkpoint_total,
            "num_experts": self.num_experts,
            "experts_per_token": self.experts_per_token,
            "approximate": self.approximate,
            "notes": [render(note, lang) for note in self.notes],
        }


def count_parameters(spec: ModelSpec) -> ParamCount:
    """Count the parameters of ``spec``: total, active per token, and both by component.

    Components (in this order, only those present): embeddings, attention, mlp, experts, shared_experts,
    router, norms, lm_head, recurrent, other.
    """
    if not isinstance(spec, ModelSpec):
        raise CalculatorError("spec", "value.model_spec", type=type(spec).__name__)
    total = dict.fromkeys(COMPONENTS, 0)
    active = dict.fromkeys(COMPONENTS, 0)
    for group in spec.tensors:
        total[group.component] += group.total_numel
        active[group.component] += group.active_numel
    return ParamCount(
        model_type=spec.model_type,
        source=spec.source,
        total=sum(total.values()),
        active=sum(active.values()),
        by_component={name: n for name, n in total.items() if n},
        active_by_component={name: n for name, n in active.items() if n},
        checkpoint_only=spec.checkpoint_only_params,
        num_experts=spec.num_experts,
        experts_per_token=spec.experts_per_token,
        approximate=spec.approximate,
        notes=spec.notes,
    )
