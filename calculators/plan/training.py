"""Training memory per GPU: full fine-tuning, LoRA and QLoRA, with and without gradient checkpointing.

Every term is shown (``TrainingMemory.terms``), each with the formula that produced it.

Model states (P = parameters, from the spec)
--------------------------------------------
* **Full fine-tuning, AdamW, bf16 mixed precision: 16 bytes per parameter**, the accounting of the ZeRO paper
  (Rajbhandari et al. 2020, sec. 3.1: "2Psi + 2Psi + 12Psi"): bf16 weights (2) + bf16 gradients (2) + fp32
  master weights (4) + fp32 Adam first and second moments (4 + 4). EleutherAI's "Transformer Math 101"
  counts the gradients in fp32 (4 bytes), giving 18 bytes per parameter; ``grad_dtype="fp32"`` selects that
  (e.g. gradient accumulation in fp32 buffers). PyTorch AMP with fp32 weights (HF Trainer ``bf16=True``)
  also lands on 16: fp32 weights (4) + fp32 gradients (4) + two moments (8), with bf16 copies made on the fly.
* **LoRA** (Hu et al. 2021): the base stays frozen in bf16 (2 bytes per parameter, no gradients, no optimizer
  state). Each targeted linear ``W (out, in)`` gets ``A (r, in)`` and ``B (out, r)``: ``r * (in + out)``
  trainable parameters, exact from the spec's shapes. PEFT casts adapters to fp32 by default
  (``autocast_adapter_dtype=True``), so each adapter parameter costs 4 (weight) + 4 (gradient) + 8 (AdamW
  moments) = 16 bytes; with ``adapter_dtype="bf16"`` it is 2 + 2 + 8 = 12. The default target set is PEFT's
  ``"all-linear"``: every ``nn.Linear`` but the output layer. In transformers 5 routed experts are fused 3-D
  parameters and routers plain parameters, so "all-linear" does not reach them.
* **QLoRA** (Dettmers et al. 2023): the base in NF4 with double quantization
  (:func:`calculators.memory.weights.weight_memory` with ``nf4-dq``: 0.5 + 0.127 bits of scales per weight, with the
  modules bitsandbytes skips kept in bf16), bf16 adapters (the QLoRA code casts LoRA layers to bf16) with
  the paged 32-bit AdamW: 2 + 2 + 8 = 12 bytes per adapter parameter. Paged optimizer states live in CUDA
  unified memory and can be evicted to CPU RAM under pressure; they are counted on the GPU here (upper
  bound). A dequantization buffer holds the largest quantized weight in bf16 while it is used.

Activations (per GPU, micro-batch ``b`` sequences of ``s`` tokens, 16-bit activations)
-------------------------------------------------------------------------------------
Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer Models", eq. 1) count
``sbh(34 + 5as/h)`` bytes per layer for a GPT block: MHA, a 4h GeLU MLP, dropout, no recomputation; and
``2sbh`` per layer when only each layer's input is kept (full recomputation). We count the same thing --
the tensors saved for the backward pass -- for the actual layer shapes:

* every linear saves its input (layers sharing an input, like q/k/v or gate/up, share one tensor);
* grouped-query attention saves q, k, v after the rotary embedding (``Hq*d + Hkv*d + Hkv*dv`` per token) and
  the output (already counted as ``o_proj``'s input); flash/SDPA keeps an fp32 log-sum-exp per head and
  no ``s x s`` matrix. With ``attention="eager"`` transformers saves the softmax in fp32 (it upcasts), its
  16-bit copy and a dropout mask even at ``p=0`` (bool): ``7 * b * Hq * s * s`` bytes per layer where
  Korthikanti count ``5as^2b`` (16-bit scores and softmax, byte mask);
* a gated MLP (SwiGLU/GeGLU) saves its gate and up outputs and the activation output (3 tensors of width
  ``I``) besides the inputs of gate/up (``h``) and down (``I``, the product); a plain MLP saves the
  activation's input (``I``);
* routed experts: each token's hidden state is dispatched to ``k`` experts, so expert inputs and
  intermediates count ``k`` times; the router saves fp32 logits (``E`` per token);
* norms: transformers' RMSNorm upcasts its input to fp32 and keeps it (``4h`` bytes), keeps the normalized
  16-bit tensor for the weight multiply (``2h``) and an fp32 inverse RMS (4 bytes); ``nn.LayerNorm`` keeps its
  16-bit input (``2h``) and fp32 mean and inverse standard deviation (8 bytes);
* no dropout masks (fine-tuning LLMs runs with dropout 0): for a GPT block with LayerNorms this gives
  ``32 sbh`` (+ the small fp32 statistics) instead of Korthikanti's ``34 sbh``, the 2 sbh being dropout masks;
* the LM head and loss: its input ``2sbh``, bf16 logits ``2sbV``, transformers' ``ForCausalLMLoss`` upcasts
  them to fp32 (``4sbV``) and cross-entropy keeps the fp32 log-softmax (``4sbV``): ``2sbh + 10 sbV``.

Checked against PyTorch: the bytes of the tensors autograd saves during a transformers 5 Llama forward pass
(``torch.autograd.graph.saved_tensors_hooks``, bf16, SDPA) agree with this model within 2%
(``tests/calculators/test_training.py``).

With gradient checkpointing (transformers checkpoints every decoder layer), only each layer's input
``2sbh`` stays, plus, during the backward pass, one layer's recomputed activations (the mean layer; MoE and
dense layers are averaged) -- Korthikanti's "full recomputation". Simplifications, stated: the frozen
linears of LoRA need not save inputs that no adapter reads, so LoRA's figure is an upper bound; recurrent
(Mamba/Gated DeltaNet) mixers count only their projections' inputs; vision towers are not modelled.

Peak. Gradients are allocated during the backward pass while activations are freed (``zero_grad`` sets
them to ``None``), so the peak is ``weights + master + optimizer + max(activations, gradients + one layer)``;
with gradient accumulation (``grad_accumulation_steps > 1``) gradients persist through the next forward
pass and the two add. CUDA context and GEMM workspaces are the same runtime terms as
:mod:`calculators.plan.inference`. Data-parallel sharding (ZeRO/FSDP) is not modelled: this is one GPU's model.
"""

from __future__ import annotations

from dataclasses import dataclass

from calculators.errors import LIMITS, CalculatorError, boolean, choice, positive_int
from calculators.memory.formats import parse_format
from calculators.memory.runtime import CUDA_CONTEXT_BYTES, GEMM_WORKSPACE_BYTES
from calculators.memory.weights import is_quantized_by, weight_memory
from calculators.messages import Message, render
from calculators.model.spec import ModelSpec

METHODS = ("full", "lora", "qlora")
OPTIMIZERS = ("adamw", "adamw-8bit", "paged-adamw", "paged-adamw-8bit", "sgd")
ATTENTION_IMPLEMENTATIONS = ("sdpa", "flash", "eager")
TRAINING_DTYPES = ("bf16", "fp32")  # of full fine-tuning's gradients and of LoRA adapters
ACT_BYTES = 2  # bf16 activations


@dataclass(frozen=True)
class TrainingMemory:
    """Training memory of one GPU, term by term (bytes)."""

    method: str
    seq_len: int
    batch: int
    gradient_checkpointing: bool
    total_params: int
    trainable_params: int
    terms: dict  # name -> {"bytes": int, "formula": Message}
    peak_bytes: int
    bytes_per_trainable_param: float
    gpu: str | None = None
    gpu_usable_bytes: int | None = None
    fits: bool | None = None
    headroom_bytes: int | None = None
    notes: tuple[Message | str, ...] = ()

    def to_dict(self, lang: str = "en") -> dict:
        """A JSON-ready dict; each term's formula and the notes in ``lang``."""
        return {
            "method": self.method,
            "seq_len": self.seq_len,
            "batch": self.batch,
            "gradient_checkpointing": self.gradient_checkpointing,
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "terms": {name: {"bytes": term["bytes"], "formula": render(term["formula"], lang)}
                      for name, term in self.terms.items()},
            "peak_bytes": self.peak_bytes,
            "total_bytes": self.peak_bytes,
            "bytes_per_trainable_param": round(self.bytes_per_trainable_param, 4),
            "gpu": self.gpu,
            "gpu_usable_bytes": self.gpu_usable_bytes,
            "fits": self.fits,
            "headroom_bytes": self.headroom_bytes,
            "notes": [render(note, lang) for note in self.notes],
        }


def training_memory(
    spec,
    *,
    method: str = "full",
    seq_len: int = 2048,
    batch: int = 1,
    gradient_checkpointing: bool = False,
    lora_rank: int = 16,
    lora_targets: object = "all-linear",
    optimizer: str | None = None,
    grad_dtype: str = "bf16",
    adapter_dtype: str | None = None,
    attention: str = "sdpa",
    grad_accumulation_steps: int = 1,
    gpu: object = None,
) -> TrainingMemory:
    """Peak training memory of one GPU for ``method`` (``full``, ``lora`` or ``qlora``); see the module doc."""
    choice("method", method, METHODS)
    positive_int("seq_len", seq_len, LIMITS["seq_len"])
    positive_int("batch", batch, LIMITS["batch"])
    boolean("gradient_checkpointing", gradient_checkpointing)
    choice("attention", attention, ATTENTION_IMPLEMENTATIONS)
    choice("grad_dtype", grad_dtype, TRAINING_DTYPES)
    positive_int("grad_accumulation_steps", grad_accumulation_steps, 1 << 20)
    if optimizer is None:
        optimizer = "paged-adamw" if method == "qlora" else "adamw"
    choice("optimizer", optimizer, OPTIMIZERS)

    if not isinstance(spec, ModelSpec):
        raise CalculatorError("spec", "value.model_spec", type=type(spec).__name__)
    terms: dict[str, dict] = {}
    notes: list[Message | str] = []
    total_params = spec.total_params

    if method == "full":
        trainable = total_params
        grad_bytes = 4 if grad_dtype == "fp32" else 2
        terms["weights"] = _term(2 * total_params, Message("formula.weights"))
        terms["master_weights"] = _term(4 * total_params, Message("formula.master_weights"))
        terms["gradients"] = _term(grad_bytes * total_params,
                                   Message("formula.gradients", dtype=grad_dtype, bytes=grad_bytes))
        terms["optimizer_states"] = _term(
            _optimizer_bytes(optimizer, total_params), _optimizer_formula(optimizer)
        )
        adapters_per_token = 0
    else:
        positive_int("lora_rank", lora_rank, LIMITS["dimension"])
        targets = _lora_targets(spec, lora_targets)
        trainable = sum(lora_rank * (g.shape[-2] + g.shape[-1]) * g.count for g in targets)
        adapters_per_token = sum(lora_rank * g.active_count for g in targets)
        if adapter_dtype is None:
            adapter_dtype = "bf16" if method == "qlora" else "fp32"
        choice("adapter_dtype", adapter_dtype, TRAINING_DTYPES)
        a_bytes = 4 if adapter_dtype == "fp32" else 2
        if method == "lora":
            base = weight_memory(spec, "bf16")
            terms["base_weights"] = _term(base.total_bytes, Message("formula.frozen_base"))
        else:
            base = weight_memory(spec, "nf4-dq")
            terms["base_weights"] = _term(base.total_bytes, Message("formula.frozen_nf4"))
            largest = max((g.numel for g in spec.tensors if is_quantized_by(g, parse_format("nf4-dq"))[0]),
                          default=0)
            terms["dequant_buffer"] = _term(2 * largest, Message("formula.dequant_buffer"))
            kept = sum(item["bytes"] for item in base.kept_high_precision)
            notes.append(Message("note.bitsandbytes_kept", bytes=kept))
        terms["adapter_weights"] = _term(a_bytes * trainable,
                                         Message("formula.lora", dtype=adapter_dtype, bytes=a_bytes))
        terms["gradients"] = _term(a_bytes * trainable, Message("formula.adapter_gradients", dtype=adapter_dtype))
        terms["optimizer_states"] = _term(_optimizer_bytes(optimizer, trainable), _optimizer_formula(optimizer))
        if optimizer.startswith("paged"):
            notes.append(Message("note.paged_optimizer"))

    act = _activations(spec, seq_len, batch, gradient_checkpointing, attention, adapters_per_token)
    terms["activations"] = _term(act["stored"], act["formula"])
    terms["logits_and_loss"] = _term(act["logits"], Message("formula.logits_and_loss"))
    if gradient_checkpointing:
        terms["recompute_one_layer"] = _term(act["one_layer"], Message("formula.recompute_one_layer"))
    terms["cuda_context"] = _term(CUDA_CONTEXT_BYTES, Message("formula.cuda_context"))
    terms["gemm_workspace"] = _term(GEMM_WORKSPACE_BYTES, Message("formula.gemm_workspaces"))

    static = sum(
        terms[k]["bytes"]
        for k in ("weights", "master_weights", "base_weights", "adapter_weights", "optimizer_states",
                  "dequant_buffer", "cuda_context", "gemm_workspace")
        if k in terms
    )
    activations_peak = act["stored"] + act["logits"] + (act["one_layer"] if gradient_checkpointing else 0)
    grads = terms["gradients"]["bytes"]
    if grad_accumulation_steps > 1:
        peak = static + grads + activations_peak
        notes.append(Message("note.grad_accumulation"))
    else:
        peak = static + max(activations_peak, grads + act["one_layer"] + act["logits"])
    per_param = (peak - act["stored"] - act["logits"]) / trainable if trainable else 0.0

    gpu_name = usable = fits = headroom = None
    if gpu is not None:
        from calculators.plan.gpus import get_gpu

        device = get_gpu(gpu)
        gpu_name, usable = device.key, device.usable_bytes
        fits, headroom = peak <= usable, usable - peak
    if getattr(spec, "approximate", False):
        notes.extend(spec.notes)
    return TrainingMemory(
        method=method, seq_len=seq_len, batch=batch, gradient_checkpointing=gradient_checkpointing,
        total_params=total_params, trainable_params=trainable, terms=terms, peak_bytes=peak,
        bytes_per_trainable_param=per_param, gpu=gpu_name, gpu_usable_bytes=usable, fits=fits,
        headroom_bytes=headroom, notes=tuple(notes),
    )


def lora_parameters(spec, rank: int, targets: object = "all-linear") -> int:
    """Trainable LoRA parameters: ``rank * (in + out)`` summed over every targeted linear weight."""
    positive_int("lora_rank", rank, LIMITS["dimension"])
    return sum(rank * (g.shape[-2] + g.shape[-1]) * g.count for g in _lora_targets(spec, targets))


def _lora_targets(spec, targets: object) -> list:
    linears = [g for g in spec.tensors if g.role == "linear"]
    all_linear = [g for g in linears if g.component in ("attention", "mlp", "shared_experts", "recurrent")]
    if targets == "all-linear":
        return all_linear
    if isinstance(targets, str):
        targets = [t.strip() for t in targets.split(",") if t.strip()]
    if not isinstance(targets, (list, tuple)) or not targets or not all(isinstance(t, str) for t in targets):
        raise CalculatorError("lora_targets", "train.lora_targets", value=repr(targets))
    names = sorted({g.name for g in linears if g.name})
    chosen = []
    for target in targets:
        matched = [g for g in linears if g.name == target or g.name.endswith("." + target)]
        if not matched:
            raise CalculatorError("lora_targets", "train.no_linear", value=repr(target), names=str(names))
        chosen.extend(g for g in matched if g not in chosen)
    return chosen


def _optimizer_bytes(optimizer: str, params: int) -> int:
    if optimizer in ("adamw", "paged-adamw"):
        return 8 * params
    if optimizer in ("adamw-8bit", "paged-adamw-8bit"):
        # bitsandbytes 8-bit blockwise states: 1 byte per moment + one fp32 absmax per 256 values each
        return 2 * params + 2 * 4 * -(-params // 256)
    return 0  # plain SGD without momentum


def _optimizer_formula(optimizer: str) -> Message:
    return Message({
        "adamw": "formula.adamw",
        "paged-adamw": "formula.paged_adamw",
        "adamw-8bit": "formula.adamw_8bit",
        "paged-adamw-8bit": "formula.paged_adamw_8bit",
        "sgd": "formula.sgd",
    }[optimizer])


def _term(nbytes: int, formula: Message) -> dict:
    return {"bytes": int(nbytes), "formula": formula}


def _activations(spec, s: int, b: int, checkpointing: bool, attention: str, adapters_per_token: int) -> dict:
    """Saved-for-backward bytes of all decoder layers, the LM-head/loss term and one layer's share."""
    h = spec.hidden_size
    layers = max(spec.num_hidden_layers, 1)
    per_token = 0  # bytes saved per token over all layers (without s*s attention terms)
    # 1. inputs of linear layers, shared by layers of one component that read the same width
    clusters: dict[tuple[str, int], int] = {}
    for g in spec.tensors:
        if g.role != "linear" or g.component in ("lm_head", "embeddings", "other"):
            continue
        output_projection = g.component == "attention" and g.split == "row"
        key = (g.component, "output" if output_projection else g.shape[-1])
        clusters[key] = max(clusters.get(key, 0), g.active_count)
    widths = {(g.component, "output"): g.shape[-1] for g in spec.tensors
              if g.role == "linear" and g.component == "attention" and g.split == "row"}
    for key, active in clusters.items():
        width = widths.get(key, 0) if key[1] == "output" else key[1]
        per_token += ACT_BYTES * width * active
    # 2. MLP intermediates: gated MLPs keep gate, up and activation outputs; plain MLPs the activation input
    for component in ("mlp", "shared_experts", "experts"):
        groups = [g for g in spec.tensors if g.role == "linear" and g.component == component]
        downs = [g for g in groups if g.shape[-2] == h and g.shape[-1] != h]
        ups = [g for g in groups if g.shape[-1] == h]
        for down in downs:
            inter = down.shape[-1]
            up_width = sum(g.shape[-2] for g in ups if g.active_count == down.active_count)
            gated = up_width >= 2 * inter
            per_token += ACT_BYTES * inter * (3 if gated else 1) * down.active_count
    # 3. router logits in fp32
    for g in spec.tensors:
        if g.component == "router" and g.role == "linear":
            per_token += 4 * g.shape[-2] * g.count
    # 4. attention cores: q, k, v after rotary + fp32 log-sum-exp per head
    eager_per_token = 0
    for mixer in spec.mixers:
        saved, heads = mixer.saved_bytes_per_token(ACT_BYTES)
        per_token += saved
        if attention == "eager":  # fp32 softmax (4) + its 16-bit copy (2) + dropout mask (1): b*H*s*s each
            eager_per_token += 7 * heads * s
    # 5. norms. transformers' RMSNorm upcasts its input to fp32 and saves it (4h), saves the normalized
    #    16-bit tensor for the weight multiply (2h) and the fp32 inverse RMS (4); nn.LayerNorm saves its
    #    16-bit input (2h) and fp32 mean and inverse std (8).
    norms = [g for g in spec.tensors if g.role == "norm" and g.shape == (h,)]
    layer_norm = any(g.name.endswith(".bias") for g in norms)
    norm_count = sum(g.count for g in norms if not g.name.endswith(".bias"))
    per_token += norm_count * ((ACT_BYTES * h + 8) if layer_norm else ((4 + ACT_BYTES) * h + 4))
    # 6. LoRA: the r-wide output of A, saved for B's gradient
    per_token += ACT_BYTES * adapters_per_token

    tokens = s * b
    full = tokens * (per_token + eager_per_token)
    one_layer = -(-full // layers)
    vocab = next((g.shape[-2] for g in spec.tensors if g.component == "lm_head" and g.role == "linear"),
                 spec.vocab_size)
    logits = tokens * (vocab * (2 + 4 + 4) + ACT_BYTES * h)  # + the LM head's input
    if checkpointing:
        stored = tokens * layers * ACT_BYTES * h
        formula = Message("formula.checkpointed_inputs", layers=layers)
    else:
        stored = full
        formula = Message("formula.saved_for_backward", layers=layers, bytes=per_token + eager_per_token)
    return {"stored": stored, "logits": logits, "one_layer": one_layer, "formula": formula}
