"""Plain ``model.generate`` in transformers 5: the whole device is the budget.

* ``generate`` passes ``logits_to_keep=1`` (``generation/utils.py``): the prefill computes logits for the last
  position only, ``B x V`` in 16-bit, then copies them to fp32
  (``outputs.logits[:, -1].to(copy=True, dtype=torch.float32)``) and, when sampling, fp32 probabilities:
  ``B x V x (2 + 4 + 4)``.
* Prefill activations for the whole prompt (``seq_len`` is taken as the prompt length, an upper bound): the
  residual, the hidden state and the embedding output (``LlamaModel.forward`` keeps ``inputs_embeds``
  referenced), ``3 x B x s x h``, plus the rotary ``cos``/``sin`` (``2 x B x s x d``); and the largest layer
  transient: attention ``q,k,v`` plus their rotary copies and the output, or the MLP ``act(gate) * up`` with
  three ``I``-wide tensors alive (``LlamaMLP.forward``). SDPA without a padding mask runs causal kernels that
  never hold ``s x s`` (``masking_utils.sdpa_mask`` skips the mask); a padded batch would add a ``B x s x s``
  boolean mask.
* The logits and ``DynamicCache`` growth come after the prefill's transients are freed, so the peak is the
  larger of the two phases: ``torch.cat`` in ``DynamicCache.update`` holds one layer's K and V twice for an
  instant (``kv_cache / attention layers``), next to one step's logits.
* Checked on CPU with ``torch.profiler(profile_memory=True)`` around ``generate`` of a small Llama (batch 1-8,
  128-4096 tokens): the modelled KV + activation peak is within 10% of the allocator's peak
  (``tests/calculators/test_plan.py``).
* With ``count > 1`` the model is assumed split by ``tp_plan="auto"`` (torchrun), with one NCCL communicator:
  1 GiB (NVIDIA/nccl#1685).

The KV cache is ``DynamicCache``'s: every token of full-attention layers, ``window - 1`` tokens of sliding
ones (:func:`calculators.memory.kv.kv_cache`), no pages.
"""

from __future__ import annotations

from calculators.memory.activations import LayerWidths
from calculators.memory.kv import kv_cache
from calculators.memory.runtime import ACT_BYTES, CUDA_CONTEXT_BYTES, GEMM_WORKSPACE_BYTES, GIB
from calculators.messages import Message
from calculators.plan.deployment import Deployment
from calculators.plan.engines.memory import MemoryTerm, weights_on_gpu

TORCH_NCCL_BYTES = 1 * GIB


class TransformersEngine:
    """``model.generate`` of ``deployment``: terms per GPU against the whole device."""

    name = "transformers"

    def __init__(self, d: Deployment):
        self.d = d
        self.budget = d.gpu.usable_bytes
        self.block_size = d.block_size
        self.weights = weights_on_gpu(d, vllm_layout=False)
        self.widths = LayerWidths.of(d.spec)

    def kv_bytes(self, seq_len: int, batch: int) -> tuple[int, int]:
        d = self.d
        result = kv_cache(d.spec, seq_len=seq_len, batch=batch, kv_dtype=d.kv_dtype.name, block_size=d.block_size,
                          tp=d.tp)
        return int(result.per_gpu_kv_cache_bytes), int(result.per_gpu_recurrent_state_bytes)

    def terms(self, seq_len: int, batch: int) -> dict[str, MemoryTerm]:
        d, tp = self.d, self.d.tp
        kv_bytes, state_bytes = self.kv_bytes(seq_len, batch)
        terms = {"weights": MemoryTerm(self.weights.total, True,
                                       Message("term.weights", format=self.weights.memory.format, tp=tp))}
        kv = dict(dtype=d.kv_dtype.name, batch=batch, seq_len=seq_len)
        terms["kv_cache"] = MemoryTerm(kv_bytes, True, Message("term.kv_cache_paged", **kv, block_size=d.block_size)
                                       if d.block_size else Message("term.kv_cache", **kv))
        if state_bytes:
            terms["recurrent_state"] = MemoryTerm(state_bytes, True, Message("term.recurrent_state"))
        prefill, logits, cache_growth = self.phases(seq_len, batch, kv_bytes)
        terms["activation_peak"] = MemoryTerm(
            max(prefill, logits + cache_growth), True,
            Message("term.generate_peak", batch=batch, seq_len=seq_len, prefill_gib=prefill / GIB,
                    logits_gib=logits / GIB, copy_gib=cache_growth / GIB))
        terms["gemm_workspace"] = MemoryTerm(GEMM_WORKSPACE_BYTES, True, Message("term.gemm_workspaces"))
        if tp > 1:
            terms["nccl"] = MemoryTerm(TORCH_NCCL_BYTES, True, Message("term.nccl"))
        terms["cuda_context"] = MemoryTerm(CUDA_CONTEXT_BYTES, True, Message("term.cuda_context"))
        return terms

    def phases(self, seq_len: int, batch: int, kv_bytes: int) -> tuple[int, int, int]:
        """(prefill peak, logits of one step, one layer's cache copy) of ``generate``, bytes on one GPU."""
        w = self.widths
        tokens = seq_len * batch
        # residual + hidden state + the embedding output LlamaModel.forward keeps + rotary cos and sin
        persistent = ACT_BYTES * tokens * (3 * w.hidden + 2 * w.head_dim)
        prefill = persistent + w.layer_transient(tokens, self.d.tp, "transformers")
        logits = batch * w.vocab * (ACT_BYTES + 4 + 4)
        cache_growth = -(-kv_bytes // max(w.attention_layers, 1)) if kv_bytes else 0
        return prefill, logits, cache_growth

    def in_budget_total(self, seq_len: int, batch: int) -> int:
        return sum(t.bytes for t in self.terms(seq_len, batch).values() if t.in_budget)

    def notes(self) -> list[Message]:
        return [Message("note.apple_gpu")] if self.d.gpu.category == "apple" else []
