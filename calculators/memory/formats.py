"""Weight storage formats: what each one stores for a linear weight, parsed from its name.

``parse_format(text)`` reads a format name into a :class:`WeightFormat`; ``linear_bytes(out, in, fmt)`` gives the
bytes of one ``(out, in)`` linear weight in it and a line saying what is stored.

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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from calculators.errors import CalculatorError, describe

HIGH_PRECISION_DTYPES = {"bf16": 2, "fp16": 2, "fp32": 4}
MAX_FORMAT_CHARS = 40  # "gptq-int4-g1048576-asym" is 23; a longer text is not a format (and no 4,300-digit number)


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


def _ceil(a: int, b: int) -> int:
    return -(-a // b)

