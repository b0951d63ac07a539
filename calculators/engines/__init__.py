"""One class per inference engine, each turning a :class:`~calculators.deployment.Deployment` into typed memory
terms for one GPU: :class:`~calculators.engines.vllm.VLLMEngine` (versioned by
:mod:`~calculators.engines.vllm_releases`) and :class:`~calculators.engines.transformers.TransformersEngine`."""

from __future__ import annotations


def engine_for(deployment):
    """The engine object for ``deployment.engine``."""
    if deployment.engine == "vllm":
        from calculators.engines.vllm import VLLMEngine

        return VLLMEngine(deployment)
    from calculators.engines.transformers import TransformersEngine

    return TransformersEngine(deployment)
