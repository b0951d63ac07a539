"""Tests of the Level 2 (concepts) snippet snippets/level2_concepts/granularity.py: each formula against the
calculators package, a hand computation or a property it must have."""

import random

import pytest

from calculators import count_parameters, load_spec, weight_memory
from snippets.level2_concepts import granularity as gran

LLAMA2_7B = "meta-llama/Llama-2-7b-hf"


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
    assert gran.quantize_matrix(W, 2, "tensor") == [[0.0, -0.0, 0.0, 4.0], [0.0, 0.0, -0.0, 0.0]]
    # per-channel: the second row gets its own scale 0.4
    assert gran.quantize_matrix(W, 2, "channel")[1] == pytest.approx([0.0, 0.0, -0.4, 0.4])
    # groups of 2 along the input dimension: row 0 -> scales 2 and 4
    assert gran.quantize_matrix(W, 2, "group", group_size=2)[0] == pytest.approx([0.0, -2.0, 0.0, 4.0])
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
    clean = gran.relative_error(gran.gaussian_matrix(),
                                gran.quantize_matrix(gran.gaussian_matrix(), 4, "channel"),
                                lambda i, j: i != gran.OUTLIER)
    assert rows["per-channel"]["ordinary"] == pytest.approx(clean)


def test_asymmetric_grid_wins_on_one_sided_values():
    base = gran.gaussian_matrix()
    folded = [[abs(w) for w in row] for row in base]
    sym = gran.relative_error(folded, gran.quantize_matrix(folded, 4, "channel", symmetric=True))
    asym = gran.relative_error(folded, gran.quantize_matrix(folded, 4, "channel", symmetric=False))
    assert asym < sym / 3  # a symmetric grid spends half its codes on negative values that never occur
    centred_sym = gran.relative_error(base, gran.quantize_matrix(base, 4, "channel", symmetric=True))
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

