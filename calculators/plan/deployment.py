"""A deployment: which model, in which weight format, on which GPUs, under which engine and settings.

:func:`deployment` checks every input once and returns a frozen :class:`Deployment`; the engines
(:mod:`calculators.plan.engines`) read it to produce memory terms, and :mod:`calculators.plan.inference` asks them
questions. Nothing here depends on the context length or the batch: those are the workload, asked of an engine later.

Inputs it settles:

* ``weights``: a format name (:func:`calculators.memory.formats.parse_format`); ``None`` means the checkpoint's own
  format when the config has a ``quantization_config`` (as vLLM loads it), else ``bf16``.
* ``gpu`` / ``gpu_memory_gib``: a catalog GPU, or the total memory a CUDA process sees on the card
  (``torch.cuda.mem_get_info()[1]``, which vLLM logs as the total GPU memory) in GiB. With both, the catalog
  entry keeps its bandwidth and throughput and takes the given total; with only the total, the GPU is
  "custom" and the decode bound is not computed (no bandwidth is known).
* ``count``: the tensor-parallel degree (1, 2, 4 or 8), checked against every head count and MLP width.
* ``engine`` and ``vllm_version``: vLLM's rules come from :mod:`calculators.plan.vllm_releases`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from calculators.errors import LIMITS, CalculatorError, boolean, choice, describe, is_int, positive_int
from calculators.memory.formats import WeightFormat, parse_format
from calculators.model.dtypes import KVDtype
from calculators.model.dtypes import kv_dtype as lookup_kv_dtype
from calculators.model.spec import ModelSpec
from calculators.plan.gpus import GIB, GPU, custom_gpu, get_gpu
from calculators.plan.vllm_releases import DEFAULT_VLLM_VERSION, VLLMRelease, vllm_release

ENGINES = ("vllm", "transformers")
TP_DEGREES = (1, 2, 4, 8)
ENTRYPOINTS = ("serve", "llm")
MAX_GPU_MEMORY_GIB = 4096


@dataclass(frozen=True)
class Deployment:
    """One checked deployment. Settings left ``None`` take the engine's defaults (see the engines)."""

    spec: ModelSpec
    weights: WeightFormat
    weights_source: str  # "checkpoint" (the config's quantization_config), "default" or "given"
    gpu: GPU
    tp: int
    engine: str
    kv_dtype: KVDtype
    vllm: VLLMRelease | None
    gpu_memory_utilization: float | None
    max_num_batched_tokens: int | None
    max_num_seqs: int | None
    block_size: int | None
    cuda_graphs: bool
    entrypoint: str

    @property
    def model(self) -> str:
        return getattr(self.spec, "source", "model")


def deployment(
    spec: ModelSpec,
    *,
    weights: object = None,
    kv_dtype: object = "bf16",
    gpu: object = None,
    gpu_memory_gib: object = None,
    count: object = 1,
    engine: object = "vllm",
    vllm_version: object = None,
    gpu_memory_utilization: object = None,
    max_num_batched_tokens: object = None,
    max_num_seqs: object = None,
    block_size: object = None,
    cuda_graphs: object = True,
    entrypoint: object = "serve",
) -> Deployment:
    """Check and freeze a deployment; every bad input raises :class:`CalculatorError` naming its field."""
    if not isinstance(spec, ModelSpec):
        raise CalculatorError("spec", "value.model_spec", type=type(spec).__name__)
    choice("engine", engine, ENGINES)
    choice("entrypoint", entrypoint, ENTRYPOINTS)
    check_model(spec)
    device = _device(gpu, gpu_memory_gib)
    if device.category == "apple":
        if engine == "vllm":
            raise CalculatorError("engine", "engine.apple_vllm")
        if count != 1:
            raise CalculatorError("count", "engine.apple_count", value=describe(count))
    tp = check_tensor_parallel(spec, count)
    boolean("cuda_graphs", cuda_graphs)
    if weights is None:
        fmt = parse_format(spec.checkpoint_format) if spec.checkpoint_format else parse_format("bf16")
        source = "checkpoint" if spec.checkpoint_format else "default"
    else:
        fmt, source = parse_format(weights), "given"
    release = None
    if engine == "vllm":
        release = vllm_release(DEFAULT_VLLM_VERSION if vllm_version is None else vllm_version)
        if gpu_memory_utilization is not None:
            gpu_memory_utilization = _fraction("gpu_memory_utilization", gpu_memory_utilization)
        if max_num_batched_tokens is not None:
            positive_int("max_num_batched_tokens", max_num_batched_tokens, LIMITS["seq_len"])
        if max_num_seqs is not None:
            positive_int("max_num_seqs", max_num_seqs, LIMITS["batch"])
    else:
        for name, value in (("gpu_memory_utilization", gpu_memory_utilization), ("vllm_version", vllm_version),
                            ("max_num_batched_tokens", max_num_batched_tokens), ("max_num_seqs", max_num_seqs)):
            if value is not None:
                raise CalculatorError(name, "engine.vllm_only")
    if block_size is not None:
        positive_int("block_size", block_size, LIMITS["block_size"])
    return Deployment(spec=spec, weights=fmt, weights_source=source, gpu=device, tp=tp, engine=engine,
                      kv_dtype=lookup_kv_dtype(kv_dtype), vllm=release,
                      gpu_memory_utilization=gpu_memory_utilization,
                      max_num_batched_tokens=max_num_batched_tokens, max_num_seqs=max_num_seqs,
                      block_size=block_size, cuda_graphs=cuda_graphs, entrypoint=entrypoint)


def check_model(spec: ModelSpec) -> None:
    """Refuse what no engine can run: KV heads that do not divide the attention heads, MoE top-k above the
    expert count."""
    for index, mixer in enumerate(spec.mixers):
        problem = mixer.config_problem(index)
        if problem:
            raise CalculatorError(*problem)
    if spec.num_experts and spec.experts_per_token > spec.num_experts:
        raise CalculatorError("config.num_experts_per_tok", "config.experts_per_token", top_k=spec.experts_per_token,
                              experts=spec.num_experts)


def check_tensor_parallel(spec: ModelSpec, tp: object, field_name: str = "count") -> int:
    """Raise CalculatorError unless ``tp`` is 1, 2, 4 or 8 and splits every head and MLP width evenly."""
    if not is_int(tp) or tp not in TP_DEGREES:
        raise CalculatorError(field_name, "tp.degree", value=describe(tp))
    if tp == 1:
        return tp
    for index, mixer in enumerate(spec.mixers):
        problem = mixer.split_problem(tp, index)
        if problem:
            raise CalculatorError(field_name, problem)
    for group in spec.tensors:
        if group.role != "linear" or group.component not in ("mlp", "experts", "shared_experts"):
            continue
        width = group.shape[-2] if group.shape[-1] == spec.hidden_size else group.shape[-1]
        if width % tp:
            raise CalculatorError(field_name, "tp.width", name=group.name or group.component, width=width, tp=tp)
    return tp


def _device(gpu: object, gpu_memory_gib: object) -> GPU:
    if gpu_memory_gib is None:
        if gpu is None:
            raise CalculatorError("gpu", "gpu.missing")
        return get_gpu(gpu)
    if isinstance(gpu_memory_gib, bool) or not isinstance(gpu_memory_gib, (int, float)) \
            or not 0 < gpu_memory_gib <= MAX_GPU_MEMORY_GIB:
        raise CalculatorError("gpu_memory_gib", "gpu.memory_gib", maximum=MAX_GPU_MEMORY_GIB,
                              value=describe(gpu_memory_gib))
    total = round(float(gpu_memory_gib) * GIB)
    if gpu is None:
        return custom_gpu(total)
    device = get_gpu(gpu)
    return replace(device, usable_bytes=total,
                   usable_basis=f"given: gpu_memory_gib {float(gpu_memory_gib):g} (replaces the catalog's figure)")


def _fraction(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value <= 1.0:
        raise CalculatorError(field, "value.fraction", value=describe(value))
    return float(value)
