"""What changed in vLLM's start-up memory accounting, release range by release range.

Each :class:`VLLMRelease` is one range of vLLM releases with the same rules, and each rule names the file and
release of vLLM it was read from (the released wheels' sources, ``pip download vllm==X --no-deps``). A version
asks for the range that holds it (:func:`vllm_release`); the default is the release the site's recipes pin
(:data:`DEFAULT_VLLM_VERSION`, ``snippets/recipes/vllm_commands.py``).

The rules:

``engine``
    V0 (``vllm/worker/worker.py``) until 0.7; V1 (``vllm/v1/worker/gpu_worker.py``) by default from 0.8.0.
``budget``
    always ``total x gpu_memory_utilization`` minus what the profile found; what that includes changed:
    0.4.0-0.6.3 ``peak_memory = init_gpu_memory - free_after_profile`` (V0 ``worker.py``), taken after the
    CUDA context exists and before NCCL is set up; 0.6.4 the torch peak plus every non-torch byte on the
    device (``total - free - torch_allocated``: the CUDA context counts); 0.6.5-0.7 V0 ``memory_profiling``
    (vllm-project/vllm#10511): weights + torch peak increase + non-torch increase; 0.8.0-0.9.0 V1
    (``vllm/v1/worker/gpu_worker.py``): device-wide again, CUDA context included; 0.9.1-0.10
    ``memory_profiling(self.init_snapshot)`` with the snapshot taken before NCCL is set up; from 0.11.0 the
    snapshot follows ``init_worker_distributed_environment``, so NCCL and custom all-reduce buffers made at
    start-up are outside the budget; 0.27.0 measures the same sum through ``mem_get_info``
    (``utils/mem_utils.py``).
``cuda_graphs_in_budget``
    graphs are captured after the KV cache is allocated, in the ``1 - utilization`` share (V0
    ``warm_up_model``, V1 ``compile_or_warm_up_model``), until 0.20.0, where
    ``VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS`` defaults to 1 (``vllm/envs.py``) and
    ``determine_available_memory`` takes ``profile_cudagraph_memory()`` from the KV budget (added, off by
    default, in 0.18.0 by vllm-project/vllm#30515). The largest capture size is ``min(2 x max_num_seqs,
    512)`` from 0.10.0 (512 before in V1, ``max_num_seqs`` in V0).
``default_gpu_memory_utilization``
    0.9 until 0.19; 0.92 from 0.20.0 (``vllm/config/cache.py``). 0.34.0 makes it ``None`` (1.0 with the
    "extensible KV cache", sized after warm-up), which this calculator does not model.
``batch defaults`` (``max_num_batched_tokens`` / ``max_num_seqs`` for ``vllm serve``; ``LLM()`` in brackets)
    V0 (``vllm/config.py`` ``SchedulerConfig``): 256 sequences; tokens ``max(max_model_len, 2048)`` without
    chunked prefill, 512 (to 0.6.4) or 2048 (from 0.6.5) with it. Chunked prefill is on by default when
    ``max_model_len > 32768`` (from 0.5.3, ``vllm/engine/arg_utils.py``).
    V1 (``EngineArgs._set_default_args_v1``, always chunked): 0.8.0-0.8.3 "h100"/"h200" in the device name:
    8192 (16384) tokens, else 2048 (8192), and 1024 sequences on every GPU; 0.8.4 the same tokens with 1024
    sequences on H100/H200, else 256; 0.8.5: device memory >= 70 GiB; 0.9.0 on: >= 70 GiB and not an A100
    (vllm-project/vllm#17885); 0.28.0 on: >= 160 GiB: 16384 (16384) tokens, 1024 sequences.
``block_size``
    16 for attention KV (``CacheConfig``); other page sizes (FlashMLA's 64, hybrid models' alignment) are
    given with ``--block-size``.
``KV report``
    V0 ``# GPU blocks = available // (block_size x layers x page bytes)`` (``cache_engine.py``), concurrency
    ``blocks x block_size / max_model_len`` (``executor_base.py``). V1 ``vllm/v1/core/kv_cache_utils.py``:
    layers of one attention type form a KV-cache group; mixed types are split into groups of equal layer
    count, each group taking its own blocks; "GPU KV cache size" is ``num_blocks // groups x block_size``
    tokens (from 0.24.0 ``int(max_concurrency x max_model_len)``) and the concurrency is ``num_blocks``
    over the blocks one request needs (a sliding-window layer needs ``window - 1 + max_num_batched_tokens``
    tokens plus one block, ``kv_cache_interface.py``). The refusals are ``raise_if_cache_size_invalid`` (V0)
    and ``check_enough_kv_cache_memory`` (V1).
``weights``
    bitsandbytes 4-bit: the double-quantized absmax is kept as stored until 0.9 and dequantized to fp32 at load
    from 0.10.0 (``_dequantize_dq``, ``model_loader/bitsandbytes_loader.py``); 0.28.0 removed bitsandbytes.
    MXFP4 experts (gpt-oss) are padded for the kernels: the expert width per GPU to a multiple of 128 and the
    hidden size to a multiple of 256 on the Marlin path that GPUs below compute capability 9.0 take
    (``layers/quantization/mxfp4.py``, 0.10.1).
``sampler``
    the profile ends with a sampler pass over ``min(max_num_seqs, max_num_batched_tokens)`` rows of logits
    with top-k and top-p on (V0 ``ModelRunner.profile_run``, V1 ``_dummy_sampler_run``). V0 and V1 0.11.1-0.20
    sort the vocabulary for them (``_apply_top_k_top_p``, ``v1/sample/ops/topk_topp_sampler.py``: FlashInfer's
    sampler is opt-in there); V1 0.8.0-0.11.0 and 0.21 on use FlashInfer's sampler, which does not sort.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from calculators.errors import CalculatorError, describe
from calculators.memory.formats import WeightFormat
from calculators.messages import Message

GIB = 2**30
DEFAULT_VLLM_VERSION = "0.33"  # the release the recipes pin: snippets/recipes/vllm_commands.py (vllm==0.33.0)
V0_CHUNKED_ABOVE = 32768  # V0 turns chunked prefill on above this max_model_len (arg_utils.py, 0.5.3+)


@dataclass(frozen=True)
class VLLMRelease:
    """One range of vLLM releases with the same memory rules (see the module docstring for each field)."""

    first: tuple[int, int, int]
    label: str  # e.g. "0.9.1-0.19"
    engine: str  # "V0" | "V1"
    default_gpu_memory_utilization: float
    context_in_budget: bool
    cuda_graphs_in_budget: bool
    batch_scheme: str  # "v0" | "v1-h100-name[-1024]" | "v1-70gib" | "v1-70gib-not-a100" | "v1-160gib"
    chunked_tokens_v0: int  # V0's max_num_batched_tokens when chunked prefill is on
    summary: tuple[Message, ...]  # the rules in words, one Message each
    block_size: int = 16
    sorting_sampler: bool = True  # top-k/top-p by sorting the vocabulary (False: FlashInfer's sampler)
    tokens_from_concurrency: bool = False  # "GPU KV cache size" = int(max_concurrency x max_model_len)

    def chunked_prefill(self, max_model_len: int, entrypoint: str) -> bool:
        """Whether chunked prefill is on by default for this ``max_model_len``."""
        if self.engine == "V1":
            return True
        return self.first >= (0, 5, 3) and max_model_len > V0_CHUNKED_ABOVE

    def loaded_format(self, fmt: WeightFormat) -> WeightFormat:
        """The format vLLM holds ``fmt`` in: bitsandbytes' double-quantized absmax is dequantized to fp32 at load
        from 0.10.0 (``_dequantize_dq`` in ``bitsandbytes_loader.py``); 0.28.0 removed bitsandbytes."""
        if fmt.kind != "nf4":
            return fmt
        if self.first >= (0, 28, 0):
            raise CalculatorError("weights", "vllm.no_bitsandbytes", label=self.label)
        if fmt.double_quant and self.first >= (0, 10, 0):
            return replace(fmt, name="nf4", double_quant=False,
                           description=fmt.description + "; vLLM dequantizes the nested absmax to fp32 at load")
        return fmt

    def capture_size(self, max_num_seqs: int, max_num_batched_tokens: int) -> int:
        """The largest CUDA graph batch size: ``max_num_seqs`` rounded up to a capture size in V0, 512 in V1 up to
        0.9, ``min(2 x max_num_seqs, 512)`` from 0.10.0; never above ``max_num_batched_tokens`` in V1."""
        if self.engine == "V0":
            return max_num_seqs if max_num_seqs <= 4 else -(-max_num_seqs // 8) * 8
        largest = 512 if self.first < (0, 10, 0) else min(2 * max_num_seqs, 512)
        return min(largest, max_num_batched_tokens)

    def batch_defaults(self, gpu, entrypoint: str, max_model_len: int, chunked: bool) -> tuple[int, int]:
        """(max_num_batched_tokens, max_num_seqs) this release picks for ``gpu`` and the entry point."""
        llm = entrypoint == "llm"
        if self.batch_scheme == "v0":
            return (self.chunked_tokens_v0 if chunked else max(max_model_len, 2048)), 256
        memory = gpu.usable_bytes
        name = gpu.name.lower()
        if self.batch_scheme.startswith("v1-h100-name"):
            large = "h100" in name or "h200" in name
            if self.batch_scheme == "v1-h100-name-1024":
                return (16384 if llm else 8192) if large else (8192 if llm else 2048), 1024
        elif self.batch_scheme == "v1-70gib":
            large = memory >= 70 * GIB
        else:
            large = memory >= 70 * GIB and "a100" not in name
        if self.batch_scheme == "v1-160gib" and memory >= 160 * GIB:
            return 16384, 1024
        if large:
            return (16384 if llm else 8192), 1024
        return (8192 if llm else 2048), 256


_V0 = dict(engine="V0", default_gpu_memory_utilization=0.9, cuda_graphs_in_budget=False, batch_scheme="v0")
_V1 = dict(engine="V1", default_gpu_memory_utilization=0.9, chunked_tokens_v0=0)
_V0_RULE, _V1_RULE = Message("vllm_rule.v0"), Message("vllm_rule.v1")
_GRAPHS_OUT = Message("vllm_rule.graphs_outside")
_DEVICE_WIDE = Message("vllm_rule.budget_device_wide")
_SNAPSHOT_AFTER_NCCL = Message("vllm_rule.budget_snapshot_after_nccl")
_GRAPHS_IN = (_V1_RULE, Message("vllm_rule.budget_cuda_graphs"), Message("vllm_rule.default_utilization"))
_V1_SNAPSHOT_BEFORE_NCCL = (_V1_RULE, Message("vllm_rule.budget_snapshot_before_nccl"), _GRAPHS_OUT)

RELEASES: tuple[VLLMRelease, ...] = (
    VLLMRelease((0, 4, 0), "0.4.0-0.6.3", context_in_budget=False, chunked_tokens_v0=512,
                summary=(_V0_RULE, Message("vllm_rule.budget_free_memory"), _GRAPHS_OUT), **_V0),
    VLLMRelease((0, 6, 4), "0.6.4", context_in_budget=True, chunked_tokens_v0=512,
                summary=(_V0_RULE, _DEVICE_WIDE, _GRAPHS_OUT), **_V0),
    VLLMRelease((0, 6, 5), "0.6.5-0.7", context_in_budget=False, chunked_tokens_v0=2048,
                summary=(_V0_RULE, Message("vllm_rule.budget_profiled"), _GRAPHS_OUT), **_V0),
    VLLMRelease((0, 8, 0), "0.8.0-0.8.3", context_in_budget=True, cuda_graphs_in_budget=False,
                batch_scheme="v1-h100-name-1024", sorting_sampler=False,
                summary=(_V1_RULE, _DEVICE_WIDE, _GRAPHS_OUT), **_V1),
    VLLMRelease((0, 8, 4), "0.8.4", context_in_budget=True, cuda_graphs_in_budget=False,
                batch_scheme="v1-h100-name", sorting_sampler=False,
                summary=(_V1_RULE, _DEVICE_WIDE, _GRAPHS_OUT), **_V1),
    VLLMRelease((0, 8, 5), "0.8.5", context_in_budget=True, cuda_graphs_in_budget=False,
                batch_scheme="v1-70gib", sorting_sampler=False,
                summary=(_V1_RULE, _DEVICE_WIDE, _GRAPHS_OUT), **_V1),
    VLLMRelease((0, 9, 0), "0.9.0", context_in_budget=True, cuda_graphs_in_budget=False,
                batch_scheme="v1-70gib-not-a100", sorting_sampler=False,
                summary=(_V1_RULE, _DEVICE_WIDE, _GRAPHS_OUT), **_V1),
    VLLMRelease((0, 9, 1), "0.9.1-0.9.2", context_in_budget=False, cuda_graphs_in_budget=False,
                batch_scheme="v1-70gib-not-a100", sorting_sampler=False,
                summary=_V1_SNAPSHOT_BEFORE_NCCL,
                **_V1),
    VLLMRelease((0, 10, 0), "0.10", context_in_budget=False, cuda_graphs_in_budget=False,
                batch_scheme="v1-70gib-not-a100", sorting_sampler=False,
                summary=_V1_SNAPSHOT_BEFORE_NCCL,
                **_V1),
    VLLMRelease((0, 11, 0), "0.11.0", context_in_budget=False, cuda_graphs_in_budget=False,
                batch_scheme="v1-70gib-not-a100", sorting_sampler=False,
                summary=(_V1_RULE, _SNAPSHOT_AFTER_NCCL, _GRAPHS_OUT), **_V1),
    VLLMRelease((0, 11, 1), "0.11.1-0.19", context_in_budget=False, cuda_graphs_in_budget=False,
                batch_scheme="v1-70gib-not-a100",
                summary=(_V1_RULE, _SNAPSHOT_AFTER_NCCL, Message("vllm_rule.graphs_outside_estimated"),
                         Message("vllm_rule.sampler_sorts")), **_V1),
    VLLMRelease((0, 20, 0), "0.20", context_in_budget=False, cuda_graphs_in_budget=True,
                batch_scheme="v1-70gib-not-a100",
                summary=(*_GRAPHS_IN, Message("vllm_rule.sampler_sorts")),
                **{**_V1, "default_gpu_memory_utilization": 0.92}),
    VLLMRelease((0, 21, 0), "0.21-0.23", context_in_budget=False, cuda_graphs_in_budget=True,
                batch_scheme="v1-70gib-not-a100", sorting_sampler=False,
                summary=_GRAPHS_IN,
                **{**_V1, "default_gpu_memory_utilization": 0.92}),
    VLLMRelease((0, 24, 0), "0.24-0.27", context_in_budget=False, cuda_graphs_in_budget=True,
                batch_scheme="v1-70gib-not-a100", tokens_from_concurrency=True, sorting_sampler=False,
                summary=_GRAPHS_IN,
                **{**_V1, "default_gpu_memory_utilization": 0.92}),
    VLLMRelease((0, 28, 0), "0.28-0.33", context_in_budget=False, cuda_graphs_in_budget=True,
                batch_scheme="v1-160gib", tokens_from_concurrency=True, sorting_sampler=False,
                summary=_GRAPHS_IN,
                **{**_V1, "default_gpu_memory_utilization": 0.92}),
)
LAST_MODELLED = (0, 33)


def parse_version(text: object) -> tuple[int, int, int]:
    """``"0.10.1.1"``, ``"v0.6.4.post1"``, ``"0.7.3.dev233+gad5a35c2"`` -> (major, minor, patch)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = str(text)
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:[.+\-]?[0-9A-Za-z.+\-]*)?", text.strip()) \
        if isinstance(text, str) else None
    if not match:
        raise CalculatorError("vllm_version", "vllm.version", value=describe(text))
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def vllm_release(version: object) -> VLLMRelease:
    """The :class:`VLLMRelease` whose range holds ``version``; CalculatorError outside 0.4-0.33."""
    parsed = parse_version(version)
    if parsed < RELEASES[0].first or parsed[:2] > LAST_MODELLED:
        code = "vllm.version_extensible_kv" if parsed[:2] > LAST_MODELLED else "vllm.version_unmodelled"
        raise CalculatorError("vllm_version", code, first="{}.{}".format(*RELEASES[0].first[:2]),
                              last="{}.{}".format(*LAST_MODELLED), value=describe(version))
    return [r for r in RELEASES if r.first <= parsed][-1]
