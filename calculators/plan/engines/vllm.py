"""vLLM's memory accounting at start-up, per release (the rules and their sources: :mod:`.vllm_releases`).

At start-up vLLM loads the weights, runs one profiling forward pass and sampler run, and gives the KV cache what
is left of ``gpu_memory_utilization x total`` (``total`` = ``torch.cuda.mem_get_info()[1]``)::

    available_kv_cache = total x utilization - weights - activation peak - non-torch increase
                         [- CUDA graphs, where the release estimates them in the profile]
                         [- CUDA context and NCCL set-up, where the release counts them, V1 0.8]

then cuts it into pages of ``block_size`` tokens and prints the figures this engine reproduces: "model weights
take" / "Model loading took" (:attr:`weights`), "Available KV cache memory" / "the rest of the memory reserved
for KV Cache", "# GPU blocks", "GPU KV cache size: N tokens" and "Maximum concurrency for L tokens per request".
``max_model_len`` is the plan's ``seq_len``.

Modelled, not read from vLLM: the activation peak (:class:`~calculators.memory.activations.LayerWidths`: the
residual stream of the profiled tokens plus the widest layer transient, against the sampler's logits), the CUDA
graph buffers and the non-torch memory; the data set in ``tests/data/vllm-startup-logs.json`` measures how far
these are from real logs (``benchmarks/bench_vllm_calibration.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from calculators.memory.activations import LayerWidths
from calculators.memory.runtime import ACT_BYTES, CUDA_CONTEXT_BYTES, GIB, MIB
from calculators.messages import Message
from calculators.plan.deployment import Deployment
from calculators.plan.engines.memory import VOCAB_PADDING, MemoryTerm, weights_on_gpu

# Non-torch memory the profile adds (cuBLAS / attention-backend workspaces, lazily set-up NCCL): the logs of the
# calibration set print 0.02-0.30 GiB; 256 MiB is near their upper end.
NON_TORCH_BYTES = 256 * MIB
# Releases that count every non-torch byte on the device (0.6.4, V1 0.8.0-0.9.0) include the CUDA context in it:
# 0.35 GiB in the one such log that prints it (vllm-project/vllm#10517, RTX 3090) and about 0.67 GiB implied by
# another (vllm-project/vllm#17469, 4 x A10, TP 4): modelled as 512 MiB, near their mean. Fitted to two logs.
DEVICE_WIDE_NON_TORCH_BYTES = 512 * MIB
# The sampler's memory per logit. FlashInfer's sampler: the logits in the model dtype, their fp32 copy and fp32
# probabilities. A sorting sampler also holds the sorted fp32 values and their int64 indices, softmax and cumulative
# sums of the sorted values, two masks and the re-scattered logits: 32-34 bytes counted in the code; the five
# calibration logs whose activation peak is the sampler's print 35-40 bytes, and their median, 38, is used.
FLASHINFER_SAMPLER_BYTES_PER_LOGIT = ACT_BYTES + 4 + 4
SORTING_SAMPLER_BYTES_PER_LOGIT = 38


@dataclass(frozen=True)
class Scheduler:
    """The scheduler limits vLLM profiles with: tokens per step, sequences per step, chunked prefill."""

    max_num_batched_tokens: int
    max_num_seqs: int
    chunked_prefill: bool


@dataclass(frozen=True)
class KVReport:
    """What vLLM prints after profiling, for one GPU: blocks, tokens, concurrency, or its refusal."""

    available_kv_cache_bytes: int
    num_gpu_blocks: int
    kv_cache_tokens: int
    max_concurrency: float
    request_kv_bytes: int  # KV bytes one request of max_model_len needs
    refusal: str | None


class VLLMEngine:
    """vLLM serving ``deployment``: terms per GPU, the KV budget and what vLLM prints."""

    name = "vllm"

    def __init__(self, d: Deployment):
        self.d = d
        self.release = d.vllm
        self.utilization = d.gpu_memory_utilization or self.release.default_gpu_memory_utilization
        self.budget = int(d.gpu.usable_bytes * self.utilization)
        self.block_size = d.block_size or self.release.block_size
        self.weights = weights_on_gpu(d, vllm_layout=True, fmt=self.release.loaded_format(d.weights))
        self.widths = LayerWidths.of(d.spec)
        self.groups = _attention_groups(d.spec)

    # ---- settings ---------------------------------------------------------------------------------------
    def scheduler(self, max_model_len: int) -> Scheduler:
        """The profiled token and sequence counts: the user's, or the release's defaults for this GPU."""
        d = self.d
        chunked = self.release.chunked_prefill(max_model_len, d.entrypoint)
        tokens, seqs = self.release.batch_defaults(d.gpu, d.entrypoint, max_model_len, chunked)
        return Scheduler(d.max_num_batched_tokens or tokens, d.max_num_seqs or seqs, chunked)

    # ---- terms ------------------------------------------------------------------------------------------
    def terms(self, seq_len: int, batch: int) -> dict[str, MemoryTerm]:
        d, release, tp = self.d, self.release, self.d.tp
        sched = self.scheduler(seq_len)
        terms: dict[str, MemoryTerm] = {}
        w = self.weights
        extras = []
        if w.vocab_padding:
            extras.append(Message("term.vocab_padding", multiple=VOCAB_PADDING))
        if w.rotary:
            extras.append(Message("term.rotary_tables"))
        if len(extras) == 2:
            extras = [Message("and", first=extras[0], second=extras[1])]
        sharding = dict(format=w.memory.format, tp=tp)
        terms["weights"] = MemoryTerm(w.total, True, Message("term.weights_with", **sharding, extras=extras[0])
                                      if extras else Message("term.weights", **sharding))
        kv_bytes, state_bytes = self.kv_bytes(seq_len, batch, sched)
        paged = Message("term.kv_cache_paged", dtype=d.kv_dtype.name, batch=batch, seq_len=seq_len,
                        block_size=self.block_size)
        terms["kv_cache"] = MemoryTerm(kv_bytes, True, paged)
        if state_bytes:
            terms["recurrent_state"] = MemoryTerm(state_bytes, True, Message("term.recurrent_state"))
        forward, sampler = self.activation(sched)
        rows = min(sched.max_num_seqs, sched.max_num_batched_tokens)
        terms["activation_peak"] = MemoryTerm(
            max(forward, sampler), True, Message("term.profile_run", tokens=sched.max_num_batched_tokens,
                                                 forward_gib=forward / GIB, rows=rows, sampler_gib=sampler / GIB))
        if release.context_in_budget:
            terms["non_torch"] = MemoryTerm(DEVICE_WIDE_NON_TORCH_BYTES, True, Message("term.non_torch_device_wide"))
        else:
            terms["non_torch"] = MemoryTerm(NON_TORCH_BYTES, True, Message("term.non_torch"))
        if d.cuda_graphs:
            code = "term.cuda_graphs" if release.cuda_graphs_in_budget else "term.cuda_graphs_outside"
            terms["cuda_graphs"] = MemoryTerm(self.cuda_graph_bytes(sched), release.cuda_graphs_in_budget,
                                              Message(code, size=self.capture_size(sched)))
        if not release.context_in_budget:
            terms["cuda_context"] = MemoryTerm(CUDA_CONTEXT_BYTES, False, Message("term.cuda_context_outside"))
        return terms

    def activation(self, sched: Scheduler) -> tuple[int, int]:
        """(forward peak, sampler peak) of the profile run, bytes on one GPU."""
        w, t_tokens = self.widths, sched.max_num_batched_tokens
        rows = min(sched.max_num_seqs, t_tokens)
        forward = ACT_BYTES * 2 * t_tokens * w.hidden + w.layer_transient(t_tokens, self.d.tp, "vllm")
        per_logit = (SORTING_SAMPLER_BYTES_PER_LOGIT if self.release.sorting_sampler
                     else FLASHINFER_SAMPLER_BYTES_PER_LOGIT)
        sampler = ACT_BYTES * t_tokens * w.hidden + rows * w.vocab * per_logit
        return forward, sampler

    def capture_size(self, sched: Scheduler) -> int:
        return self.release.capture_size(sched.max_num_seqs, sched.max_num_batched_tokens)

    def cuda_graph_bytes(self, sched: Scheduler) -> int:
        """Static buffers of the captured graphs: between the piecewise splits, per layer, for the largest
        capture size (V1's piecewise graphs; V0's whole-model graphs keep the same activations)."""
        w = self.widths
        n = self.capture_size(sched)
        return ACT_BYTES * w.layers * n * ((w.attn_qkv + w.attn_out) // self.d.tp + w.hidden)

    # ---- the KV cache -----------------------------------------------------------------------------------
    def page_bytes_per_token(self) -> int:
        """Cache bytes one token takes across every attention layer on one GPU."""
        d = self.d
        return sum(m.rank_bytes_per_token(d.kv_dtype, d.tp) * n for m, n in self.groups.layers)

    def request_kv_bytes(self, max_model_len: int, sched: Scheduler) -> int:
        """KV bytes one request of ``max_model_len`` tokens needs on one GPU, as this release sizes it."""
        d, bs = self.d, self.block_size
        total = 0
        for mixer, layers in self.groups.layers:
            if self.release.engine == "V1":
                tokens = mixer.vllm_request_tokens(max_model_len, sched.max_num_batched_tokens, bs)
            else:
                tokens = -(-max_model_len // bs) * bs
            total += layers * tokens * mixer.rank_bytes_per_token(d.kv_dtype, d.tp)
        return total

    def kv_bytes(self, seq_len: int, batch: int, sched: Scheduler | None = None) -> tuple[int, int]:
        """(attention KV, recurrent state) for ``batch`` requests of ``seq_len`` tokens, one GPU."""
        sched = sched or self.scheduler(seq_len)
        state = batch * self.groups.state_bytes_per_sequence(self.d) // self.d.tp
        return batch * self.request_kv_bytes(seq_len, sched), state

    def available_kv_cache_bytes(self, seq_len: int) -> int:
        """The budget less every in-budget term that is not the KV cache (what vLLM logs)."""
        terms = self.terms(seq_len, 1)
        used = sum(t.bytes for name, t in terms.items() if t.in_budget and name not in ("kv_cache", "recurrent_state"))
        return self.budget - used

    def kv_report(self, seq_len: int) -> KVReport:
        """Blocks, tokens and concurrency vLLM prints for ``max_model_len = seq_len``, or its refusal."""
        sched = self.scheduler(seq_len)
        available = self.available_kv_cache_bytes(seq_len)
        bs, groups = self.block_size, self.groups
        per_token = self.page_bytes_per_token()
        request = self.request_kv_bytes(seq_len, sched)
        if not per_token:
            return KVReport(available, 0, 0, 0.0, 0, None)
        if self.release.engine == "V1":
            # one block = block_size tokens of group_size layers (padding layers included); each group of layers
            # takes its own blocks, so a request needs its token count in blocks once per group
            d = self.d
            layer_bytes = max(m.rank_bytes_per_token(d.kv_dtype, d.tp) for m, _ in groups.layers)
            block_bytes = bs * groups.size * layer_bytes
            blocks = max(available, 0) // block_bytes
            tokens = blocks // groups.count * bs
            request_blocks = sum(
                -(-layers // groups.size) * -(-mixer.vllm_request_tokens(seq_len, sched.max_num_batched_tokens, bs)
                                              // bs) for mixer, layers in groups.by_type)
            concurrency = blocks / request_blocks if request_blocks else 0.0
            if self.release.tokens_from_concurrency:
                tokens = int(concurrency * seq_len)
        else:
            block_bytes = bs * per_token
            blocks = max(available, 0) // block_bytes
            tokens = blocks * bs
            concurrency = tokens / seq_len
        return KVReport(available, blocks, tokens, round(concurrency, 2), request,
                        self._refusal(seq_len, available, request, tokens, sched))

    def _refusal(self, seq_len: int, available: int, request: int, tokens: int, sched: Scheduler) -> str | None:
        """vLLM's start-up error when not even one request of ``max_model_len`` tokens fits, else None."""
        if available <= 0 or tokens == 0:
            return ("No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when "
                    "initializing the engine.")
        if self.release.engine == "V0":
            if tokens < seq_len:
                return (f"The model's max seq len ({seq_len}) is larger than the maximum number of tokens that can "
                        f"be stored in KV cache ({tokens}). Try increasing `gpu_memory_utilization` or decreasing "
                        "`max_model_len` when initializing the engine.")
            return None
        if request > available:
            lo, hi = 0, seq_len  # the longest max_model_len whose one request fits, as vLLM estimates it
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if self.request_kv_bytes(mid, sched) <= available else (lo, mid)
            return (f"To serve at least one request with the models's max seq len ({seq_len}), "
                    f"({request / GIB:.2f} GiB KV cache is needed, which is larger than the available KV cache "
                    f"memory ({available / GIB:.2f} GiB). Based on the available memory, the estimated maximum "
                    f"model length is {lo}. Try increasing `gpu_memory_utilization` or decreasing `max_model_len` "
                    "when initializing the engine.")
        return None

    # ---- fast paths for the inverse questions ---------------------------------------------------------------
    def in_budget_total(self, seq_len: int, batch: int) -> int:
        return sum(t.bytes for t in self.terms(seq_len, batch).values() if t.in_budget)

    def notes(self) -> list[Message]:
        d = self.d
        notes = [Message("note.vllm_release", label=self.release.label, rules=self.release.summary)]
        if d.gpu.fp8_dense_tflops is None and d.weights.kind.startswith("fp8") and d.gpu.category != "custom":
            notes.append(Message("note.no_fp8_tensor_cores", gpu=d.gpu.name))
        if self.groups.recurrent:
            notes.append(Message("note.hybrid_pages"))
        return notes


@dataclass(frozen=True)
class _Groups:
    """The attention layers of a model as vLLM V1's KV-cache manager groups them
    (``_get_kv_cache_groups_uniform_page_size`` in ``vllm/v1/core/kv_cache_utils.py``): the layers of each attention
    type are cut into groups of ``size`` layers (the smallest type's count, or the largest when it is within 1.25
    of it), the last group of a type padded; each group has its own block table."""

    layers: tuple  # (mixer, layer count) per distinct attention mixer
    by_type: tuple  # (a mixer of the type, layer count) per attention type
    size: int  # layers per group
    count: int  # groups
    recurrent: tuple  # (mixer, layer count) of recurrent mixers

    def state_bytes_per_sequence(self, d: Deployment) -> int:
        conv = 2  # vLLM keeps the convolution state in the model dtype
        return sum(n * (m.conv_state_elements * conv + m.ssm_state_elements * 4) for m, n in self.recurrent)


def _attention_groups(spec) -> _Groups:
    attention = [(m, n) for m, n in spec.mixer_counts if m.caches_tokens]
    recurrent = tuple((m, n) for m, n in spec.mixer_counts if not m.caches_tokens)
    types: dict[object, list] = {}
    for mixer, layers in attention:
        key = (type(mixer), mixer.window)
        entry = types.setdefault(key, [mixer, 0])
        entry[1] += layers
    counts = [n for _, n in types.values()]
    if not counts:
        return _Groups((), (), 1, 1, recurrent)
    size = min(counts)
    if max(counts) < size * 1.25:
        size = max(counts)
    by_type = tuple((mixer, n) for mixer, n in types.values())
    return _Groups(tuple(attention), by_type, size, sum(-(-n // size) for n in counts), recurrent)

