"""Tests of the Level 1 (intuition) and Level 2 (concepts) snippets under snippets/intuition/ and snippets/concepts/:
each formula against the calculators package, a hand computation or a property it must have, and each script run
the way the site build runs it."""

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from calculators import count_parameters, get_gpu, kv_cache, load_spec, memory_plan, weight_memory

from ..snippet_modules import load_snippet

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = ROOT / "snippets"
SCRIPTS = ["intuition/memory_arithmetic.py", "intuition/arithmetic_intensity.py", "concepts/granularity.py"]
LLAMA2_7B, LLAMA31_8B = "meta-llama/Llama-2-7b-hf", "meta-llama/Llama-3.1-8B"




mem = load_snippet("intuition/memory_arithmetic.py")
ai = load_snippet("intuition/arithmetic_intensity.py")
gran = load_snippet("concepts/granularity.py")


# Memory arithmetic ------------------------------------------------------------------------------------------


def test_memory_table_is_what_the_calculators_compute():
    spec = load_spec(LLAMA2_7B)
    params = count_parameters(spec).total
    rows = mem.weights_table(LLAMA2_7B, list(mem.CODE_BITS))
    assert [r["format"] for r in rows] == list(mem.CODE_BITS)
    for row in rows:
        expected = weight_memory(spec, row["format"])
        assert row["bytes"] == expected.total_bytes
        assert row["bits_per_param"] == pytest.approx(expected.bits_per_param, rel=1e-9)
        assert row["naive_bytes"] == params * mem.CODE_BITS[row["format"]] // 8


def test_unquantized_formats_are_exactly_parameters_times_bytes():
    params = count_parameters(load_spec(LLAMA2_7B)).total
    rows = {r["format"]: r for r in mem.weights_table(LLAMA2_7B, ["fp32", "bf16"])}
    assert rows["fp32"]["bytes"] == 4 * params
    assert rows["bf16"]["bytes"] == 2 * params


def test_quantized_checkpoints_hold_more_than_their_codes_but_less_than_the_next_precision():
    for row in mem.weights_table(LLAMA2_7B, ["fp8", "int8", "gptq-int4", "awq-int4", "nf4", "nf4-dq"]):
        assert row["naive_bytes"] < row["bytes"] < 2 * row["naive_bytes"], row
    rows = {r["format"]: r["bytes"] for r in mem.weights_table(LLAMA2_7B, ["nf4", "nf4-dq", "gptq-int4"])}
    assert rows["nf4-dq"] < rows["nf4"]  # double quantization stores the absmax values in 8 bits


def test_the_page_table_shows_the_same_bytes_as_the_snippet():
    sys.path.insert(0, str(ROOT / "hooks"))
    try:
        from shortcodes import render_weights_table
    finally:
        sys.path.remove(str(ROOT / "hooks"))
    from calculators.report import memory

    formats = list(mem.CODE_BITS)
    table = render_weights_table("en", LLAMA2_7B, ",".join(formats))
    for row in mem.weights_table(LLAMA2_7B, formats):
        assert f"| `{row['format']}` | {memory(row['bytes'])} |" in table


@pytest.mark.parametrize(
    ("model", "per_token"), [(LLAMA2_7B, 2 * 32 * 32 * 128 * 2), (LLAMA31_8B, 2 * 32 * 8 * 128 * 2)]
)
def test_kv_cache_formula_uses_kv_heads_and_matches_the_calculators(model, per_token):
    table = mem.kv_table(model, [1, 1_024, 4_096, 32_768], batch=3)
    assert table["bytes_per_token"] == per_token
    for row in table["rows"]:
        assert row["bytes"] == row["formula_bytes"] == 3 * row["seq_len"] * per_token
        assert row["bytes"] == kv_cache(load_spec(model), seq_len=row["seq_len"], batch=3).kv_cache_bytes


def test_kv_cache_is_linear_in_tokens_and_sequences():
    one = mem.kv_table(LLAMA31_8B, [2_048])["rows"][0]["bytes"]
    assert mem.kv_table(LLAMA31_8B, [4_096])["rows"][0]["bytes"] == 2 * one
    assert mem.kv_table(LLAMA31_8B, [2_048], batch=5)["rows"][0]["bytes"] == 5 * one


# Arithmetic intensity ---------------------------------------------------------------------------------------


def test_batch_one_in_bf16_does_about_one_flop_per_byte():
    # 2 FLOPs per weight against 2 bytes per weight; the embedding table and the KV cache add bytes, not FLOPs
    step = ai.decode_step(LLAMA2_7B, "bf16", seq_len=1, batch=1)
    assert 0.9 < step["intensity"] < 1.0


def test_without_a_kv_cache_intensity_grows_with_the_batch():
    # with a one-token context the step reads (almost) only the matrix weights, each once, for 2 x batch FLOPs per
    # 2 bytes: FLOPs/byte ~ batch for 16-bit weights
    for batch in (1, 8, 64, 256):
        step = ai.decode_step(LLAMA31_8B, "bf16", seq_len=1, batch=batch)
        assert step["intensity"] == pytest.approx(batch, rel=0.01)


def test_flops_and_bytes_decompose_into_weights_and_attention():
    spec = load_spec(LLAMA31_8B)
    by_component = count_parameters(spec).by_component
    matmul = by_component["attention"] + by_component["mlp"] + by_component["lm_head"]
    for seq_len, batch in ((1_024, 1), (4_096, 8)):
        step = ai.decode_step(LLAMA31_8B, "bf16", seq_len, batch)
        kv_bytes = kv_cache(spec, seq_len=seq_len, batch=batch).kv_cache_bytes
        embedding = weight_memory(spec, "bf16").by_component["embeddings"]  # a step reads one row per sequence
        assert step["bytes"] == weight_memory(spec, "bf16").total_bytes - embedding + batch * 4096 * 2 + kv_bytes
        # each cached 16-bit value is read once and used by the 4 query heads that share its KV head
        assert step["flops"] == 2 * batch * matmul + 2 * 4 * (kv_bytes // 2)


def test_bytes_per_step_and_bound_agree_with_the_memory_planner():
    spec = load_spec(LLAMA2_7B)
    for weights, batch in (("bf16", 1), ("gptq-int4", 1), ("bf16", 8)):
        plan = memory_plan(spec, weights=weights, seq_len=1_024, batch=batch, gpu="a100-80gb")
        step = ai.decode_step(LLAMA2_7B, weights, seq_len=1_024, batch=batch)
        assert step["bytes"] == plan.decode_bytes_per_step
        tokens_per_s, limit = ai.roofline_tokens_per_s(step, "a100-80gb", batch)
        assert limit == "memory"
        assert tokens_per_s == pytest.approx(plan.decode_tokens_per_s_bound, rel=1e-4)


def test_fewer_bytes_per_weight_raise_intensity_and_the_bound():
    bf16 = ai.decode_step(LLAMA2_7B, "bf16", 1_024, 1)
    int4 = ai.decode_step(LLAMA2_7B, "gptq-int4", 1_024, 1)
    assert int4["flops"] == bf16["flops"] and int4["bytes"] < bf16["bytes"] / 3
    assert ai.roofline_tokens_per_s(int4, "l4", 1)[0] > 3 * ai.roofline_tokens_per_s(bf16, "l4", 1)[0]


def test_ridge_point_is_peak_over_bandwidth_and_compute_binds_above_it():
    gpu = get_gpu("a100-80gb")
    assert ai.ridge_point("a100-80gb") == pytest.approx(312e12 / 2039e9)
    assert gpu.bf16_dense_tflops == 312 and gpu.bandwidth_bytes_per_s == 2039 * 10**9
    huge = {"flops": 1e15, "bytes": 1e9}  # 1e6 FLOPs per byte, far above any ridge
    tokens_per_s, limit = ai.roofline_tokens_per_s(huge, "a100-80gb", batch=4)
    assert limit == "compute" and tokens_per_s == pytest.approx(4 / (1e15 / 312e12))


# Granularity ------------------------------------------------------------------------------------------------


def test_symmetric_block_maps_its_largest_value_exactly_and_rounds_within_half_a_step():
    rng = random.Random(3)
    values = [rng.gauss(0, 1) for _ in range(200)]
    for bits in (2, 3, 4, 8):
        qmax = 2 ** (bits - 1) - 1
        scale = max(abs(v) for v in values) / qmax
        x_hat = gran.quantize_block(values, bits, symmetric=True)
        assert len(set(x_hat)) <= 2**bits - 1  # absmax uses 2^b - 1 levels: -qmax..qmax
        assert max(abs(v - h) for v, h in zip(values, x_hat, strict=True)) <= scale / 2 + 1e-12
        top = max(range(len(values)), key=lambda i: abs(values[i]))
        assert x_hat[top] == pytest.approx(values[top])


def test_asymmetric_block_keeps_zero_exact_and_rounds_within_half_a_step():
    rng = random.Random(4)
    for bits in (2, 4, 8):
        values = [rng.uniform(0.5, 3.0) for _ in range(100)] + [0.0]
        x_hat = gran.quantize_block(values, bits, symmetric=False)
        scale = (max(values) - min(min(values), 0)) / (2**bits - 1)
        assert x_hat[-1] == 0.0
        assert max(abs(v - h) for v, h in zip(values, x_hat, strict=True)) <= scale / 2 + 1e-12
        assert len(set(x_hat)) <= 2**bits


def test_quantize_by_hand_on_a_tiny_matrix():
    W = [[1.0, -2.0, 0.5, 4.0], [0.1, 0.2, -0.3, 0.4]]
    # per-tensor 2-bit symmetric: qmax = 1, s = 4 -> only -4, 0, 4 are representable
    assert gran.quantize(W, 2, "tensor") == [[0.0, -0.0, 0.0, 4.0], [0.0, 0.0, -0.0, 0.0]]
    # per-channel: the second row gets its own scale 0.4
    assert gran.quantize(W, 2, "channel")[1] == pytest.approx([0.0, 0.0, -0.4, 0.4])
    # groups of 2 along the input dimension: row 0 -> scales 2 and 4
    assert gran.quantize(W, 2, "group", group_size=2)[0] == pytest.approx([0.0, -2.0, 0.0, 4.0])
    assert gran.scales_stored((2, 4), "tensor") == 1
    assert gran.scales_stored((2, 4), "channel") == 2
    assert gran.scales_stored((2, 4), "group", group_size=2) == 4
    assert gran.scales_stored((64, 200), "group", group_size=128) == 128  # the last, partial group has a scale too


def test_finer_granularity_orders_the_error_with_an_outlier_input_channel():
    W = gran.with_outlier_column(gran.gaussian_matrix())
    rows = gran.granularity_rows(W, lambda i, j: j != gran.OUTLIER)
    errors = [r["ordinary"] for r in rows]  # tensor, channel, g=128, g=32
    assert errors == sorted(errors, reverse=True)
    assert errors[0] > 0.99  # per tensor, almost every ordinary weight rounds to zero
    assert rows[0]["zeros"] > 0.999
    assert errors[3] < errors[0] / 10
    assert [r["bpw"] for r in rows] == pytest.approx([4 + 16 / (64 * 256), 4 + 16 / 256, 4 + 16 / 128, 4 + 16 / 32])


def test_per_channel_scales_isolate_an_outlier_output_channel():
    W = gran.with_outlier_row(gran.gaussian_matrix())
    rows = {r["scheme"]: r for r in gran.granularity_rows(W, lambda i, j: i != gran.OUTLIER)}
    assert rows["per-tensor"]["ordinary"] > 0.99
    assert rows["per-channel"]["ordinary"] < 0.02  # the other rows are quantized as if the outlier were absent
    clean = gran.relative_error(gran.gaussian_matrix(), gran.quantize(gran.gaussian_matrix(), 4, "channel"),
                                lambda i, j: i != gran.OUTLIER)
    assert rows["per-channel"]["ordinary"] == pytest.approx(clean)


def test_asymmetric_grid_wins_on_one_sided_values():
    base = gran.gaussian_matrix()
    folded = [[abs(w) for w in row] for row in base]
    sym = gran.relative_error(folded, gran.quantize(folded, 4, "channel", symmetric=True))
    asym = gran.relative_error(folded, gran.quantize(folded, 4, "channel", symmetric=False))
    assert asym < sym / 3  # a symmetric grid spends half its codes on negative values that never occur
    centred_sym = gran.relative_error(base, gran.quantize(base, 4, "channel", symmetric=True))
    assert sym == pytest.approx(centred_sym)  # |x| and x round alike on a symmetric grid


def test_bits_per_weight_of_common_layouts():
    assert gran.bits_per_weight(4, 128) == 4.125
    assert gran.bits_per_weight(4, 128, 16, 4) == 4.15625
    assert gran.bits_per_weight(4, 32) == 4.5  # llama.cpp Q4_0: 18 bytes per 32 weights
    assert gran.bits_per_weight(4, 32, 8) == 4.25  # MXFP4
    assert gran.bits_per_weight(4, 16, 8) == 4.5  # NVFP4 (without its one FP32 scale per tensor)
    assert gran.bits_per_weight(4, 64, 32) == 4.5  # NF4
    assert gran.bits_per_weight(4, 64, 8 + 32 / 256) == pytest.approx(4 + 0.127, abs=5e-4)  # QLoRA's 0.127


@pytest.mark.parametrize(("fmt", "bpw"), [("nf4", 4.5), ("nf4-dq", 4 + (8 + 32 / 256) / 64),
                                          ("gptq-int4", 4.125), ("awq-int4", 4.15625)])
def test_layout_bits_match_what_the_calculators_store_for_linear_layers(fmt, bpw):
    spec = load_spec(LLAMA2_7B)
    params = count_parameters(spec).by_component
    stored = weight_memory(spec, fmt).by_component
    for component in ("attention", "mlp"):  # only per-tensor constants (code books, shapes) remain
        assert stored[component] == pytest.approx(params[component] * bpw / 8, rel=2e-4)


# The scripts, as the site build runs them -------------------------------------------------------------------


@pytest.mark.parametrize("relative", SCRIPTS)
def test_script_runs_fast_and_deterministically(relative):
    outputs = []
    for _ in range(2):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(SNIPPETS / relative)], cwd=ROOT, capture_output=True,
                                text=True, env={**os.environ, "PYTHONHASHSEED": "0", "HF_HUB_OFFLINE": "1"})
        assert result.returncode == 0, result.stderr
        assert time.perf_counter() - start < 3.0
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] and outputs[0].strip()
