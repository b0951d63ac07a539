"""The uniform quantizer of snippets/common/quantizer.py, which the quantization pages of Level 2, Level 3 and the
theory chapter all show: the affine map and its scales, checked against the formula and against compressed-tensors."""

import random

import pytest

from snippets.common import quantizer

# The uniform quantizer ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
def test_asymmetric_quantizer_errors_are_at_most_half_a_step_and_zero_is_exact(bits):
    rng = random.Random(bits)
    for _ in range(50):
        lo, hi = sorted((rng.uniform(-3, 1), rng.uniform(-1, 3)))
        s, z = quantizer.asymmetric_params(lo, hi, bits)
        assert 0 <= z <= 2**bits - 1 and isinstance(z, int)
        assert quantizer.dequantize(quantizer.quantize(0.0, s, z, bits), s, z) == 0.0
        for x in (rng.uniform(lo, hi) for _ in range(100)):
            q = quantizer.quantize(x, s, z, bits)
            assert 0 <= q <= 2**bits - 1
            # the range was widened to contain 0 and z was rounded, so allow the rounding of z as well
            assert abs(x - quantizer.dequantize(q, s, z)) <= s * 1.0 + 1e-12


def test_asymmetric_quantizer_is_the_affine_formula():
    s, z = quantizer.asymmetric_params(-0.3, 1.2, 4)
    assert s == pytest.approx(1.5 / 15)
    assert z == round(0.3 / s) == 3
    for x, expected in ((-0.3, 0), (0.0, 3), (1.2, 15), (5.0, 15), (-5.0, 0), (0.44, 7)):
        assert quantizer.quantize(x, s, z, 4) == min(max(round(x / s) + z, 0), 15) == expected
    assert quantizer.dequantize(7, s, z) == pytest.approx(s * (7 - z))


@pytest.mark.parametrize("bits", [3, 4, 8])
def test_symmetric_quantizer_restricted_and_full_range(bits):
    half = 2 ** (bits - 1)
    s, z = quantizer.symmetric_params(2.0, bits)
    assert (s, z) == (pytest.approx(2.0 / (half - 1)), half)
    assert quantizer.quantize(2.0, s, z, bits) == 2 * half - 1 and quantizer.quantize(-2.0, s, z, bits) == 1
    s_full, _ = quantizer.symmetric_params(2.0, bits, full_range=True)
    assert s_full == pytest.approx(2.0 / (half - 0.5))
    assert quantizer.quantize(-2.0, s_full, z, bits) == 0  # the lowest code is used
    for x in (i / 100 * 2.0 for i in range(-100, 101)):
        err = abs(x - quantizer.dequantize(quantizer.quantize(x, s_full, z, bits), s_full, z))
        assert err <= s_full / 2 + 1e-12


def test_symmetric_full_range_matches_compressed_tensors_scale():
    torch = pytest.importorskip("torch")
    helpers = pytest.importorskip("compressed_tensors.quantization.utils.helpers")
    from compressed_tensors.quantization import QuantizationArgs

    args = QuantizationArgs(num_bits=4, symmetric=True, strategy="group", group_size=128)
    scale, zero = helpers.calculate_qparams(torch.tensor([-0.7]), torch.tensor([1.5]), args)
    assert float(scale) == pytest.approx(quantizer.symmetric_params(1.5, 4, full_range=True)[0], rel=1e-6)
    assert float(zero) == 0  # signed codes -8..7 with z = 0 are the unsigned codes 0..15 with z = 8
