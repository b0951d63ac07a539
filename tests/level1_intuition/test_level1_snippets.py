"""Tests of the Level 1 (intuition) snippets under snippets/level1_intuition/: each formula against the calculators
package, a hand computation or a property it must have."""

import pytest

from calculators import count_parameters, get_gpu, kv_cache, load_spec, memory_plan, weight_memory
from snippets.level1_intuition import arithmetic_intensity as ai
from snippets.level1_intuition import memory_arithmetic as mem

LLAMA2_7B, LLAMA31_8B = "meta-llama/Llama-2-7b-hf", "meta-llama/Llama-3.1-8B"


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
    from calculators.presentation.report import memory
    from tests.mkdocs_hooks import load_hook

    render_weights_table = load_hook("shortcodes").render_weights_table

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

