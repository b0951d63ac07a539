"""Tests of the Level 5 (frontier) snippets under snippets/level5_frontier/: each formula against a hand computation,
an independent construction or a property it must satisfy (tests/test_run_shortcodes.py runs each script the way the
site build runs it)."""

import math
import random

import pytest

from snippets.level5_frontier import hadamard_incoherence as had
from snippets.level5_frontier import kl_direction as kld
from snippets.level5_frontier import kv_bytes_per_token as kv
from snippets.level5_frontier import number_formats as nf
from snippets.level5_frontier import sparsity_2to4 as sp
from snippets.level5_frontier import ternary_absmean as tern


# ---------------------------------------------------------------- KV cache bytes per token
def test_llama_kv_values_match_hand_count():
    assert kv.gqa_values_per_token(**kv.LLAMA_31_8B) == 2 * 32 * 8 * 128 == 65_536


def test_kv_bytes_per_format_match_hand_computation():
    v = 65_536
    assert kv.kv_bytes_per_token(v, 16) == 131_072  # 2 bytes per number
    assert kv.kv_bytes_per_token(v, 8) == 65_536
    # 2-bit codes (1/4 byte) + 4 bytes of fp16 scale and zero point per 32 numbers (1/8 byte)
    assert kv.kv_bytes_per_token(v, 2, 32, 4) == v * (0.25 + 0.125) == 24_576
    assert kv.kv_bytes_per_token(v, 2, 128, 4) == v * (0.25 + 4 / 128) == 18_432
    assert kv.kv_bytes_per_token(v, 4, 32, 4) == v * (0.5 + 0.125) == 40_960


def test_bf16_cache_at_128k_tokens_is_16_gib():
    per_token = kv.kv_bytes_per_token(kv.gqa_values_per_token(**kv.LLAMA_31_8B), 16)
    assert per_token * kv.CONTEXT_TOKENS == 16 * 2**30


def test_mla_matches_deepseek_v2_table_1():
    # (d_c + d_h^R) l with d_c = 4 d_h and d_h^R = d_h / 2: 4.5 d_h l, i.e. GQA with 2.25 groups
    d_h = 128
    values = kv.mla_values_per_token(**kv.DEEPSEEK_V2)
    assert values == (4 * d_h + d_h // 2) * 60 == 34_560
    assert values / (2 * d_h * 60) == 2.25


def test_six_bit_mla_cache_reproduces_the_93_percent_reduction():
    old = kv.kv_bytes_per_token(kv.gqa_values_per_token(**kv.DEEPSEEK_67B), 16)
    assert old == 2 * 95 * 8 * 128 * 2
    new = kv.kv_bytes_per_token(kv.mla_values_per_token(**kv.DEEPSEEK_V2), 6)
    assert round(1 - new / old, 3) == 0.933


# ---------------------------------------------------------------- Hadamard rotation
def sylvester(n: int) -> list[list[int]]:
    h = [[1]]
    while len(h) < n:
        h = [r + r for r in h] + [r + [-x for x in r] for r in h]
    return h


@pytest.mark.parametrize("n", [1, 2, 4, 16, 64])
def test_sylvester_hadamard_is_orthogonal_up_to_n(n):
    h = sylvester(n)
    for i in range(n):
        for j in range(n):
            assert sum(a * b for a, b in zip(h[i], h[j], strict=True)) == (n if i == j else 0)


@pytest.mark.parametrize("n", [2, 8, 32, 256])
def test_fwht_equals_multiplication_by_the_hadamard_matrix(n):
    rng = random.Random(n)
    v = [rng.gauss(0, 1) for _ in range(n)]
    h = sylvester(n)
    expected = [sum(a * b for a, b in zip(row, v, strict=True)) for row in h]
    assert had.fwht(v) == pytest.approx(expected, abs=1e-9)


def test_fwht_rejects_lengths_that_are_not_powers_of_two():
    with pytest.raises(ValueError):
        had.fwht([1.0, 2.0, 3.0])


def test_rotation_is_orthogonal_and_preserves_products():
    rng = random.Random(3)
    n = 256
    signs = had.random_signs(n)
    w = [rng.gauss(0, 1) for _ in range(n)]
    x = [rng.gauss(0, 1) for _ in range(n)]
    vw, vx = had.rotate(w, signs), had.rotate(x, signs)
    assert sum(a * a for a in vw) == pytest.approx(sum(a * a for a in w))
    dot = sum(a * b for a, b in zip(w, x, strict=True))
    assert sum(a * b for a, b in zip(vw, vx, strict=True)) == pytest.approx(dot)
    assert had.unrotate(vw, signs) == pytest.approx(w, abs=1e-12)


def test_rtn_error_is_the_same_in_rotated_and_original_coordinates():
    signs = had.random_signs(had.COLS)
    w = had.with_outliers(had.gaussian_matrix())
    rotated = [had.rotate(r, signs) for r in w]
    in_rotated_space = had.relative_error(rotated, [had.absmax_rtn(r, 4) for r in rotated])
    assert had.rtn_error(w, 4, signs) == pytest.approx(in_rotated_space, rel=1e-9)


def test_rotation_flattens_outlier_rows_and_lowers_rtn_error():
    signs = had.random_signs(had.COLS)
    w = had.with_outliers(had.gaussian_matrix())
    worst_before = max(had.max_over_rms(r) for r in w)
    worst_after = max(had.max_over_rms(had.rotate(r, signs)) for r in w)
    assert worst_after < worst_before / 3
    for bits in (3, 4):
        assert had.rtn_error(w, bits, signs) < had.rtn_error(w, bits) / 1.9


def test_rotation_does_not_help_a_matrix_without_outliers():
    signs = had.random_signs(had.COLS)
    w = had.gaussian_matrix()
    assert had.rtn_error(w, 4, signs) == pytest.approx(had.rtn_error(w, 4), rel=0.15)


def test_rtn_matches_the_uniform_noise_model_for_a_flat_row():
    # w uniform on [-1, 1]: the step is 1/7 and the error variance is close to step^2 / 12
    rng = random.Random(5)
    row = [rng.uniform(-1, 1) for _ in range(20_000)]
    err = sum((a - b) ** 2 for a, b in zip(row, had.absmax_rtn(row, 4), strict=True)) / len(row)
    step = max(abs(a) for a in row) / 7
    assert err == pytest.approx(step**2 / 12, rel=0.05)


def test_group_scale_overhead():
    assert had.group_scale_overhead_bits(16, 64) == 0.25


# ---------------------------------------------------------------- number formats
def test_fp8_and_fp4_ranges():
    assert nf.E4M3[-1] == 448 and nf.E4M3[1] == 2.0**-9 and 2 * len(nf.E4M3) - 1 == 253
    assert nf.E5M2[-1] == 57344 and nf.E5M2[1] == 2.0**-16 and 2 * len(nf.E5M2) - 1 == 247
    assert nf.E2M1 == [0, 0.5, 1, 1.5, 2, 3, 4, 6]


def test_formats_agree_with_torch_float8():
    torch = pytest.importorskip("torch")
    for dtype, grid in ((torch.float8_e4m3fn, nf.E4M3), (torch.float8_e5m2, nf.E5M2)):
        info = torch.finfo(dtype)
        assert info.max == grid[-1]
        assert info.tiny == min(v for v in grid if v >= 2.0 ** math.floor(math.log2(info.tiny)))
        rng = random.Random(7)
        xs = [rng.uniform(-0.9, 0.9) * grid[-1] * 10 ** rng.uniform(-4, 0) for _ in range(2000)]
        ours = [nf.round_to_grid(x, grid) for x in xs]
        theirs = torch.tensor(xs, dtype=torch.float32).to(dtype).to(torch.float64).tolist()
        mismatches = sum(a != b for a, b in zip(ours, theirs, strict=True))
        assert mismatches <= 2  # only exact ties may round differently (we round ties down, torch to even)


def test_round_to_grid_saturates_and_keeps_sign():
    assert nf.round_to_grid(1e9, nf.E2M1) == 6
    assert nf.round_to_grid(-7.0, nf.E2M1) == -6
    assert nf.round_to_grid(2.4, nf.E2M1) == 2 and nf.round_to_grid(2.6, nf.E2M1) == 3


def test_mx_scale_is_a_power_of_two_that_puts_the_block_max_near_the_top():
    rng = random.Random(11)
    block = [rng.gauss(0, 1) for _ in range(32)]
    q = nf.mx(block, nf.E2M1)
    amax = max(abs(v) for v in block)
    s = 2.0 ** (math.floor(math.log2(amax)) - 2)  # emax of E2M1 is 2 (6 = 1.5 * 2^2)
    assert all(v / s in {g * sign for g in nf.E2M1 for sign in (1, -1)} for v in q)
    assert 4 <= amax / s < 8


def test_bits_per_element_of_block_formats():
    bits = {name: b for name, _, b in nf.SCHEMES}
    assert bits["MXFP4 (E2M1, block 32)"] == 4.25
    assert bits["NVFP4 (E2M1, block 16)"] == 4.5
    assert bits["MXFP8 (E4M3, block 32)"] == 8.25


def test_block_scaling_error_ordering_on_the_synthetic_tensor():
    x = nf.synthetic_tensor()
    err = {name: nf.relative_mse(x, f(x)) for name, f, _ in nf.SCHEMES}
    assert err["NVFP4 (E2M1, block 16)"] < err["MXFP4 (E2M1, block 32)"]
    assert err["INT4, fp16 scale / 32"] < err["INT4, fp16 scale / 128"]
    assert max(err["FP8 E4M3, per-tensor scale"], err["MXFP8 (E4M3, block 32)"]) < 0.1 * min(
        v for k, v in err.items() if "4" in k.split()[0])


def test_to_fp16_is_exact_on_representable_values():
    assert nf.to_fp16(0.5) == 0.5 and nf.to_fp16(65504.0) == 65504.0
    assert nf.to_fp16(0.1) != 0.1 and abs(nf.to_fp16(0.1) - 0.1) < 1e-4


# ---------------------------------------------------------------- 2:4 sparsity
def test_mask_keeps_the_two_largest_of_each_group_of_four():
    row = [0.1, -3.0, 2.0, 0.5, 1.0, 1.0, -0.2, 0.3]
    assert sp.mask_2_4(row) == [False, True, True, False, True, True, False, False]


def test_pruned_rows_are_2_4_and_keep_at_least_half_the_energy_of_each_group():
    rng = random.Random(1)
    for _ in range(200):
        group = [rng.gauss(0, 1) for _ in range(4)]
        pruned = [x if k else 0.0 for x, k in zip(group, sp.mask_2_4(group), strict=True)]
        assert sp.is_2_4(pruned)
        assert sum(x * x for x in pruned) >= 0.5 * sum(x * x for x in group)
    assert not sp.is_2_4([1.0, 1.0, 1.0, 0.0])


def test_2_4_storage_and_memory_bound_ceilings():
    assert sp.bits_per_weight(16, True) == (2 * 16 + 2 * 2) / 4 == 9
    assert sp.bits_per_weight(4, True) == 3
    assert sp.memory_bound_ceiling(sp.bits_per_weight(16, True)) == pytest.approx(16 / 9)
    assert sp.memory_bound_ceiling(sp.bits_per_weight(4, True)) == pytest.approx(16 / 3)
    dense_int4 = sp.memory_bound_ceiling(sp.bits_per_weight(4, False, 16, 128))
    assert math.floor(dense_int4 * 100) / 100 == 3.87  # Marlin's README quotes "the optimal 3.87x"


# ---------------------------------------------------------------- ternary (BitNet b1.58) quantizer
def test_absmean_codes_and_scale():
    w = [0.3, -0.05, 0.0, -0.4, 0.1]
    codes, gamma = tern.absmean_ternary(w)
    assert gamma == pytest.approx(sum(abs(x) for x in w) / len(w))
    assert codes == [1, 0, 0, -1, 1]
    assert set(codes) <= {-1, 0, 1}


def test_absmean_is_scale_invariant():
    rng = random.Random(2)
    w = [rng.gauss(0, 1) for _ in range(1000)]
    assert tern.absmean_ternary(w, eps=0)[0] == tern.absmean_ternary([7.5 * x for x in w], eps=0)[0]


def test_zero_share_matches_gaussian_prediction():
    rng = random.Random(0)
    codes, _ = tern.absmean_ternary([rng.gauss(0, 1) for _ in range(100_000)], eps=0)
    assert codes.count(0) / len(codes) == pytest.approx(tern.gaussian_zero_share(), abs=0.01)


def test_ternary_storage():
    bits = tern.ternary_storage_bits()
    assert bits["log2(3)"] == pytest.approx(1.58496, abs=1e-5)
    assert 3**5 <= 256 < 3**6 and bits["5 per byte"] == 1.6


# ---------------------------------------------------------------- forward vs reverse KL
def test_kl_is_nonnegative_and_zero_only_for_equal_distributions():
    p, q = kld.bell(0, 3), kld.bell(1, 2)
    assert kld.kl(p, p) == pytest.approx(0, abs=1e-12)
    assert kld.kl(p, q) > 0 and kld.kl(q, p) > 0
    assert kld.kl(p, q) != pytest.approx(kld.kl(q, p))
    assert kld.kl([0.5, 0.5], [1.0, 0.0]) == math.inf


def test_forward_kl_covers_both_modes_and_reverse_kl_picks_one():
    fm, fs = kld.best_student(kld.forward_kl)
    rm, rs = kld.best_student(kld.reverse_kl)
    teacher_mean = sum(t * p for t, p in zip(kld.TOKENS, kld.TEACHER, strict=True))
    assert abs(fm - teacher_mean) <= 0.5 and fs > 6
    assert rm == -8 and rs == 2
    forward, reverse = kld.bell(fm, fs), kld.bell(rm, rs)
    assert kld.mass(forward, -3, 3) > 10 * kld.mass(kld.TEACHER, -3, 3)  # mass where the teacher has almost none
    assert kld.mass(reverse, -20, -4) > 0.95


def test_reverse_kl_optimum_is_minus_log_of_the_mode_weight():
    # a student that copies the 0.6 mode exactly has KL(S || T) close to log(1 / 0.6)
    rm, rs = kld.best_student(kld.reverse_kl)
    assert kld.reverse_kl(kld.bell(rm, rs)) == pytest.approx(-math.log(0.6), abs=0.01)
