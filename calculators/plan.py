"""Inference memory plan per GPU, for vLLM or plain transformers ``generate``, and the questions people ask.

``memory_plan(spec, weights=..., seq_len=..., batch=..., kv_dtype=..., gpu=..., count=...)`` adds, for one GPU
of a tensor-parallel group of ``count`` GPUs (TP 1, 2, 4 or 8):

``weights``
    :func:`calculators.weights.weight_memory` sharded as vLLM shards it: column/row-parallel linears and the
    vocabulary-parallel embedding and LM head split ``1/tp``; norms, routers, the biases of row-parallel
    layers (``o_proj``, ``down_proj``) and MLA's ``q_a_proj`` / ``kv_a_proj_with_mqa`` (``ReplicatedLinear``
    in vLLM's DeepSeek models) are replicated; when ``tp`` exceeds the KV-head count, ``k_proj`` and
    ``v_proj`` are replicated so each rank holds one KV head (vLLM's ``QKVParallelLinear``).
``kv_cache`` / ``recurrent_state``
    :func:`calculators.kv.kv_cache` with ``tp`` (KV heads split, MLA latents replicated, paged in blocks of
    16 tokens for vLLM, vLLM's default ``block_size``).
``activation_peak``
    a model of the engine's largest transient tensors (below).
``cuda_graphs`` (vLLM)
    static buffers of the piecewise CUDA graphs.
``non_torch`` / ``gemm_workspace`` / ``nccl`` / ``cuda_context``
    runtime overhead, paid on every GPU (below).

vLLM (``engine="vllm"``) -- grounded in ``vllm/v1/worker/gpu_worker.py`` (``determine_available_memory``)
    The budget is ``gpu_memory_utilization x total`` (``torch.cuda.mem_get_info()`` total, our
    :attr:`GPU.usable_bytes`); vLLM subtracts the weights, the profiled peak and the non-torch increase and
    gives the rest to the KV cache. This module uses ``gpu_memory_utilization=0.9`` by default, the value
    the issue specifies and vLLM's default until recently; current vLLM (``vllm/config/cache.py``) defaults
    to 0.92: pass it explicitly to match your version. The CUDA context exists before vLLM's first memory
    snapshot, so it sits outside the budget, in the ``1 - utilization`` share (vLLM refuses to start when
    free memory at start is below the budget).

    * Activation peak: ``profile_run`` runs one forward pass of ``max_num_batched_tokens`` (T) tokens and the
      sampler on ``min(max_num_seqs, T)`` rows (``gpu_model_runner.py``). Defaults from
      ``EngineArgs.get_batch_defaults`` (``vllm serve``): T = 8192 and 1024 sequences on GPUs with >= 70 GiB
      that are not A100s, else T = 2048 and 256 sequences. Model: the residual stream and hidden state
      ``2 x T x h`` persist; the largest per-layer transient is added: attention ``T x (q+k+v + attn_out + h)``,
      dense MLP ``T x (gate_up + I + h)`` (vLLM fuses gate and up, ``SiluAndMul`` writes I), MoE
      ``T x k x (2I_e + I_e + h)`` (``fused_moe`` intermediate caches 1-3) + fp32 router logits, each /tp
      where the layer is split. The sampler phase holds ``S x V`` logits in 16-bit, their fp32 copy and fp32
      probabilities (``S = min(max_num_seqs, T)``; the FlashInfer sampler does not sort the vocabulary).
    * Non-torch memory: allocations outside PyTorch's allocator during profiling (cuBLAS/cuBLASLt and
      attention-backend workspaces): 256 MiB, the upper end of the 0.02-0.28 GiB vLLM logs print.
    * NCCL when tp > 1: 1.75 GiB, from vLLM's own measurement: ``non_torch_memory`` grew from 1.79 GiB at
      TP=1 to 3.58 GiB at TP=2 for the same model (vllm-project/vllm#10511), which includes NCCL's
      per-channel buffers and vLLM's custom all-reduce IPC buffers. NCCL alone uses about 1 GiB per GPU
      intra-node on 8x H100 (NVIDIA/nccl#1685, #986: memory grows with channels and peers).
    * CUDA graphs: piecewise graphs (the V1 default) keep static buffers between the attention splits for
      the largest capture size ``N = min(512, 2 x max_num_seqs)`` (``CompilationConfig``):
      ``layers x N x (q+k+v + attn_out + h)/tp x 2 bytes``. vLLM >= 0.19 estimates this during profiling
      and takes it from the KV budget (``VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS``); ``cuda_graphs=False``
      models ``enforce_eager``.

transformers (``engine="transformers"``) -- plain ``model.generate`` in transformers 5
    The whole device is the budget; the CUDA context and cuBLAS workspaces count against it.

    * ``generate`` passes ``logits_to_keep=1`` (``generation/utils.py``): the prefill computes logits for
      the last position only, ``B x V`` in 16-bit, then copies them to fp32
      (``outputs.logits[:, -1].to(copy=True, dtype=torch.float32)``) and, when sampling, fp32
      probabilities: ``B x V x (2 + 4 + 4)``.
    * Prefill activations for the whole prompt (seq_len is taken as the prompt length, an upper bound):
      the residual, the hidden state and the embedding output (``LlamaModel.forward`` keeps
      ``inputs_embeds`` referenced), ``3 x B x s x h``, plus the rotary ``cos``/``sin`` (``2 x B x s x d``);
      and the largest layer transient: attention ``q,k,v`` plus their rotary copies and the output, or the MLP
      ``act(gate) * up`` with three ``I``-wide tensors alive (``LlamaMLP.forward``). SDPA without a padding
      mask runs causal kernels that never hold ``s x s`` (``masking_utils.sdpa_mask`` skips the mask); a
      padded batch would add a ``B x s x s`` boolean mask.
    * The logits and ``DynamicCache`` growth come after the prefill's transients are freed, so the peak is
      the larger of the two phases: ``torch.cat`` in ``DynamicCache.update`` holds one layer's K and V twice
      for an instant (``kv_cache / attention layers``), next to one step's logits.
    * Checked on CPU with ``torch.profiler(profile_memory=True)`` around ``generate`` of a small Llama
      (batch 1-8, 128-4096 tokens): the modelled KV + activation peak is within 10% of the allocator's
      peak (``tests/calculators/test_plan.py``).
    * With ``count > 1`` the model is assumed split by ``tp_plan="auto"`` (torchrun), with one NCCL
      communicator: 1 GiB (NVIDIA/nccl#1685).

Runtime constants (both engines): CUDA context 512 MiB (driver + kernel images with lazy module loading,
commonly 300-600 MiB); GEMM workspaces 64 MiB (PyTorch's cuBLAS workspace on Hopper, ``:4096:8`` = 32 MiB,
and a cuBLASLt workspace of the same size). PyTorch's caching-allocator fragmentation is not modelled.

Inverse questions: :attr:`MemoryPlan.max_seq_len` (binary search: the largest ``seq_len`` at this batch that
fits, capped at the model's ``max_position_embeddings`` when known), :attr:`MemoryPlan.max_batch` (the most
sequences of ``seq_len`` that fit), :func:`recommend` (GPU sets that fit, best first) and
:attr:`MemoryPlan.decode_tokens_per_s_bound`: a bandwidth roofline. One decode step reads every active
weight byte on each GPU once plus the KV cache of all ``batch`` sequences (and the recurrent state, read and
written); ``tokens/s <= batch x bandwidth / bytes per step per GPU``. For MoE with ``batch`` sequences the
expected number of distinct experts per layer under uniform routing is ``E x (1 - (1 - k/E)^batch)``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from .errors import LIMITS, CalculatorError, choice, is_int, positive_int
from .gpus import CATALOG, GIB, MIB, get_gpu
from .spec import FullAttention, MLAAttention, RecurrentMixer, SlidingAttention
from .weights import weight_memory

ENGINES = ("vllm", "transformers")
TP_DEGREES = (1, 2, 4, 8)
DEFAULT_GPU_MEMORY_UTILIZATION = 0.9
VLLM_BLOCK_SIZE = 16

CUDA_CONTEXT_BYTES = 512 * MIB
GEMM_WORKSPACE_BYTES = 64 * MIB
VLLM_NON_TORCH_BYTES = 256 * MIB
VLLM_NCCL_BYTES = 1792 * MIB  # 1.75 GiB
TORCH_NCCL_BYTES = 1 * GIB
ACT_BYTES = 2  # activations in bf16/fp16
_OUTPUT_PROJECTIONS = ("o_proj", "out_proj", "dense", "c_proj", "wo")
_REPLICATED_LINEARS = ("q_a_proj", "kv_a_proj_with_mqa")  # MLA's down-projections: ReplicatedLinear in vLLM


@dataclass(frozen=True)
class MemoryPlan:
    """Per-GPU memory of one deployment; every byte figure is for one GPU of the ``count``."""

    model: str
    engine: str
    gpu: str
    gpu_name: str
    count: int
    weights_format: str
    kv_dtype: str
    seq_len: int
    batch: int
    gpu_memory_utilization: float | None
    gpu_total_bytes: int  # the device's usable total (CUDA total_memory)
    gpu_usable_bytes: int  # the budget: total x utilization for vLLM, the total for transformers
    per_gpu_bytes: int  # everything counted against the budget
    headroom_bytes: int
    fits: bool
    breakdown: dict  # term -> bytes (per GPU)
    terms: dict  # term -> {"bytes", "in_budget", "model"}
    settings: dict
    max_seq_len: int | None = None
    max_seq_len_limited_by: str = ""
    max_batch: int | None = None
    decode_tokens_per_s_bound: float | None = None
    decode_bytes_per_step: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "engine": self.engine,
            "gpu": self.gpu,
            "gpu_name": self.gpu_name,
            "count": self.count,
            "weights_format": self.weights_format,
            "kv_dtype": self.kv_dtype,
            "seq_len": self.seq_len,
            "batch": self.batch,
            "gpu_memory_utilization": self.gpu_memory_utilization,
            "gpu_total_bytes": self.gpu_total_bytes,
            "gpu_usable_bytes": self.gpu_usable_bytes,
            "per_gpu_bytes": self.per_gpu_bytes,
            "headroom_bytes": self.headroom_bytes,
            "fits": self.fits,
            "breakdown": dict(self.breakdown),
            "terms": {k: dict(v) for k, v in self.terms.items()},
            "settings": dict(self.settings),
            "max_seq_len": self.max_seq_len,
            "max_seq_len_limited_by": self.max_seq_len_limited_by,
            "max_batch": self.max_batch,
            "decode_tokens_per_s_bound": self.decode_tokens_per_s_bound,
            "decode_bytes_per_step": self.decode_bytes_per_step,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Recommendation:
    """GPU sets that fit, best first (fewest GPUs, then least memory, then most bandwidth)."""

    model: str
    engine: str
    weights_format: str
    seq_len: int
    batch: int
    kv_dtype: str
    options: tuple[dict, ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "engine": self.engine,
            "weights_format": self.weights_format,
            "seq_len": self.seq_len,
            "batch": self.batch,
            "kv_dtype": self.kv_dtype,
            "options": [dict(o) for o in self.options],
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------------------
# Public API


def memory_plan(
    spec,
    *,
    weights: object = "bf16",
    seq_len: int,
    batch: int = 1,
    kv_dtype: str = "bf16",
    gpu: object = "H100",
    count: int = 1,
    engine: str = "vllm",
    gpu_memory_utilization: float | None = None,
    max_num_batched_tokens: int | None = None,
    max_num_seqs: int | None = None,
    block_size: int | None = None,
    cuda_graphs: bool = True,
    inverse: bool = True,
) -> MemoryPlan:
    """Memory per GPU of serving ``spec`` on ``count`` x ``gpu`` with tensor parallelism; see the module doc."""
    ctx = _Context.build(spec, weights, seq_len, batch, kv_dtype, gpu, count, engine, gpu_memory_utilization,
                         max_num_batched_tokens, max_num_seqs, block_size, cuda_graphs)
    terms = ctx.terms(seq_len, batch)
    in_budget = sum(t["bytes"] for t in terms.values() if t["in_budget"])
    outside = sum(t["bytes"] for t in terms.values() if not t["in_budget"])
    fits = in_budget <= ctx.budget and outside <= ctx.device.usable_bytes - ctx.budget
    notes = list(ctx.notes)
    max_len = max_batch = None
    limited_by = ""
    if inverse:
        max_len, limited_by = ctx.max_seq_len(batch)
        max_batch = ctx.max_batch(seq_len)
    step_bytes, tps = ctx.decode_bound(seq_len, batch)
    return MemoryPlan(
        model=getattr(spec, "source", "model"),
        engine=engine,
        gpu=ctx.device.key,
        gpu_name=ctx.device.name,
        count=count,
        weights_format=ctx.weights.format,
        kv_dtype=ctx.kv_dtype,
        seq_len=seq_len,
        batch=batch,
        gpu_memory_utilization=ctx.util if engine == "vllm" else None,
        gpu_total_bytes=ctx.device.usable_bytes,
        gpu_usable_bytes=ctx.budget,
        per_gpu_bytes=in_budget,
        headroom_bytes=ctx.budget - in_budget,
        fits=fits,
        breakdown={name: t["bytes"] for name, t in terms.items()},
        terms=terms,
        settings=ctx.settings(),
        max_seq_len=max_len,
        max_seq_len_limited_by=limited_by,
        max_batch=max_batch,
        decode_tokens_per_s_bound=tps,
        decode_bytes_per_step=step_bytes,
        notes=tuple(notes),
    )


def memory_curve(spec, seq_lens, **deployment) -> tuple[list[dict[str, int]], int, int]:
    """:func:`memory_plan`'s breakdown at each of ``seq_lens`` for one deployment (``deployment``: memory_plan's
    other keywords, with its defaults), set up once: ``(breakdowns, budget bytes, GPU bytes)``. The planner's chart."""
    seq_lens = list(seq_lens)
    if not seq_lens:
        raise CalculatorError("seq_len", "expected at least one context length")
    args = inspect.signature(memory_plan).bind(spec, seq_len=seq_lens[0], **deployment)
    args.apply_defaults()
    a = args.arguments
    ctx = _Context.build(spec, a["weights"], a["seq_len"], a["batch"], a["kv_dtype"], a["gpu"], a["count"],
                         a["engine"], a["gpu_memory_utilization"], a["max_num_batched_tokens"], a["max_num_seqs"],
                         a["block_size"], a["cuda_graphs"])
    breakdowns = []
    for seq_len in seq_lens:
        positive_int("seq_len", seq_len, LIMITS["seq_len"])
        breakdowns.append({name: t["bytes"] for name, t in ctx.terms(seq_len, a["batch"]).items()})
    return breakdowns, ctx.budget, ctx.device.usable_bytes


def recommend(
    spec,
    *,
    weights: object = "bf16",
    seq_len: int,
    batch: int = 1,
    kv_dtype: str = "bf16",
    engine: str = "vllm",
    gpu_memory_utilization: float | None = None,
    gpus: object = None,
    counts: tuple[int, ...] = TP_DEGREES,
) -> Recommendation:
    """The GPU sets (one per GPU model: its smallest TP degree that fits) that hold ``spec``, best first.

    Best first = fewest GPUs, then the least usable memory among them (the smallest GPU that is enough),
    then the most memory bandwidth.
    Apple GPUs are only offered for ``engine="transformers"`` (vLLM does not run on Metal) and only alone.
    """
    choice("engine", engine, ENGINES)
    devices = CATALOG if gpus is None else tuple(get_gpu(g) for g in gpus)
    options = []
    notes: list[str] = []
    skipped: list[str] = []
    for device in devices:
        if device.category == "apple" and engine == "vllm":
            continue
        for count in counts:
            if device.category == "apple" and count > 1:
                break
            try:
                plan = memory_plan(spec, weights=weights, seq_len=seq_len, batch=batch, kv_dtype=kv_dtype,
                                   gpu=device, count=count, engine=engine,
                                   gpu_memory_utilization=gpu_memory_utilization, inverse=False)
            except CalculatorError as error:
                if error.field in ("count", "tp"):
                    skipped.append(f"{device.key} x{count}: {error}")
                    continue
                raise
            if plan.fits:
                options.append({
                    "gpu": device.key,
                    "gpu_name": device.name,
                    "count": count,
                    "per_gpu_bytes": plan.per_gpu_bytes,
                    "headroom_bytes": plan.headroom_bytes,
                    "gpu_usable_bytes": plan.gpu_usable_bytes,
                    "total_usable_bytes": count * device.usable_bytes,
                    "decode_tokens_per_s_bound": plan.decode_tokens_per_s_bound,
                })
                break
    options.sort(key=lambda o: (o["count"], o["total_usable_bytes"], -(o["decode_tokens_per_s_bound"] or 0)))
    if skipped:
        notes.append("tensor-parallel degrees the model cannot be split into were skipped: " + "; ".join(
            sorted(set(skipped))[:5]))
    if not options:
        notes.append("no catalogued GPU set of up to 8 GPUs fits; try a smaller weight format or KV dtype")
    wf = weight_memory(spec, weights, loader=engine).format
    return Recommendation(model=getattr(spec, "source", "model"), engine=engine, weights_format=wf,
                          seq_len=seq_len, batch=batch, kv_dtype=str(kv_dtype), options=tuple(options),
                          notes=tuple(notes))


def check_tensor_parallel(spec, tp: object, field_name: str = "count") -> int:
    """Raise CalculatorError unless ``tp`` is 1, 2, 4 or 8 and splits every head and MLP width evenly."""
    if not is_int(tp) or tp not in TP_DEGREES:
        raise CalculatorError(field_name, f"expected a tensor-parallel degree of 1, 2, 4 or 8; got {tp!r}")
    if tp == 1:
        return tp
    for index, mixer in enumerate(spec.mixers):
        if isinstance(mixer, (FullAttention, SlidingAttention, MLAAttention)) and mixer.num_heads % tp:
            raise CalculatorError(
                field_name,
                f"{mixer.num_heads} attention heads (layer {index}) cannot be split across {tp} GPUs: "
                "tensor parallelism needs the head count divisible by the GPU count",
            )
        if isinstance(mixer, (FullAttention, SlidingAttention)):
            kv = mixer.num_kv_heads
            if (kv >= tp and kv % tp) or (kv < tp and tp % kv):
                raise CalculatorError(
                    field_name,
                    f"{kv} KV heads (layer {index}) cannot be split or replicated evenly across {tp} GPUs "
                    "(vLLM needs kv_heads % tp == 0, or tp % kv_heads == 0 when tp > kv_heads)",
                )
        if isinstance(mixer, RecurrentMixer) and mixer.parallel_heads % tp:
            raise CalculatorError(
                field_name,
                f"{mixer.parallel_heads} recurrent heads (layer {index}) cannot be split across {tp} GPUs",
            )
    for group in spec.tensors:
        if group.role != "linear" or group.component not in ("mlp", "experts", "shared_experts"):
            continue
        width = group.shape[-2] if group.shape[-1] == spec.hidden_size else group.shape[-1]
        if width % tp:
            raise CalculatorError(
                field_name,
                f"{group.name or group.component} width {width} is not divisible by {tp} GPUs "
                "(column/row-parallel layers split it evenly)",
            )
    return tp


# --------------------------------------------------------------------------------------------------------
# The model


@dataclass
class _Widths:
    """Per-layer tensor widths the activation models need (maximum over layers of each kind)."""

    hidden: int
    attn_qkv: int = 0  # sum of out widths of attention linears that read the hidden state
    attn_out: int = 0  # in width of the attention output projection
    mlp_up: int = 0
    mlp_inter: int = 0
    moe_up: int = 0
    moe_inter: int = 0
    shared_up: int = 0
    shared_inter: int = 0
    rec_in: int = 0
    rec_out: int = 0
    num_experts: int = 0
    top_k: int = 0
    vocab: int = 0
    layers: int = 0
    attention_layers: int = 0
    head_dim: int = 0

    @classmethod
    def of(cls, spec) -> _Widths:
        h = spec.hidden_size
        w = cls(hidden=h, num_experts=spec.num_experts, top_k=spec.experts_per_token, layers=spec.num_hidden_layers)
        up: dict[tuple[str, str], int] = {}  # (component, name) -> widest output among layers
        down: dict[str, int] = {}  # component -> widest input of a layer writing the hidden state
        for g in spec.tensors:
            if g.role != "linear" or g.component in ("lm_head", "embeddings", "router", "other"):
                continue
            out_f, in_f = g.shape[-2], g.shape[-1]
            base = g.name.rsplit(".", 1)[-1]
            if g.component == "attention":
                if base in _OUTPUT_PROJECTIONS:
                    down["attention"] = max(down.get("attention", 0), in_f)
                else:
                    up[("attention", g.name)] = max(up.get(("attention", g.name), 0), out_f)
            elif in_f == h and out_f != h:
                up[(g.component, g.name)] = max(up.get((g.component, g.name), 0), out_f)
            elif out_f == h:
                down[g.component] = max(down.get(g.component, 0), in_f)
        sums: dict[tuple[str, str], int] = {}
        for (component, _), width in up.items():
            sums[(component, "up")] = sums.get((component, "up"), 0) + width
        for component, width in down.items():
            sums[(component, "down")] = width
        w.attn_qkv, w.attn_out = sums.get(("attention", "up"), 0), sums.get(("attention", "down"), 0)
        w.mlp_up, w.mlp_inter = sums.get(("mlp", "up"), 0), sums.get(("mlp", "down"), 0)
        w.moe_up, w.moe_inter = sums.get(("experts", "up"), 0), sums.get(("experts", "down"), 0)
        w.shared_up, w.shared_inter = sums.get(("shared_experts", "up"), 0), sums.get(("shared_experts", "down"), 0)
        w.rec_in, w.rec_out = sums.get(("recurrent", "up"), 0), sums.get(("recurrent", "down"), 0)
        w.vocab = next((g.shape[-2] for g in spec.tensors if g.component == "lm_head" and g.role == "linear"),
                       spec.vocab_size)
        w.attention_layers = sum(1 for m in spec.mixers if not isinstance(m, RecurrentMixer))
        w.head_dim = max((getattr(m, "head_dim", 0) or getattr(m, "qk_rope_head_dim", 0) for m in spec.mixers),
                         default=0)
        return w

    def layer_transient(self, tokens: int, tp: int, engine: str) -> int:
        """Largest per-layer transient (bytes) of a forward pass over ``tokens`` tokens, one GPU."""
        h = self.hidden
        candidates = [0]
        if self.attn_qkv:
            rotary_copies = self.attn_qkv if engine == "transformers" else 0
            candidates.append(tokens * ((self.attn_qkv + rotary_copies + self.attn_out) // tp + h))
        if self.mlp_up:
            live = 3 * self.mlp_inter if engine == "transformers" else self.mlp_up + self.mlp_inter
            candidates.append(tokens * (live // tp + h))
        if self.moe_up:
            routed = tokens * self.top_k * ((self.moe_up + self.moe_inter) // tp + h)
            shared = tokens * ((self.shared_up + self.shared_inter) // tp) if self.shared_up else 0
            router = tokens * self.num_experts * 4 // ACT_BYTES  # fp32 logits, in ACT_BYTES units
            candidates.append(routed + shared + router)
        if self.rec_in:
            candidates.append(tokens * ((self.rec_in + self.rec_out) // tp + h))
        return ACT_BYTES * max(candidates)


@dataclass
class _Context:
    spec: object
    engine: str
    device: object
    tp: int
    weights: object
    kv_dtype: str
    util: float
    budget: int
    max_num_batched_tokens: int
    max_num_seqs: int
    block_size: int | None
    cuda_graphs: bool
    widths: _Widths
    weights_per_gpu: int
    active_weights_per_gpu: int
    expert_bytes_per_gpu: int
    notes: list
    _fixed: int | None = None

    @classmethod
    def build(cls, spec, weights, seq_len, batch, kv_dtype, gpu, count, engine, util, mnbt, mns, block_size,
              cuda_graphs) -> _Context:
        choice("engine", engine, ENGINES)
        positive_int("seq_len", seq_len, LIMITS["seq_len"])
        positive_int("batch", batch, LIMITS["batch"])
        device = get_gpu(gpu)
        if device.category == "apple":
            if engine == "vllm":
                raise CalculatorError("engine", "vLLM does not run on Apple GPUs; use engine 'transformers' (MPS)")
            if count != 1:
                raise CalculatorError("count", f"Apple GPUs are planned one at a time; got count {count!r}")
        tp = check_tensor_parallel(spec, count)
        if not isinstance(cuda_graphs, bool):
            raise CalculatorError("cuda_graphs", f"expected true or false, got {cuda_graphs!r}")
        if engine == "vllm":
            util = DEFAULT_GPU_MEMORY_UTILIZATION if util is None else util
            if isinstance(util, bool) or not isinstance(util, (int, float)) or not 0.0 < util <= 1.0:
                raise CalculatorError("gpu_memory_utilization", f"expected a number in (0, 1], got {util!r}")
            util = float(util)
            budget = int(device.usable_bytes * util)
            large = device.usable_bytes >= 70 * GIB and "a100" not in device.key
            mnbt = (8192 if large else 2048) if mnbt is None else positive_int("max_num_batched_tokens", mnbt,
                                                                                 LIMITS["seq_len"])
            mns = (1024 if large else 256) if mns is None else positive_int("max_num_seqs", mns, LIMITS["batch"])
            block_size = VLLM_BLOCK_SIZE if block_size is None else positive_int("block_size", block_size,
                                                                                 LIMITS["block_size"])
        else:
            if util is not None:
                raise CalculatorError("gpu_memory_utilization", "applies to engine 'vllm' only")
            util, budget, mnbt, mns = 1.0, device.usable_bytes, 0, 0
            if block_size is not None:
                positive_int("block_size", block_size, LIMITS["block_size"])
        wm = _cached_weight_memory(spec, weights, engine)
        widths = _per_spec(("widths",), spec, lambda: _Widths.of(spec))
        kv_name = _kv_dtype_name(kv_dtype)
        ctx = cls(spec=spec, engine=engine, device=device, tp=tp, weights=wm, kv_dtype=kv_name, util=util,
                  budget=budget, max_num_batched_tokens=mnbt, max_num_seqs=mns, block_size=block_size,
                  cuda_graphs=cuda_graphs, widths=widths, weights_per_gpu=0, active_weights_per_gpu=0,
                  expert_bytes_per_gpu=0, notes=[])
        ctx._shard_weights()
        ctx._kv(1, 1)  # validate the KV dtype and the spec once, early
        if device.category == "apple":
            ctx.notes.append("Apple GPU (PyTorch MPS): the cuda_context and gemm_workspace terms stand for the "
                             "Metal runtime's own allocations, modelled with the same constants")
        if device.fp8_dense_tflops is None and wm.format.startswith("fp8"):
            ctx.notes.append(f"{device.name} has no FP8 tensor cores: vLLM runs FP8 weights through its "
                             "weight-only Marlin kernels (same memory, 16-bit compute)")
        if getattr(spec, "approximate", False):
            ctx.notes.extend(spec.notes)
        return ctx

    # ---- weights ----------------------------------------------------------------------------------------
    def _shard_weights(self) -> None:
        spec, tp = self.spec, self.tp
        kv_heads = [m.num_kv_heads for m in spec.mixers if isinstance(m, (FullAttention, SlidingAttention))]
        min_kv = min(kv_heads) if kv_heads else 0
        total = active = experts = 0
        for row in self.weights.rows:
            nbytes = row.bytes
            if tp == 1:
                per_gpu = nbytes
            elif row.component in ("norms", "router") or row.role == "norm" or row.name.endswith(
                    ("o_proj.bias", "down_proj.bias", "out_proj.bias")) or row.storage == "fp32 buffer" \
                    or row.name.split(".")[0] in _REPLICATED_LINEARS:
                per_gpu = nbytes  # replicated
            elif row.component == "attention" and row.name.split(".")[0] in ("k_proj", "v_proj") \
                    and min_kv and tp > min_kv:
                per_gpu = -(-nbytes // min_kv)  # each rank holds one whole KV head
            else:
                per_gpu = -(-nbytes // tp)
            total += per_gpu
            share = per_gpu * row.active_count // row.count if row.count else 0
            active += share
            if row.component == "experts":
                experts += per_gpu
        self.weights_per_gpu, self.active_weights_per_gpu, self.expert_bytes_per_gpu = total, active, experts

    # ---- KV ---------------------------------------------------------------------------------------------
    def _kv(self, seq_len: int, batch: int) -> tuple[int, int]:
        from .kv import kv_cache

        def compute():
            return _kv_per_gpu(kv_cache(self.spec, seq_len=seq_len, batch=batch, kv_dtype=self.kv_dtype,
                                        block_size=self.block_size, tp=self.tp), self.tp)

        key = ("kv", seq_len, batch, self.kv_dtype, self.block_size, self.tp)
        return _per_spec(key, self.spec, compute)

    # ---- terms ------------------------------------------------------------------------------------------
    def terms(self, seq_len: int, batch: int) -> dict:
        kv_bytes, state_bytes = self._kv(seq_len, batch)
        tp = self.tp
        terms: dict[str, dict] = {}
        terms["weights"] = _t(self.weights_per_gpu, True,
                              f"{self.weights.format} weights, sharded over {tp} GPU(s) as vLLM shards them")
        terms["kv_cache"] = _t(kv_bytes, True, f"{self.kv_dtype} KV cache for {batch} x {seq_len} tokens"
                               + (f", paged in blocks of {self.block_size}" if self.block_size else ""))
        if state_bytes:
            terms["recurrent_state"] = _t(state_bytes, True, "recurrent (Mamba/DeltaNet) state per sequence")
        if self.engine == "vllm":
            t_tokens = self.max_num_batched_tokens
            rows = min(self.max_num_seqs, t_tokens)
            forward, sampler = self._vllm_activation()
            terms["activation_peak"] = _t(max(forward, sampler), True,
                                          f"profile run: forward of {t_tokens} tokens "
                                          f"({_gib(forward)}) vs sampler on {rows} rows ({_gib(sampler)})")
            if self.cuda_graphs:
                n_cg = min(512, 2 * self.max_num_seqs)
                terms["cuda_graphs"] = _t(self._cuda_graph_bytes(), True,
                                          f"piecewise CUDA graph buffers, capture sizes up to {n_cg}")
            terms["non_torch"] = _t(VLLM_NON_TORCH_BYTES, True, "cuBLAS/attention workspaces outside PyTorch")
            if tp > 1:
                terms["nccl"] = _t(VLLM_NCCL_BYTES, True, "NCCL + custom all-reduce buffers (vLLM, measured)")
            terms["cuda_context"] = _t(CUDA_CONTEXT_BYTES, False,
                                       "CUDA context, outside the gpu_memory_utilization budget")
        else:
            prefill, logits, cache_growth = self._transformers_phases(seq_len, batch, kv_bytes)
            terms["activation_peak"] = _t(max(prefill, logits + cache_growth), True,
                                          f"max of the prefill of {batch} x {seq_len} tokens ({_gib(prefill)}) and "
                                          f"a step's last-position logits ({_gib(logits)}) + one layer's cache copy "
                                          f"({_gib(cache_growth)})")
            terms["gemm_workspace"] = _t(GEMM_WORKSPACE_BYTES, True, "cuBLAS + cuBLASLt workspaces")
            if tp > 1:
                terms["nccl"] = _t(TORCH_NCCL_BYTES, True, "one NCCL communicator (tp_plan)")
            terms["cuda_context"] = _t(CUDA_CONTEXT_BYTES, True, "CUDA context")
        return terms

    def _vllm_activation(self) -> tuple[int, int]:
        w, h, t_tokens = self.widths, self.widths.hidden, self.max_num_batched_tokens
        rows = min(self.max_num_seqs, t_tokens)
        forward = ACT_BYTES * 2 * t_tokens * h + w.layer_transient(t_tokens, self.tp, "vllm")
        sampler = ACT_BYTES * t_tokens * h + rows * w.vocab * (ACT_BYTES + 4 + 4)
        return forward, sampler

    def _cuda_graph_bytes(self) -> int:
        w = self.widths
        n_cg = min(512, 2 * self.max_num_seqs)
        return ACT_BYTES * w.layers * n_cg * ((w.attn_qkv + w.attn_out) // self.tp + w.hidden)

    def _transformers_phases(self, seq_len: int, batch: int, kv_bytes: int) -> tuple[int, int, int]:
        """(prefill peak, logits of one step, one layer's cache copy) of ``generate``, bytes on one GPU."""
        w = self.widths
        tokens = seq_len * batch
        # residual + hidden state + the embedding output LlamaModel.forward keeps + rotary cos and sin
        persistent = ACT_BYTES * tokens * (3 * w.hidden + 2 * w.head_dim)
        prefill = persistent + w.layer_transient(tokens, self.tp, "transformers")
        logits = batch * w.vocab * (ACT_BYTES + 4 + 4)
        cache_growth = -(-kv_bytes // max(w.attention_layers, 1)) if kv_bytes else 0
        return prefill, logits, cache_growth

    def _fixed_in_budget(self) -> int:
        """In-budget bytes that depend on neither seq_len nor batch (computed once)."""
        if self._fixed is None:
            fixed = self.weights_per_gpu
            if self.engine == "vllm":
                fixed += max(self._vllm_activation()) + VLLM_NON_TORCH_BYTES
                fixed += self._cuda_graph_bytes() if self.cuda_graphs else 0
                fixed += VLLM_NCCL_BYTES if self.tp > 1 else 0
            else:
                fixed += GEMM_WORKSPACE_BYTES + CUDA_CONTEXT_BYTES + (TORCH_NCCL_BYTES if self.tp > 1 else 0)
            self._fixed = fixed
        return self._fixed

    def fits(self, seq_len: int, batch: int) -> bool:
        """Whether ``batch`` x ``seq_len`` fits the budget (the same sum as :meth:`terms`, computed lean)."""
        return self._total(seq_len, batch) <= self.budget

    # ---- inverse questions ------------------------------------------------------------------------------
    def max_seq_len(self, batch: int) -> tuple[int, str]:
        limit = LIMITS["seq_len"]
        cap = getattr(self.spec, "max_position_embeddings", None)
        if not self.fits(1, batch):
            return 0, "memory"
        hi_bound = cap if cap else limit
        if self.fits(hi_bound, batch):
            return hi_bound, "max_position_embeddings" if cap else "limit"
        lo, hi = 1, hi_bound  # fits(lo), not fits(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.fits(mid, batch):
                lo = mid
            else:
                hi = mid
        return lo, "memory"

    def max_batch(self, seq_len: int) -> int:
        """Most sequences of ``seq_len`` that fit: every in-budget term is affine in the batch (KV, state
        and activations are per sequence), so solve for it, then step to the exact boundary."""
        if not self.fits(seq_len, 1):
            return 0
        limit = LIMITS["batch"]
        one, two = self._total(seq_len, 1), self._total(seq_len, 2)
        per_sequence = max(two - one, 1)
        guess = min(limit, max(1, 1 + (self.budget - one) // per_sequence))
        while guess < limit and self.fits(seq_len, guess + 1):
            guess = min(limit, guess + max(1, guess // 64))
        while guess > 1 and not self.fits(seq_len, guess):
            guess -= 1
        return guess

    def _total(self, seq_len: int, batch: int) -> int:
        kv_bytes, state_bytes = self._kv(seq_len, batch)
        total = self._fixed_in_budget() + kv_bytes + state_bytes
        if self.engine == "transformers":
            prefill, logits, cache_growth = self._transformers_phases(seq_len, batch, kv_bytes)
            total += max(prefill, logits + cache_growth)
        return total

    def decode_bound(self, seq_len: int, batch: int) -> tuple[int, float]:
        kv_bytes, state_bytes = self._kv(seq_len, batch)
        weights = self.active_weights_per_gpu
        w = self.widths
        if self.expert_bytes_per_gpu and w.num_experts and w.top_k:
            fraction = 1.0 - (1.0 - w.top_k / w.num_experts) ** batch
            routed_active = self.expert_bytes_per_gpu * w.top_k // w.num_experts
            weights += int(self.expert_bytes_per_gpu * fraction) - routed_active
        step = weights + kv_bytes + 2 * state_bytes
        return step, round(batch * self.device.bandwidth_bytes_per_s / step, 3) if step else 0.0

    def settings(self) -> dict:
        return {
            "tensor_parallel": self.tp,
            "block_size": self.block_size,
            "max_num_batched_tokens": self.max_num_batched_tokens or None,
            "max_num_seqs": self.max_num_seqs or None,
            "cuda_graphs": self.cuda_graphs if self.engine == "vllm" else None,
            "gpu_bandwidth_bytes_per_s": self.device.bandwidth_bytes_per_s,
            "weights_total_bytes": self.weights.total_bytes,
            "weights_kept_high_precision": [dict(item) for item in self.weights.kept_high_precision],
        }


_SPEC_CACHE: dict[tuple, tuple] = {}


def _per_spec(key: tuple, spec, compute):
    """``compute()``, remembered for the last few specs (recommend and the chart plan one model many times)."""
    key = (id(spec), *key)
    hit = _SPEC_CACHE.get(key)
    if hit is not None and hit[0] is spec:
        return hit[1]
    result = compute()
    if len(_SPEC_CACHE) > 256:
        _SPEC_CACHE.clear()
    _SPEC_CACHE[key] = (spec, result)
    return result


def _cached_weight_memory(spec, weights: object, loader: str):
    return _per_spec(("weights", weights if isinstance(weights, str) else repr(weights), loader), spec,
                     lambda: weight_memory(spec, weights, loader=loader))


def _kv_dtype_name(kv_dtype: object) -> str:
    from .dtypes import kv_dtype as lookup

    return lookup(kv_dtype).name


def _kv_per_gpu(result, tp: int) -> tuple[int, int]:
    """(attention KV bytes, recurrent-state bytes) on one GPU, from a :class:`calculators.kv.KVCache`."""
    return int(result.per_gpu_kv_cache_bytes), int(result.per_gpu_recurrent_state_bytes)


def _t(nbytes: int, in_budget: bool, model: str) -> dict:
    return {"bytes": int(nbytes), "in_budget": in_budget, "model": model}


def _gib(nbytes: int) -> str:
    return f"{nbytes / GIB:.2f} GiB"
