"""Weight memory of a model in a storage format, counted tensor by tensor as the quantization tools store it.

``weight_memory(spec, fmt)`` walks the :class:`~calculators.model.spec.TensorGroup` s of a model and sizes each one
in the format ``fmt``. Linear weights (``role == "linear"``, shape ``(out_features, in_features)``) are the
ones quantization tools compress; embeddings, norms, biases, MoE routers and the LM head are kept in 16-bit
the way each tool keeps them, and the result lists what was kept and why.

Formats and exactly what is counted per linear weight of shape ``(out, in)`` (``g`` = group size, quantization
groups run along ``in``; ``n_groups = ceil(in / g)``; "16-bit" = the checkpoint's bf16/fp16, 2 bytes):

``fp32`` / ``bf16`` / ``fp16``
    every tensor at 4 / 2 / 2 bytes per element.
The compressed-tensors layouts below were checked by compressing ``nn.Linear`` layers with compressed-tensors
0.19.0's presets and reading the saved tensors' shapes and dtypes.

``fp8``
    llm-compressor's ``FP8_DYNAMIC`` scheme as compressed-tensors 0.19 saves it: ``weight`` float8_e4m3
    ``(out, in)`` + ``weight_scale`` 16-bit ``(out, 1)`` (one scale per output channel, stored in the
    weight's original dtype). Activations are quantized on the fly; nothing else is stored.
``fp8-block``
    ``FP8_BLOCK``: float8 ``(out, in)`` + 16-bit scales ``(ceil(out/128), ceil(in/128))``. (DeepSeek-V3's
    own checkpoints store the same blocks with fp32 ``weight_scale_inv``; the difference is < 0.01%.)
``int8``
    ``W8A8`` (per-channel, symmetric): int8 ``(out, in)`` + 16-bit ``weight_scale`` ``(out, 1)``.
``gptq-int{2,3,4,8}[-g<g>][-asym]``
    compressed-tensors ``pack-quantized`` (what llm-compressor's GPTQ writes and vLLM loads):
    ``weight_packed`` int32 ``(out, ceil(in * bits / 32))`` (bits packed contiguously; 3-bit packs 32 values
    into 3 words), ``weight_scale`` 16-bit ``(out, n_groups)``, ``weight_shape`` int64 ``(2,)``. Default group
    size 128, symmetric: a symmetric scheme stores **no** zero points in this format. ``-asym`` adds
    ``weight_zero_point`` int32 ``(ceil(out * bits / 32), n_groups)`` (zero points packed along ``out``).
    ``act_order`` ``g_idx`` tensors are not counted (llm-compressor's default ordering needs none).
``awq-int4[-g<g>]``
    AWQ is asymmetric: the same packed weight and 16-bit scales plus packed int32 zero points per group
    (compressed-tensors ``W4A16_ASYM``; AutoAWQ's GEMM layout ``qweight``/``qzeros``/``scales`` holds the same
    number of bytes up to rounding).
``nf4`` / ``nf4-dq``
    bitsandbytes 4-bit NormalFloat, block size 64 (transformers' ``BitsAndBytesConfig`` default): packed
    4-bit data ``ceil(numel / 2)`` bytes, plus one fp32 absmax per 64 weights (0.5 bits/weight) and a 16-entry
    fp32 code book (64 bytes) per tensor. ``nf4-dq`` is double quantization (``bnb_4bit_use_double_quant``,
    the QLoRA paper's setting): the absmax values are themselves 8-bit quantized in blocks of 256 with an
    fp32 scale per block, one fp32 offset and a 256-entry fp32 code per tensor: 8/64 + 32/(64*256) = 0.127
    bits/weight instead of 0.5. Checked against transformers 5.17 + bitsandbytes 0.50.2 (a tiny Mixtral
    loaded with ``BitsAndBytesConfig(load_in_4bit=True)``: ``Params4bit`` uint8 ``(numel/2, 1)``, absmax
    ``numel/64``, code ``(16,)``; with double quant absmax uint8, nested absmax ``blocks/256``, nested code
    ``(256,)``, offset).
``mxfp4``
    OCP MX FP4 as gpt-oss checkpoints store their routed experts (``quant_method: mxfp4``): 4-bit e2m1 values
    packed two per byte, ``(out, in/2)`` uint8 "blocks", plus one uint8 e8m0 scale per 32 inputs,
    ``(out, in/32)``: 4.25 bits per weight. Only the routed experts are MXFP4; the checkpoint's
    ``modules_to_not_convert`` keeps attention, the router, the embeddings and the LM head in bf16.
``bpw:<x>``
    ``x`` bits per weight averaged over every parameter, the figure llama.cpp prints as "BPW" for a GGUF file
    (EXL2 names its files by the same average over the decoder's linear layers). Nothing is kept apart: the
    average already includes whatever the file keeps at higher precision.

What stays in 16-bit (listed in ``kept_high_precision`` with the reason):

* embeddings: quantizers replace ``nn.Linear`` modules only, and an embedding is not one;
* the LM head: llm-compressor's recipes use ``ignore=["lm_head"]``; bitsandbytes skips the output embedding
  (transformers' ``get_keys_to_not_convert``);
* norms and biases: 1-D tensors are never quantized (biases of quantized layers stay 16-bit beside them);
* MoE routers: published MoE recipes ignore them (llm-compressor examples use ``re:.*mlp.gate$``) and in
  transformers 5 they are plain parameters, not ``nn.Linear``;
* routed experts under ``nf4``/``nf4-dq`` only: transformers 5 stores them as fused 3-D parameters and its
  bitsandbytes integration replaces only ``nn.Linear`` modules (``replace_with_bnb_linear`` checks
  ``type(module) is nn.Linear``), so they load in 16-bit (seen on the tiny Mixtral above:
  ``mlp.experts.gate_up_proj`` stays a bf16 ``(E, 2I, h)`` Parameter, as does the router ``mlp.gate``).
  llm-compressor quantizes experts (its MoE calibration unfuses them), so the other formats compress them,
  and vLLM's bitsandbytes loader (``BitsAndBytesMoEMethod``) does too: ``loader="vllm"`` counts them in NF4;
* linear weights of the ``"other"`` component (anything outside the decoder stack).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

from calculators.errors import CalculatorError, describe
from calculators.messages import Message, render
from calculators.model.spec import ModelSpec

HIGH_PRECISION_DTYPES = {"bf16": 2, "fp16": 2, "fp32": 4}
MAX_FORMAT_CHARS = 40  # "gptq-int4-g1048576-asym" is 23; a longer text is not a format (and no 4,300-digit number)

_QUANTIZED_COMPONENTS = ("attention", "mlp", "experts", "shared_experts", "recurrent")

KEPT_REASONS = {
    "embeddings": "embedding, not an nn.Linear: quantizers leave it in 16-bit",
    "lm_head": "LM head kept in 16-bit (llm-compressor ignore=['lm_head']; bitsandbytes skips the output layer)",
    "norms": "norm weights are 1-D and never quantized",
    "bias": "biases stay in 16-bit beside their quantized weights",
    "router": "MoE router kept in 16-bit (recipes ignore it; in transformers 5 it is not an nn.Linear)",
    "experts_bnb": (
        "routed experts are fused 3-D parameters in transformers 5; bitsandbytes replaces only nn.Linear, "
        "so they stay 16-bit"
    ),
    "other": "outside the decoder's linear layers: not targeted by the recipe",
    "non_linear": "not a linear weight: kept in 16-bit",
    "buffers": "buffer (not a parameter), counted in fp32",
    "mxfp4_not_experts": "MXFP4 covers the routed experts only (gpt-oss modules_to_not_convert)",
}


@dataclass(frozen=True)
class WeightFormat:
    """A parsed storage format; see the module docstring for what each kind stores."""

    name: str  # canonical spelling, e.g. "gptq-int4-g128"
    kind: str  # "dense" | "fp8" | "fp8-block" | "int8" | "gptq" | "nf4" | "bpw"
    bits: float
    group_size: int = 0
    asymmetric: bool = False
    double_quant: bool = False
    description: str = ""
    exact_bits: Fraction | None = None  # bpw:<x> as written, for exact byte counts


def parse_format(fmt: object, field_name: str = "weights") -> WeightFormat:
    """Parse a weight-format string (``bf16``, ``gptq-int4-g64``, ``awq-int4``, ``nf4-dq``, ``bpw:4.65`` ...)."""
    if isinstance(fmt, WeightFormat):
        return fmt
    accepted = (
        "fp32, bf16, fp16, fp8, fp8-block, int8, gptq-int{2,3,4,8}[-g<group>][-asym], awq-int4[-g<group>], "
        "nf4, nf4-dq, mxfp4, bpw:<bits>"
    )
    if not isinstance(fmt, str) or len(fmt) > MAX_FORMAT_CHARS:
        raise CalculatorError(field_name, "value.one_of", options=accepted, value=describe(fmt))
    text = fmt.strip().lower().replace("_", "-")
    aliases = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16", "half": "fp16", "fp8-dynamic": "fp8",
               "w8a8": "int8", "fp8-e4m3": "fp8", "nf4-double-quant": "nf4-dq", "gptq": "gptq-int4",
               "awq": "awq-int4", "gptq-4bit": "gptq-int4", "awq-4bit": "awq-int4"}
    text = aliases.get(text, text)
    if text in ("fp32", "bf16", "fp16"):
        return WeightFormat(text, "dense", 8.0 * HIGH_PRECISION_DTYPES[text],
                            description=f"every tensor in {text}")
    if text == "fp8":
        return WeightFormat("fp8", "fp8", 8.0,
                            description="fp8 e4m3 weights + one 16-bit scale per output channel (FP8_DYNAMIC)")
    if text == "fp8-block":
        return WeightFormat("fp8-block", "fp8-block", 8.0, group_size=128,
                            description="fp8 e4m3 weights + one 16-bit scale per 128x128 block (FP8_BLOCK)")
    if text == "int8":
        return WeightFormat("int8", "int8", 8.0,
                            description="int8 weights + one 16-bit scale per output channel (W8A8)")
    if text == "mxfp4":
        return WeightFormat("mxfp4", "mxfp4", 4.25, group_size=32,
                            description="MXFP4 routed experts: e2m1 packed two per byte + one e8m0 scale per 32")
    if text in ("nf4", "nf4-dq"):
        dq = text == "nf4-dq"
        desc = "bitsandbytes NF4, blocks of 64, " + (
            "double-quantized absmax (8-bit, fp32 per 256 blocks)" if dq else "fp32 absmax per block"
        )
        return WeightFormat(text, "nf4", 4.0, group_size=64, double_quant=dq, description=desc)
    match = re.fullmatch(r"bpw:\s*([0-9]*\.?[0-9]+)", text)
    if match:
        exact = Fraction(match.group(1))
        bits = float(exact)
        if not 1 <= exact <= 32:
            raise CalculatorError(field_name, "weights.bpw", bits=bits)
        return WeightFormat(f"bpw:{bits:g}", "bpw", bits, exact_bits=exact,
                            description=f"{bits:g} bits per weight on average over all parameters (GGUF/EXL2)")
    match = re.fullmatch(r"(gptq|awq)-int(\d+)(?:-g(\d+))?(-asym|-sym)?", text)
    if match:
        method, bits_text, group_text, sym_text = match.groups()
        bits = int(bits_text)
        allowed_bits = (2, 3, 4, 8) if method == "gptq" else (4,)
        if bits not in allowed_bits:
            raise CalculatorError(field_name, "weights.bits", method=method,
                                  allowed=", ".join(f"int{b}" for b in allowed_bits), value=f"int{bits}")
        group = int(group_text) if group_text else 128
        if not 1 <= group <= 1 << 20:
            raise CalculatorError(field_name, "weights.group_size", value=group)
        if method == "awq":
            if sym_text == "-sym":
                raise CalculatorError(field_name, "weights.awq_sym")
            asym = True
        else:
            asym = sym_text == "-asym"
        name = f"{method}-int{bits}-g{group}" + ("-asym" if asym and method == "gptq" else "")
        zp = "+ packed int32 zero points " if asym else "(symmetric: no zero points) "
        desc = f"{bits}-bit packed int32 + 16-bit scales per {group} inputs {zp}(compressed-tensors)"
        return WeightFormat(name, "gptq", float(bits), group_size=group, asymmetric=asym, description=desc)
    raise CalculatorError(field_name, "value.one_of", options=accepted, value=repr(fmt))


@dataclass(frozen=True)
class WeightRow:
    """The bytes of one tensor group in the chosen format (``bytes`` covers all ``count`` tensors)."""

    component: str
    role: str
    name: str
    shape: tuple[int, ...]
    count: int
    active_count: int
    numel: int  # all count tensors
    bytes: int  # all count tensors
    quantized: bool
    storage: str  # what is stored, e.g. "int32 packed (out, in*4/32) + bf16 scales (out, in/128)"
    kept_reason: str = ""
    split: str = field(kw_only=True)  # the group's place across tensor-parallel ranks (spec.SPLITS)

    @property
    def active_bytes(self) -> int:
        """Bytes of the ``active_count`` tensors one token reads."""
        return self.bytes * self.active_count // self.count if self.count else 0

    def to_dict(self) -> dict:
        return {
            "component": self.component,
            "role": self.role,
            "name": self.name,
            "shape": list(self.shape),
            "count": self.count,
            "active_count": self.active_count,
            "numel": self.numel,
            "bytes": self.bytes,
            "quantized": self.quantized,
            "storage": self.storage,
            "kept_reason": self.kept_reason,
        }


@dataclass(frozen=True)
class WeightMemory:
    """Weight bytes of a model in one format, with the per-tensor-group detail and what was kept in 16-bit."""

    format: str
    description: str
    high_precision_dtype: str
    total_bytes: int
    active_bytes: int
    total_params: int
    quantized_params: int
    rows: tuple[WeightRow, ...]
    by_component: dict
    kept_high_precision: tuple[dict, ...]
    checkpoint_only_bytes: int
    notes: tuple[Message | str, ...] = field(default_factory=tuple)

    @property
    def bits_per_param(self) -> float:
        return 8.0 * self.total_bytes / self.total_params if self.total_params else 0.0

    def to_dict(self, lang: str = "en") -> dict:
        """A JSON-ready dict; the notes in ``lang``."""
        return {
            "format": self.format,
            "description": self.description,
            "high_precision_dtype": self.high_precision_dtype,
            "total_bytes": self.total_bytes,
            "active_bytes": self.active_bytes,
            "total_params": self.total_params,
            "quantized_params": self.quantized_params,
            "bits_per_param": round(self.bits_per_param, 6),
            "by_component": dict(self.by_component),
            "kept_high_precision": [dict(item) for item in self.kept_high_precision],
            "checkpoint_only_bytes": self.checkpoint_only_bytes,
            "rows": [row.to_dict() for row in self.rows],
            "notes": [render(note, lang) for note in self.notes],
        }


def weight_memory(
    spec, fmt: object = "bf16", *, high_precision_dtype: str = "bf16", loader: str = "transformers"
) -> WeightMemory:
    """Bytes of every weight of ``spec`` stored as ``fmt`` (see the module docstring for each format).

    ``high_precision_dtype`` (bf16, fp16 or fp32) is the dtype of the tensors a quantized format keeps
    unquantized and of its scales; it is ignored by the dense formats, which set every tensor's width.
    ``loader`` (``"transformers"`` or ``"vllm"``) matters for ``nf4``: vLLM's ``BitsAndBytesMoEMethod``
    quantizes routed experts, transformers 5 leaves its fused experts in 16-bit.
    """
    if not isinstance(spec, ModelSpec):
        raise CalculatorError("spec", "value.model_spec", type=type(spec).__name__)
    wf = parse_format(fmt)
    if loader not in ("transformers", "vllm"):
        raise CalculatorError("loader", "weights.loader", value=repr(loader))
    if high_precision_dtype not in HIGH_PRECISION_DTYPES:
        raise CalculatorError("high_precision_dtype", "value.one_of", options=", ".join(HIGH_PRECISION_DTYPES),
                              value=repr(high_precision_dtype))
    hp_bytes = HIGH_PRECISION_DTYPES[wf.name] if wf.kind == "dense" else HIGH_PRECISION_DTYPES[high_precision_dtype]
    hp_name = wf.name if wf.kind == "dense" else high_precision_dtype
    rows = [_size_group(group, wf, hp_bytes, hp_name, loader) for group in spec.tensors]
    for group in getattr(spec, "buffers", ()):
        numel = group.numel * group.count
        rows.append(WeightRow(group.component, group.role, group.name or "buffer", tuple(group.shape), group.count,
                              group.active_count, numel, 4 * numel, False, "fp32 buffer", KEPT_REASONS["buffers"],
                              split=group.split))
    checkpoint_only = sum(_size_group(group, wf, hp_bytes, hp_name, loader).bytes for group in spec.checkpoint_only)

    by_component: dict[str, int] = {}
    kept: dict[tuple[str, str], dict] = {}
    for row in rows:
        by_component[row.component] = by_component.get(row.component, 0) + row.bytes
        if not row.quantized and wf.kind not in ("dense", "bpw"):
            item = kept.setdefault((row.component, row.kept_reason),
                                   {"component": row.component, "params": 0, "bytes": 0, "reason": row.kept_reason})
            item["params"] += row.numel
            item["bytes"] += row.bytes
    notes = []
    if any(row.quantized and row.shape and row.shape[-1] % max(wf.group_size, 1) for row in rows) and \
            wf.kind == "gptq":
        notes.append(Message("note.ragged_groups", group=wf.group_size))
    if spec.checkpoint_only:
        notes.append(Message("note.checkpoint_only"))
    if getattr(spec, "approximate", False):
        notes.extend(spec.notes)
    return WeightMemory(
        format=wf.name,
        description=wf.description,
        high_precision_dtype=hp_name,
        total_bytes=sum(row.bytes for row in rows),
        active_bytes=sum(row.active_bytes for row in rows),
        total_params=sum(row.numel for row in rows),
        quantized_params=sum(row.numel for row in rows if row.quantized),
        rows=tuple(rows),
        by_component=by_component,
        kept_high_precision=tuple(kept.values()),
        checkpoint_only_bytes=checkpoint_only,
        notes=tuple(notes),
    )


def is_quantized_by(group, wf: WeightFormat, loader: str = "transformers") -> tuple[bool, str]:
    """Whether format ``wf`` compresses ``group``, and if not, why it stays in 16-bit."""
    if wf.kind in ("dense", "bpw"):
        return wf.kind == "bpw", ""
    if group.role != "linear":
        if group.role == "bias":
            return False, KEPT_REASONS["bias"]
        if group.role == "norm" or group.component == "norms":
            return False, KEPT_REASONS["norms"]
        if group.component in ("embeddings", "lm_head"):
            return False, KEPT_REASONS[group.component]
        return False, KEPT_REASONS["non_linear"]
    if group.component in ("lm_head", "embeddings", "router", "other"):
        return False, KEPT_REASONS[group.component]
    if wf.kind == "mxfp4" and group.component != "experts":
        return False, KEPT_REASONS["mxfp4_not_experts"]
    if group.component == "experts" and wf.kind == "nf4" and loader == "transformers":
        return False, KEPT_REASONS["experts_bnb"]
    if group.component in _QUANTIZED_COMPONENTS:
        return True, ""
    return False, KEPT_REASONS["other"]


def linear_bytes(out_features: int, in_features: int, wf: WeightFormat, hp_bytes: int = 2) -> tuple[int, str]:
    """Bytes of one ``(out, in)`` linear weight stored in quantized format ``wf``, and what is stored."""
    out, inp, hp = out_features, in_features, "16-bit" if hp_bytes == 2 else "fp32"
    numel = out * inp
    if wf.kind == "fp8":
        return numel + out * hp_bytes, f"fp8 (out, in) + {hp} scale (out, 1)"
    if wf.kind == "int8":
        return numel + out * hp_bytes, f"int8 (out, in) + {hp} scale (out, 1)"
    if wf.kind == "fp8-block":
        blocks = _ceil(out, 128) * _ceil(inp, 128)
        return numel + blocks * hp_bytes, f"fp8 (out, in) + {hp} scales per 128x128 block"
    if wf.kind == "gptq":
        bits, g = int(wf.bits), wf.group_size
        groups = _ceil(inp, g)
        packed = out * _ceil(inp * bits, 32) * 4
        scales = out * groups * hp_bytes
        zeros = _ceil(out * bits, 32) * groups * 4 if wf.asymmetric else 0
        shape_tensor = 2 * 8
        zp_text = " + int32 zero points (ceil(out*bits/32), in/g)" if wf.asymmetric else ""
        return packed + scales + zeros + shape_tensor, (
            f"int32 packed (out, ceil(in*{bits}/32)) + {hp} scales (out, ceil(in/{g})){zp_text} + int64 shape (2,)"
        )
    if wf.kind == "mxfp4":
        return out * _ceil(inp, 2) + out * _ceil(inp, 32), "e2m1 packed (out, in/2) + e8m0 scales (out, in/32)"
    if wf.kind == "nf4":
        return _nf4_bytes(numel, wf.double_quant), (
            "4-bit packed + " + ("8-bit absmax per 64 + fp32 per 256 blocks" if wf.double_quant else
                                 "fp32 absmax per 64") + " + 16-entry fp32 code"
        )
    raise CalculatorError("weights", "weights.not_quantized", format=wf.name)


def _nf4_bytes(numel: int, double_quant: bool) -> int:
    """bitsandbytes ``quantize_4bit`` storage for one tensor of ``numel`` elements (block size 64)."""
    data = _ceil(numel, 2)
    blocks = _ceil(numel, 64)
    code = 16 * 4
    if not double_quant:
        return data + blocks * 4 + code
    nested_blocks = _ceil(blocks, 256)
    nested_code = 256 * 4
    # uint8 absmax per block, fp32 absmax per 256 blocks, fp32 offset, the second level's 256-entry code
    return data + blocks * 1 + nested_blocks * 4 + 4 + nested_code + code


def _size_group(group, wf: WeightFormat, hp_bytes: int, hp_name: str, loader: str = "transformers") -> WeightRow:
    count = group.count
    numel_one = group.numel
    numel = numel_one * count
    shape = tuple(group.shape)
    name = getattr(group, "name", "") or ""
    quantized, reason = is_quantized_by(group, wf, loader)
    if wf.kind == "dense":
        return WeightRow(group.component, group.role, name, shape, count, group.active_count, numel,
                         numel * hp_bytes, False, hp_name, split=group.split)
    if wf.kind == "bpw":
        return WeightRow(group.component, group.role, name, shape, count, group.active_count, numel,
                         math.ceil(numel * wf.exact_bits / 8), True, f"{wf.bits:g} bits per weight",
                         split=group.split)
    if not quantized:
        return WeightRow(group.component, group.role, name, shape, count, group.active_count, numel,
                         numel * hp_bytes, False, hp_name, reason, split=group.split)
    if len(shape) < 2:
        raise CalculatorError("spec.tensors", "weights.shape", name=name or group.component, shape=shape)
    out_features, in_features = shape[-2], shape[-1]
    matrices = numel_one // (out_features * in_features) if out_features * in_features else 0
    one, storage = linear_bytes(out_features, in_features, wf, hp_bytes)
    return WeightRow(group.component, group.role, name, shape, count, group.active_count, numel,
                     one * matrices * count, True, storage, split=group.split)


def _ceil(a: int, b: int) -> int:
    return -(-a // b)
