"""The formulas of the quantization chapter: scale choice, the metadata cost of each layout (checked against the
calculators package's tensor-by-tensor count), compressed-tensors' int32 packing, FP8 ranges and the NF4 levels
(checked against PyTorch and bitsandbytes' table). The uniform quantizer itself, which Levels 2 and 3 show too, is
tested with the shared helpers (tests/common/test_quantizer.py)."""

import math
import random

import pytest

# NF4 levels as bitsandbytes hard-codes them (csrc/kernels.cu, dDequantizeNF4; the same list is in functional.py's
# get_4bit_type("nf4")), produced by create_normal_map(offset=0.9677083) in float32.
BNB_NF4 = [
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]


# Scale choice ------------------------------------------------------------------------------------------------


def test_percentile_scale_uses_the_nearest_rank(quantizer):
    xs = [float(i) for i in range(1, 101)]
    assert quantizer.percentile_scale(xs, 4, 99.0) == pytest.approx(99.0 / 7)
    assert quantizer.percentile_scale(xs, 4, 100.0) == quantizer.absmax_scale(xs, 4)


@pytest.mark.parametrize("bits", [3, 4])
def test_mse_optimal_clipping_beats_absmax_and_percentiles_on_heavy_tails(quantizer, bits):
    xs = quantizer.student_t_sample(2048, seed=3)
    z = 2 ** (bits - 1)
    best = quantizer.mse(xs, quantizer.mse_optimal_scale(xs, bits), z, bits)
    assert best < quantizer.mse(xs, quantizer.absmax_scale(xs, bits), z, bits)
    for pct in (99.0, 99.9):
        assert best <= quantizer.mse(xs, quantizer.percentile_scale(xs, bits, pct), z, bits) * (1 + 1e-9)


def test_finer_groups_lower_the_error(quantizer):
    xs = quantizer.student_t_sample(4096, seed=1)
    per_tensor = quantizer.grouped_mse(xs, 4, len(xs), quantizer.absmax_scale)
    per_group = quantizer.grouped_mse(xs, 4, 128, quantizer.absmax_scale)
    assert per_group < per_tensor / 2


# Metadata cost ------------------------------------------------------------------------------------------------


def test_bits_per_weight_of_common_layouts(quantizer):
    bpw = quantizer.bits_per_weight
    assert bpw(4, 128) == 4.125
    assert bpw(4, 128, zero_bits=4) == 4 + 20 / 128
    assert bpw(4, 64, scale_bits=32) == 4.5  # NF4 with an fp32 absmax per 64
    assert bpw(4, 64, scale_bits=8, second_level_bits=32 / 256) == pytest.approx(4 + 8 / 64 + 32 / (64 * 256))
    assert bpw(4, 64, scale_bits=8, second_level_bits=32 / 256) - 4 == pytest.approx(0.127, abs=5e-4)  # QLoRA §3
    assert bpw(4, 32, scale_bits=8) == 4.25  # MXFP4
    assert bpw(4, 16, scale_bits=8) == 4.5  # NVFP4
    assert bpw(8, None) == 8.0
    rows = {name: quantizer.bits_per_weight(*rest) for name, *rest in quantizer.LAYOUTS}
    assert len(rows) == len(quantizer.LAYOUTS)


@pytest.mark.parametrize(
    ("fmt", "args"),
    [
        ("gptq-int4", (4, 128, 16, 0, 0.0)),
        ("gptq-int4-g32", (4, 32, 16, 0, 0.0)),
        ("gptq-int4-asym", (4, 128, 16, 4, 0.0)),
        ("awq-int4", (4, 128, 16, 4, 0.0)),
        ("gptq-int8", (8, 128, 16, 0, 0.0)),
        ("nf4", (4, 64, 32, 0, 0.0)),
        ("nf4-dq", (4, 64, 8, 0, 32 / 256)),
    ],
)
def test_bits_per_weight_matches_the_calculators_count_of_quantized_tensors(quantizer, fmt, args):
    """The calculators size every stored tensor (packed int32 words, scales, zero points, shapes, code books);
    over the quantized linear weights of Llama-3.1-8B that must come to the per-weight formula, up to per-tensor
    extras (weight_shape, NF4 code books: 0.0003 bits per weight at most)."""
    from calculators.memory.weights import weight_memory
    from calculators.model.configs import preset_spec

    result = weight_memory(preset_spec("meta-llama/Llama-3.1-8B"), fmt).to_dict()
    kept = sum(item["bytes"] for item in result["kept_high_precision"])
    measured = 8 * (result["total_bytes"] - kept) / result["quantized_params"]
    assert measured == pytest.approx(quantizer.bits_per_weight(*args), rel=1e-4)


# Packing ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_pack_unpack_round_trip(quantizer, bits):
    rng = random.Random(bits)
    for count in (1, 7, 8, 16, 33, 128):
        codes = [rng.randint(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) for _ in range(count)]
        words = quantizer.pack_int32(codes, bits)
        assert len(words) == math.ceil(count * bits / 32)
        assert all(-(2**31) <= w < 2**31 for w in words)
        assert quantizer.unpack_int32(words, count, bits) == codes


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_packing_matches_compressed_tensors(quantizer, bits):
    torch = pytest.importorskip("torch")
    helpers = pytest.importorskip("compressed_tensors.compressors.pack_quantized.helpers")
    gen = torch.Generator().manual_seed(bits)
    codes = torch.randint(-(2 ** (bits - 1)), 2 ** (bits - 1), (3, 128), generator=gen, dtype=torch.int8)
    packed = helpers.pack_to_int32(codes, bits)
    assert packed.dtype == torch.int32 and packed.shape == (3, 128 * bits // 32)
    for row in range(3):
        assert packed[row].tolist() == quantizer.pack_int32(codes[row].tolist(), bits)


# Formats ------------------------------------------------------------------------------------------------------


def test_fp8_and_fp4_ranges_match_pytorch(formats):
    torch = pytest.importorskip("torch")
    assert formats.E4M3[-1] == torch.finfo(torch.float8_e4m3fn).max == 448
    assert formats.E5M2[-1] == torch.finfo(torch.float8_e5m2).max == 57344
    assert formats.E4M3[1] == 2.0**-9 and formats.E5M2[1] == 2.0**-16  # smallest subnormals
    assert formats.E2M1 == [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
    # every E4M3 value is exactly representable in torch's float8_e4m3fn
    values = torch.tensor(formats.E4M3, dtype=torch.float32)
    assert torch.equal(values.to(torch.float8_e4m3fn).to(torch.float32), values)


def test_nf4_levels_reproduce_bitsandbytes(formats):
    levels = formats.nf4_levels()
    assert len(levels) == 16 and levels[7] == 0.0 and levels[0] == -1.0 and levels[-1] == 1.0
    assert levels == pytest.approx(BNB_NF4, abs=2e-7)


def test_nf4_beats_uniform_int4_on_gaussian_blocks(formats):
    rng = random.Random(5)
    xs = [rng.gauss(0, 1) for _ in range(64 * 128)]
    nf4 = formats.blockwise_mse(xs, formats.nf4_levels())
    assert nf4 < formats.blockwise_mse(xs, formats.INT4_LEVELS)
    assert nf4 < formats.blockwise_mse(xs, formats.FP4_LEVELS)


def test_nearest_level_is_the_argmin(formats):
    levels = formats.nf4_levels()
    rng = random.Random(0)
    for v in (rng.uniform(-1.2, 1.2) for _ in range(500)):
        assert abs(formats.nearest(levels, v) - v) == min(abs(c - v) for c in levels)
