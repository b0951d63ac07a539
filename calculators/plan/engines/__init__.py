"""One class per inference engine, each turning a :class:`~calculators.plan.deployment.Deployment` into typed memory
terms for one GPU: :class:`~calculators.plan.engines.vllm.VLLMEngine` (versioned by
:mod:`calculators.plan.vllm_releases`) and :class:`~calculators.plan.engines.transformers.TransformersEngine`."""

from __future__ import annotations

from calculators.plan.deployment import Deployment
from calculators.plan.engines.transformers import TransformersEngine
from calculators.plan.engines.vllm import VLLMEngine


def engine_for(deployment: Deployment) -> VLLMEngine | TransformersEngine:
    """The engine object for ``deployment.engine``."""
    return VLLMEngine(deployment) if deployment.engine == "vllm" else TransformersEngine(deployment)
