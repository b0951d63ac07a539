"""Typed memory terms and the weights an engine holds on one GPU: what every engine produces and every renderer
(table, chart, page, JSON) reads."""

from __future__ import annotations

from dataclasses import dataclass

from calculators.memory.weights import WeightMemory, WeightRow, weight_memory
from calculators.messages import Message, render
from calculators.plan.deployment import Deployment
from calculators.plan.gpus import COMPUTE_CAPABILITY

VOCAB_PADDING = 64  # vLLM's DEFAULT_VOCAB_PADDING_SIZE (vocab_parallel_embedding.py)


@dataclass(frozen=True)
class MemoryTerm:
    """Bytes of one kind of memory on one GPU; ``in_budget``: counted against the engine's budget;
    ``model``: how the figure was computed, in words (rendered in ``to_dict``'s language)."""

    bytes: int
    in_budget: bool
    model: Message

    def to_dict(self, lang: str = "en") -> dict:
        return {"bytes": self.bytes, "in_budget": self.in_budget, "model": render(self.model, lang)}


@dataclass(frozen=True)
class WeightsOnGPU:
    """The weight bytes one GPU holds: ``total`` (what vLLM logs as the model's weights on that GPU), what one
    decoding step reads (``step_read``: the active weights, with only ``batch`` rows of an untied input
    embedding), and the routed experts' share (``experts``) for the MoE decode bound."""

    memory: WeightMemory
    total: int
    active: int
    experts: int
    input_embedding: int  # an untied input embedding table on this GPU (a step gathers rows of it)
    rotary: int  # rotary cos/sin tables
    vocab_padding: int  # rows added to reach a multiple of 64 (vLLM)


def weights_on_gpu(d: Deployment, *, vllm_layout: bool, fmt=None) -> WeightsOnGPU:
    """Shard the weights as vLLM does, by each tensor group's ``split`` (the family reader's label): column- and
    row-parallel linears and the vocabulary ``1/tp``; norms, routers, row-parallel biases and MLA's
    down-projections replicated; ``k_proj``/``v_proj`` one whole KV head per rank once ``tp`` exceeds the KV
    heads. With ``vllm_layout`` also count what vLLM adds: the vocabulary padded to a multiple of 64 and the
    rotary cos/sin tables in the model dtype."""
    spec, tp = d.spec, d.tp
    memory = _weight_memory(spec, fmt or d.weights, "vllm" if vllm_layout else "transformers")
    kv_heads = [m.num_kv_heads for m in spec.mixers if m.num_kv_heads]
    min_kv = min(kv_heads) if kv_heads else 0
    total = active = experts = embedding = padding = 0
    mxfp4 = _mxfp4_padding(d) if vllm_layout and memory.format == "mxfp4" else None
    for row in memory.rows:
        nbytes = row.bytes
        if mxfp4 and row.component == "experts":
            per_gpu = _mxfp4_expert_bytes(row, tp, *mxfp4)
            total += per_gpu
            active += per_gpu * row.active_count // row.count if row.count else 0
            experts += per_gpu
            continue
        if vllm_layout and row.split == "vocab" and row.shape:
            padded = _padded_vocab(row.shape[0])
            extra = nbytes * (padded - row.shape[0]) // row.shape[0]
            padding += -(-extra // tp)
            nbytes += extra
        per_gpu = _per_gpu(row, nbytes, tp, min_kv)
        total += per_gpu
        active += per_gpu * row.active_count // row.count if row.count else 0
        if row.component == "experts":
            experts += per_gpu
        if row.component == "embeddings" and not spec.tie_word_embeddings:
            embedding += per_gpu
    rotary = 0
    if vllm_layout:
        element = 4 if memory.high_precision_dtype == "fp32" else 2
        rotary = sum(cache.positions * cache.rotary_dim * element for cache in spec.rotary_caches)
        total += rotary
        active += rotary
    return WeightsOnGPU(memory=memory, total=total, active=active, experts=experts, input_embedding=embedding,
                        rotary=rotary, vocab_padding=padding)


_CACHE: dict[tuple, tuple] = {}


def _weight_memory(spec, fmt, loader: str) -> WeightMemory:
    """:func:`weight_memory`, remembered for the last few specs (recommend and the chart plan one model often)."""
    key = (id(spec), fmt.name, loader)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is spec:
        return hit[1]
    result = weight_memory(spec, fmt, loader=loader)
    if len(_CACHE) > 256:
        _CACHE.clear()
    _CACHE[key] = (spec, result)
    return result


def _per_gpu(row: WeightRow, nbytes: int, tp: int, min_kv: int) -> int:
    if tp == 1 or row.split == "replicated":
        return nbytes
    if row.split == "kv_heads" and min_kv and tp > min_kv:
        return -(-nbytes // min_kv)  # each rank holds one whole KV head
    return -(-nbytes // tp)


def _mxfp4_padding(d: Deployment) -> tuple[int, int]:
    """(expert-width multiple per GPU, hidden-size multiple) of vLLM's MXFP4 MoE weights on this GPU
    (``Mxfp4MoEMethod.create_weights`` in ``layers/quantization/mxfp4.py``, 0.10.1): Marlin below compute
    capability 9.0 pads to 128 and 256; Hopper's Triton kernels pad the width to 64; Blackwell's FlashInfer
    kernels pad both to 256. A GPU without a known capability is taken as the Marlin path."""
    capability = COMPUTE_CAPABILITY.get(d.gpu.key, (8, 0))
    if capability >= (10, 0):
        return 256, 256
    if capability >= (9, 0):
        return 64, 1
    return 128, 256


def _mxfp4_expert_bytes(row: WeightRow, tp: int, width_multiple: int, hidden_multiple: int) -> int:
    """One GPU's bytes of an MXFP4 expert tensor group with vLLM's padding: e2m1 values two per byte plus one
    e8m0 scale per 32 inputs; biases in bf16."""
    matrices = row.count
    if row.role == "bias":
        (width,) = row.shape
        if row.split == "replicated":  # down_proj's hidden-size bias (row-parallel), on every GPU
            return matrices * _round_up(width, hidden_multiple) * 2
        return matrices * 2 * _round_up(width // 2 // tp, width_multiple) * 2
    out_f, in_f = row.shape[-2], row.shape[-1]
    if row.split == "column":  # gate_up_proj: (2 x expert width, hidden)
        rows, cols = 2 * _round_up(out_f // 2 // tp, width_multiple), _round_up(in_f, hidden_multiple)
    else:  # down_proj: (hidden, expert width)
        rows, cols = _round_up(out_f, hidden_multiple), _round_up(in_f // tp, width_multiple)
    return matrices * rows * (-(-cols // 2) + -(-cols // 32))


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _padded_vocab(vocab: int) -> int:
    return -(-vocab // VOCAB_PADDING) * VOCAB_PADDING
