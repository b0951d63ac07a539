"""One class per inference engine, each turning a :class:`~calculators.deployment.Deployment` into typed memory
terms for one GPU: :class:`~calculators.engines.vllm.VLLMEngine` (versioned by :mod:`calculators.vllm_releases`)
and :class:`~calculators.engines.transformers.TransformersEngine`."""

from __future__ import annotations

from calculators.deployment import Deployment
from calculators.engines.transformers import TransformersEngine
from calculators.engines.vllm import VLLMEngine


def engine_for(deployment: Deployment) -> VLLMEngine | TransformersEngine:
    """The engine object for ``deployment.engine``."""
    return VLLMEngine(deployment) if deployment.engine == "vllm" else TransformersEngine(deployment)
