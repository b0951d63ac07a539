"""Weight memory by storage format: hand-computed bytes for small tensors, and what stays in 16-bit."""

from __future__ import annotations

import math

import pytest

from calculators.errors import CalculatorError
from calculators.memory.formats import linear_bytes, parse_format
from calculators.memory.weights import weight_memory
from calculators.model.configs import load_spec
from calculators.model.spec import FullAttention, ModelSpec, TensorGroup


def tiny_spec(*, experts: bool = False, tied: bool = False) -> ModelSpec:
    """2 layers, hidden 512, 4 heads x 128 (2 KV heads), MLP 1024, vocabulary 1000."""
    h, inter, layers, vocab = 512, 1024, 2, 1000
    tensors = [
        TensorGroup("embeddings", "embedding", (vocab, h), 1, 1, "embed_tokens", split="vocab"),
        TensorGroup("attention", "linear", (512, h), layers, layers, "q_proj", split="column"),
        TensorGroup("attention", "linear", (256, h), layers, layers, "k_proj", split="kv_heads"),
        TensorGroup("attention", "linear", (256, h), layers, layers, "v_proj", split="kv_heads"),
        TensorGroup("attention", "linear", (h, 512), layers, layers, "o_proj", split="row"),
        TensorGroup("norms", "norm", (h,), 2 * layers + 1, 2 * layers + 1, "norm", split="replicated"),
    ]
    if experts:
        tensors += [
            TensorGroup("router", "linear", (4, h), layers, layers, "router", split="replicated"),
            TensorGroup("experts", "linear", (2 * inter, h), 4 * layers, 2 * layers, "experts.gate_up_proj",
                        split="column"),
            TensorGroup("experts", "linear", (h, inter), 4 * layers, 2 * layers, "experts.down_proj", split="row"),
        ]
    else:
        tensors += [
            TensorGroup("mlp", "linear", (inter, h), layers, layers, "gate_proj", split="column"),
            TensorGroup("mlp", "linear", (inter, h), layers, layers, "up_proj", split="column"),
            TensorGroup("mlp", "linear", (h, inter), layers, layers, "down_proj", split="row"),
        ]
    if not tied:
        tensors.append(TensorGroup("lm_head", "linear", (vocab, h), 1, 1, "lm_head", split="vocab"))
    mixers = tuple(FullAttention(4, 2, 128, 128) for _ in range(layers))
    return ModelSpec(
        model_type="tiny", source="tiny", hidden_size=h, num_hidden_layers=layers, vocab_size=vocab,
        intermediate_size=inter, max_position_embeddings=4096, mixers=mixers, tensors=tuple(tensors),
        checkpoint_only=(), tie_word_embeddings=tied, num_experts=4 if experts else 0,
        experts_per_token=2 if experts else 0, approximate=False, notes=(),
    )


def test_dense_formats_are_bytes_per_element_times_parameters():
    spec = tiny_spec()
    params = spec.total_params
    assert weight_memory(spec, "fp32").total_bytes == 4 * params
    assert weight_memory(spec, "bf16").total_bytes == 2 * params
    assert weight_memory(spec, "fp16").total_bytes == 2 * params
    assert weight_memory(spec, "bf16").kept_high_precision == ()


@pytest.mark.parametrize(
    ("fmt", "out", "inp", "expected"),
    [
        # compressed-tensors 0.19.0 W4A16 on nn.Linear(384, 256): weight_packed int32 (256, 48),
        # weight_scale bf16 (256, 3), weight_shape int64 (2,); symmetric: no zero point saved.
        ("gptq-int4", 256, 384, 256 * 48 * 4 + 256 * 3 * 2 + 16),
        # W4A16_ASYM adds weight_zero_point int32 (32, 3): zero points packed along out_features.
        ("gptq-int4-asym", 256, 384, 256 * 48 * 4 + 256 * 3 * 2 + 32 * 3 * 4 + 16),
        ("awq-int4", 256, 384, 256 * 48 * 4 + 256 * 3 * 2 + 32 * 3 * 4 + 16),
        # 3-bit, nn.Linear(512, 250), group 128: packed (250, 48), scales (250, 4), zero points (24, 4).
        ("gptq-int3", 250, 512, 250 * 48 * 4 + 250 * 4 * 2 + 16),
        ("gptq-int3-asym", 250, 512, 250 * 48 * 4 + 250 * 4 * 2 + 24 * 4 * 4 + 16),
        # 8-bit asymmetric: packed (250, 128), zero points (63, 4)
        ("gptq-int8-asym", 250, 512, 250 * 128 * 4 + 250 * 4 * 2 + 63 * 4 * 4 + 16),
        # 2-bit group 64: packed (250, 32), scales (250, 8)
        ("gptq-int2-g64", 250, 512, 250 * 32 * 4 + 250 * 8 * 2 + 16),
        # FP8_DYNAMIC: float8 weight + bf16 weight_scale (out, 1)
        ("fp8", 256, 384, 256 * 384 + 256 * 2),
        # W8A8: int8 weight + bf16 scale (out, 1)
        ("int8", 256, 384, 256 * 384 + 256 * 2),
        # FP8_BLOCK: bf16 scales (ceil(256/128), ceil(384/128)) = (2, 3)
        ("fp8-block", 256, 384, 256 * 384 + 2 * 3 * 2),
    ],
)
def test_quantized_linear_bytes_match_compressed_tensors_layouts(fmt, out, inp, expected):
    assert linear_bytes(out, inp, parse_format(fmt))[0] == expected


def test_nf4_storage_matches_bitsandbytes_quant_state():
    numel = 512 * 512
    # packed 4-bit data, fp32 absmax per 64, 16-entry fp32 code
    assert linear_bytes(512, 512, parse_format("nf4"))[0] == numel // 2 + numel // 64 * 4 + 64
    # double quant: uint8 absmax per 64, fp32 per 256 blocks, fp32 offset, 256-entry code of the 2nd level
    blocks = numel // 64
    expected = numel // 2 + blocks + math.ceil(blocks / 256) * 4 + 4 + 256 * 4 + 64
    assert linear_bytes(512, 512, parse_format("nf4-dq"))[0] == expected


def test_double_quantization_cuts_scale_overhead_from_half_a_bit_to_0_127_bits():
    numel = 4096 * 4096
    nf4 = linear_bytes(4096, 4096, parse_format("nf4"))[0]
    dq = linear_bytes(4096, 4096, parse_format("nf4-dq"))[0]
    assert (nf4 * 8 - numel * 4) / numel == pytest.approx(0.5, abs=1e-4)
    assert (dq * 8 - numel * 4) / numel == pytest.approx(0.127, abs=1e-3)


def test_gptq_counts_every_quantized_linear_and_keeps_embeddings_lm_head_norms_in_16_bit():
    spec = tiny_spec()
    wm = weight_memory(spec, "gptq-int4")
    kept = {item["component"]: item for item in wm.kept_high_precision}
    assert set(kept) == {"embeddings", "lm_head", "norms"}
    assert kept["embeddings"]["bytes"] == 1000 * 512 * 2
    assert kept["lm_head"]["bytes"] == 1000 * 512 * 2
    assert "lm_head" in kept["lm_head"]["reason"]
    fmt = parse_format("gptq-int4")
    linears = [(512, 512), (256, 512), (256, 512), (512, 512), (1024, 512), (1024, 512), (512, 1024)]
    quantized = sum(linear_bytes(o, i, fmt)[0] for o, i in linears) * 2
    assert wm.total_bytes == quantized + 2 * (1000 * 512 * 2) + 5 * 512 * 2
    assert wm.quantized_params == sum(o * i for o, i in linears) * 2


def test_router_is_kept_and_experts_are_quantized_by_llm_compressor_formats():
    spec = tiny_spec(experts=True)
    wm = weight_memory(spec, "fp8")
    kept = {item["component"] for item in wm.kept_high_precision}
    assert "router" in kept and "experts" not in kept
    experts = sum(r.bytes for r in wm.rows if r.component == "experts")
    assert experts == 4 * 2 * ((2048 * 512 + 2048 * 2) + (512 * 1024 + 512 * 2))


def test_bitsandbytes_keeps_fused_experts_in_16_bit_under_transformers_but_not_under_vllm():
    spec = tiny_spec(experts=True)
    hf = weight_memory(spec, "nf4-dq")
    kept = {item["component"]: item for item in hf.kept_high_precision}
    assert kept["experts"]["bytes"] == 2 * 8 * (2048 * 512 + 512 * 1024)
    assert "nn.Linear" in kept["experts"]["reason"]
    vllm = weight_memory(spec, "nf4-dq", loader="vllm")
    assert "experts" not in {item["component"] for item in vllm.kept_high_precision}
    assert vllm.total_bytes < hf.total_bytes


def test_bpw_is_an_average_over_every_parameter():
    spec = tiny_spec()
    wm = weight_memory(spec, "bpw:4.5")
    assert wm.total_bytes == pytest.approx(spec.total_params * 4.5 / 8, abs=len(spec.tensors))
    assert wm.kept_high_precision == ()
    assert wm.bits_per_param == pytest.approx(4.5, abs=1e-3)


def test_tied_embeddings_are_counted_once():
    assert weight_memory(tiny_spec(tied=True), "bf16").total_bytes == 2 * tiny_spec(tied=True).total_params
    assert tiny_spec(tied=True).total_params == tiny_spec().total_params - 1000 * 512


def test_active_bytes_count_only_the_experts_a_token_uses():
    spec = tiny_spec(experts=True)
    wm = weight_memory(spec, "bf16")
    experts = sum(r.bytes for r in wm.rows if r.component == "experts")
    assert wm.total_bytes - wm.active_bytes == experts // 2  # top-2 of 4 experts


def test_llama_3_8b_fp8_and_gptq_sizes_match_published_checkpoints():
    spec = load_spec("meta-llama/Llama-3.1-8B")
    # RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic: 9.08 GB of safetensors; our count: 9,083,953,152 B
    assert weight_memory(spec, "fp8").total_bytes == 9_083_953_152
    # embeddings + lm_head stay bf16 (2 x 525,336,576 parameters)
    gptq = weight_memory(spec, "gptq-int4")
    assert sum(k["params"] for k in gptq.kept_high_precision if k["component"] != "norms") == 2 * 525_336_576
    assert 5.6e9 < gptq.total_bytes < 5.8e9


@pytest.mark.parametrize(
    "fmt",
    ["", "int4", "gptq-int5", "awq-int8", "awq-int4-sym", "bpw:0", "bpw:40", "bpw:x", "nf3", 4, None, "gptq-int4-g0"],
)
def test_bad_formats_raise_calculator_error_naming_the_field(fmt):
    with pytest.raises(CalculatorError) as info:
        parse_format(fmt)
    assert info.value.field == "weights"
    assert str(info.value).startswith("weights:")


def test_format_spellings_are_normalised():
    assert parse_format("GPTQ_INT4").name == "gptq-int4-g128"
    assert parse_format("awq-int4-g64").name == "awq-int4-g64"
    assert parse_format("bfloat16").name == "bf16"
    assert parse_format("bpw:4.65").name == "bpw:4.65"
