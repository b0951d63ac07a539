"""Inference memory plan per GPU, for vLLM or plain transformers ``generate``, and the questions people ask.

``memory_plan(spec, weights=..., seq_len=..., batch=..., gpu=..., count=..., vllm_version=...)`` checks the
deployment (:mod:`calculators.plan.deployment`), hands it to its engine (:mod:`calculators.plan.engines`: one class per
engine, each producing typed :class:`~calculators.plan.engines.memory.MemoryTerm` s for one GPU of a
tensor-parallel group) and answers from those terms:

* ``terms`` / ``breakdown``: every term's bytes on one GPU, and whether it counts against the budget
  (vLLM: ``gpu_memory_utilization x total``; transformers: the whole device);
* for vLLM, what vLLM prints at start-up for ``max_model_len = seq_len``: ``terms.weights.bytes`` ("model
  weights take"), ``available_kv_cache_bytes``, ``kv_cache_blocks``, ``kv_cache_tokens``, ``max_concurrency``
  and ``refusal`` (the error vLLM stops with when one request of ``seq_len`` tokens does not fit);
* ``fits``: ``batch`` sequences of ``seq_len`` tokens fit in the budget, and the terms outside it fit in the rest;
* the inverse questions: :attr:`MemoryPlan.max_seq_len` (binary search, capped by the model's context),
  :attr:`MemoryPlan.max_batch`, :func:`recommend` (GPU sets that fit, best first), and
  :attr:`MemoryPlan.decode_tokens_per_s_bound`: a bandwidth roofline. One decode step reads every active weight
  byte on each GPU once (of an untied input embedding and of the rotary tables, only the ``batch`` rows it
  gathers) plus the KV cache of all ``batch`` sequences (and the recurrent state, read and written);
  ``tokens/s <= batch x bandwidth / bytes per step per GPU``. For MoE with ``batch`` sequences the expected
  number of distinct experts per layer under uniform routing is ``E x (1 - (1 - k/E)^batch)``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from calculators.errors import LIMITS, CalculatorError, choice, positive_int
from calculators.memory.runtime import ACT_BYTES
from calculators.messages import Message, render
from calculators.plan.deployment import ENGINES, TP_DEGREES, Deployment, check_tensor_parallel, deployment
from calculators.plan.engines import engine_for
from calculators.plan.gpus import CATALOG, get_gpu

__all__ = ["ENGINES", "TP_DEGREES", "MemoryPlan", "Recommendation", "check_tensor_parallel", "memory_curve",
           "memory_plan", "recommend"]


@dataclass(frozen=True)
class MemoryPlan:
    """Per-GPU memory of one deployment; every byte figure is for one GPU of the ``count``."""

    model: str
    engine: str
    vllm_version: str | None
    gpu: str
    gpu_name: str
    count: int
    weights_format: str
    weights_format_source: str
    kv_dtype: str
    seq_len: int
    batch: int
    gpu_memory_utilization: float | None
    gpu_total_bytes: int  # what a CUDA process sees (torch.cuda.mem_get_info total)
    gpu_usable_bytes: int  # the budget: total x utilization for vLLM, the total for transformers
    per_gpu_bytes: int  # everything counted against the budget
    headroom_bytes: int
    fits: bool
    breakdown: dict  # term -> bytes (per GPU)
    terms: dict  # term -> MemoryTerm
    settings: dict
    available_kv_cache_bytes: int | None = None
    kv_cache_blocks: int | None = None
    kv_cache_tokens: int | None = None
    max_concurrency: float | None = None
    refusal: str | None = None
    max_seq_len: int | None = None
    max_seq_len_limited_by: str = ""
    max_batch: int | None = None
    decode_tokens_per_s_bound: float | None = None
    decode_bytes_per_step: int | None = None
    notes: tuple[Message | str, ...] = field(default_factory=tuple)

    def to_dict(self, lang: str = "en") -> dict:
        """A JSON-ready dict; how each term is computed and the notes in ``lang``."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["breakdown"] = dict(self.breakdown)
        out["terms"] = {name: term.to_dict(lang) for name, term in self.terms.items()}
        out["settings"] = dict(self.settings)
        out["notes"] = [render(note, lang) for note in self.notes]
        return out


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
    notes: tuple[Message, ...] = ()

    def to_dict(self, lang: str = "en") -> dict:
        """A JSON-ready dict; the notes in ``lang``."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["options"] = [dict(o) for o in self.options]
        out["notes"] = [render(note, lang) for note in self.notes]
        return out


# --------------------------------------------------------------------------------------------------------
# Public API


def memory_plan(
    spec,
    *,
    weights: object = None,
    seq_len: int,
    batch: int = 1,
    kv_dtype: str = "bf16",
    gpu: object = None,
    gpu_memory_gib: object = None,
    count: int = 1,
    engine: str = "vllm",
    vllm_version: object = None,
    gpu_memory_utilization: float | None = None,
    max_num_batched_tokens: int | None = None,
    max_num_seqs: int | None = None,
    block_size: int | None = None,
    cuda_graphs: bool = True,
    entrypoint: str = "serve",
    inverse: bool = True,
) -> MemoryPlan:
    """Memory per GPU of serving ``spec`` on ``count`` x ``gpu`` with tensor parallelism; see the module doc."""
    d = deployment(spec, weights=weights, kv_dtype=kv_dtype, gpu=gpu, gpu_memory_gib=gpu_memory_gib, count=count,
                   engine=engine, vllm_version=vllm_version, gpu_memory_utilization=gpu_memory_utilization,
                   max_num_batched_tokens=max_num_batched_tokens, max_num_seqs=max_num_seqs, block_size=block_size,
                   cuda_graphs=cuda_graphs, entrypoint=entrypoint)
    return plan_deployment(d, seq_len, batch, inverse=inverse)


def plan_deployment(d: Deployment, seq_len: int, batch: int = 1, *, inverse: bool = True) -> MemoryPlan:
    """:func:`memory_plan` for an already checked :class:`~calculators.plan.deployment.Deployment`."""
    positive_int("seq_len", seq_len, LIMITS["seq_len"])
    positive_int("batch", batch, LIMITS["batch"])
    eng = engine_for(d)
    terms = eng.terms(seq_len, batch)
    in_budget = sum(t.bytes for t in terms.values() if t.in_budget)
    outside = sum(t.bytes for t in terms.values() if not t.in_budget)
    fits = in_budget <= eng.budget and outside <= d.gpu.usable_bytes - eng.budget
    notes = [*eng.notes(), *_model_notes(d, seq_len)]
    report = eng.kv_report(seq_len) if d.engine == "vllm" else None
    if report is not None and report.refusal:
        fits = False
    max_len = max_batch = None
    limited_by = ""
    if inverse:
        max_len, limited_by = _max_seq_len(eng, batch)
        max_batch = _max_batch(eng, seq_len)
    step_bytes, tps = _decode_bound(eng, seq_len, batch)
    settings = {
        "tensor_parallel": d.tp,
        "block_size": eng.block_size,
        "gpu_bandwidth_bytes_per_s": d.gpu.bandwidth_bytes_per_s,
        "gpu_total_basis": d.gpu.usable_basis,
        "weights_total_bytes": eng.weights.memory.total_bytes,
        "weights_kept_high_precision": [dict(item) for item in eng.weights.memory.kept_high_precision],
    }
    if d.engine == "vllm":
        sched = eng.scheduler(seq_len)
        settings.update(max_num_batched_tokens=sched.max_num_batched_tokens, max_num_seqs=sched.max_num_seqs,
                        chunked_prefill=sched.chunked_prefill, cuda_graphs=d.cuda_graphs, entrypoint=d.entrypoint,
                        rotary_cache_bytes=eng.weights.rotary, vocab_padding_bytes=eng.weights.vocab_padding)
    return MemoryPlan(
        model=d.model,
        engine=d.engine,
        vllm_version=d.vllm.label if d.vllm else None,
        gpu=d.gpu.key,
        gpu_name=d.gpu.name,
        count=d.tp,
        weights_format=eng.weights.memory.format,
        weights_format_source=d.weights_source,
        kv_dtype=d.kv_dtype.name,
        seq_len=seq_len,
        batch=batch,
        gpu_memory_utilization=eng.utilization if d.engine == "vllm" else None,
        gpu_total_bytes=d.gpu.usable_bytes,
        gpu_usable_bytes=eng.budget,
        per_gpu_bytes=in_budget,
        headroom_bytes=eng.budget - in_budget,
        fits=fits,
        breakdown={name: t.bytes for name, t in terms.items()},
        terms=terms,
        settings=settings,
        available_kv_cache_bytes=report.available_kv_cache_bytes if report else None,
        kv_cache_blocks=report.num_gpu_blocks if report else None,
        kv_cache_tokens=report.kv_cache_tokens if report else None,
        max_concurrency=report.max_concurrency if report else None,
        refusal=report.refusal if report else None,
        max_seq_len=max_len,
        max_seq_len_limited_by=limited_by,
        max_batch=max_batch,
        decode_tokens_per_s_bound=tps,
        decode_bytes_per_step=step_bytes,
        notes=tuple(notes),
    )


def memory_curve(spec, seq_lens, **deployment_args) -> tuple[list[dict[str, int]], int, int]:
    """:func:`memory_plan`'s breakdown at each of ``seq_lens`` for one deployment (``deployment_args``:
    memory_plan's other keywords, with its defaults), set up once: ``(breakdowns, budget bytes, GPU bytes)``.
    The planner's chart."""
    seq_lens = list(seq_lens)
    if not seq_lens:
        raise CalculatorError("seq_len", "plan.no_context")
    for seq_len in seq_lens:
        positive_int("seq_len", seq_len, LIMITS["seq_len"])
    args = inspect.signature(memory_plan).bind(spec, seq_len=seq_lens[0], **deployment_args)
    args.apply_defaults()
    kwargs = {k: v for k, v in args.arguments.items() if k not in ("spec", "seq_len", "batch", "inverse")}
    d = deployment(spec, **kwargs)
    eng = engine_for(d)
    breakdowns = []
    for seq_len in seq_lens:
        breakdowns.append({name: t.bytes for name, t in eng.terms(seq_len, args.arguments["batch"]).items()})
    return breakdowns, eng.budget, d.gpu.usable_bytes


def recommend(
    spec,
    *,
    weights: object = None,
    seq_len: int,
    batch: int = 1,
    kv_dtype: str = "bf16",
    engine: str = "vllm",
    vllm_version: object = None,
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
    if gpus is not None and not isinstance(gpus, (list, tuple)):
        raise CalculatorError("gpus", "gpu.names", type=type(gpus).__name__)
    if not isinstance(counts, (list, tuple)) or not counts or any(c not in TP_DEGREES for c in counts):
        raise CalculatorError("counts", "tp.degrees", value=repr(counts))
    devices = CATALOG if gpus is None else tuple(get_gpu(g) for g in gpus)
    options = []
    notes: list[Message] = []
    skipped: list[Message] = []
    weights_format = None
    for device in devices:
        if device.category == "apple" and engine == "vllm":
            continue
        for count in counts:
            if device.category == "apple" and count > 1:
                break
            try:
                plan = memory_plan(spec, weights=weights, seq_len=seq_len, batch=batch, kv_dtype=kv_dtype,
                                   gpu=device, count=count, engine=engine, vllm_version=vllm_version,
                                   gpu_memory_utilization=gpu_memory_utilization, inverse=False)
            except CalculatorError as error:
                if error.field in ("count", "tp"):
                    skipped.append(Message("note.tp_skipped_item", gpu=device.key, count=count, field=error.field,
                                           reason=error.message))
                    continue
                raise
            weights_format = plan.weights_format
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
        notes.append(Message("note.tp_skipped", skipped=sorted(set(skipped), key=str)[:5]))
    if not options:
        notes.append(Message("note.none_fit", count=max(TP_DEGREES)))
    if weights_format is None:
        weights_format = deployment(spec, weights=weights, gpu_memory_gib=80, engine="transformers").weights.name
    return Recommendation(model=getattr(spec, "source", "model"), engine=engine, weights_format=weights_format,
                          seq_len=seq_len, batch=batch, kv_dtype=str(kv_dtype), options=tuple(options),
                          notes=tuple(notes))


# --------------------------------------------------------------------------------------------------------
# The questions, asked of an engine


def _fits(eng, seq_len: int, batch: int) -> bool:
    """``batch`` x ``seq_len`` fits the budget (vLLM: and vLLM would start with this max_model_len)."""
    if eng.d.engine == "vllm":
        sched = eng.scheduler(seq_len)
        request = eng.request_kv_bytes(seq_len, sched)
        state = eng.kv_bytes(seq_len, batch, sched)[1]
        return batch * request + state <= eng.available_kv_cache_bytes(seq_len)
    return eng.in_budget_total(seq_len, batch) <= eng.budget


def _max_seq_len(eng, batch: int) -> tuple[int, str]:
    limit = LIMITS["seq_len"]
    cap = getattr(eng.d.spec, "max_position_embeddings", None)
    hi_bound = min(cap, limit) if cap else limit
    if not _fits(eng, 1, batch):
        return 0, "memory"
    if _fits(eng, hi_bound, batch):
        return hi_bound, "max_position_embeddings" if cap and cap <= limit else "limit"
    lo, hi = 1, hi_bound  # fits(lo), not fits(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _fits(eng, mid, batch) else (lo, mid)
    return lo, "memory"


def _max_batch(eng, seq_len: int) -> int:
    """Most sequences of ``seq_len`` that fit: every in-budget term is affine in the batch, so solve for it,
    then step to the exact boundary."""
    if not _fits(eng, seq_len, 1):
        return 0
    limit = LIMITS["batch"]
    if eng.d.engine == "vllm":
        sched = eng.scheduler(seq_len)
        per_sequence = eng.request_kv_bytes(seq_len, sched) + eng.kv_bytes(seq_len, 1, sched)[1]
        return min(limit, eng.available_kv_cache_bytes(seq_len) // max(per_sequence, 1))
    one, two = eng.in_budget_total(seq_len, 1), eng.in_budget_total(seq_len, 2)
    per_sequence = max(two - one, 1)
    guess = min(limit, max(1, 1 + (eng.budget - one) // per_sequence))
    while guess < limit and _fits(eng, seq_len, guess + 1):
        guess = min(limit, guess + max(1, guess // 64))
    while guess > 1 and not _fits(eng, seq_len, guess):
        guess -= 1
    return guess


def _decode_bound(eng, seq_len: int, batch: int) -> tuple[int, float | None]:
    kv_bytes, state_bytes = eng.kv_bytes(seq_len, batch)
    w, widths = eng.weights, eng.widths
    # a step gathers `batch` rows of an untied input embedding, not the whole table; of the rotary cos/sin tables it
    # reads `batch` rows too (a few KB, not counted)
    gathered = min(w.input_embedding, batch * widths.hidden * ACT_BYTES // eng.d.tp)
    weights = w.active - w.input_embedding + gathered - w.rotary
    if w.experts and widths.num_experts and widths.top_k:
        fraction = 1.0 - (1.0 - widths.top_k / widths.num_experts) ** batch
        routed_active = w.experts * widths.top_k // widths.num_experts
        weights += int(w.experts * fraction) - routed_active
    step = weights + kv_bytes + 2 * state_bytes
    bandwidth = eng.d.gpu.bandwidth_bytes_per_s
    if not bandwidth or not step:
        return step, None
    return step, round(batch * bandwidth / step, 3)


def _model_notes(d: Deployment, seq_len: int) -> list[Message | str]:
    notes = []
    cap = d.spec.max_position_embeddings
    if cap and seq_len > cap:
        notes.append(Message("note.beyond_max_position", seq_len=seq_len, cap=cap))
    if d.weights_source == "checkpoint":
        notes.append(Message("note.checkpoint_format", format=d.weights.name))
    if getattr(d.spec, "approximate", False):
        notes.extend(d.spec.notes)
    return notes
