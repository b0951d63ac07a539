"""The Level 3 worked examples (snippets/level3_formalization/) check the formulas of the page and agree with the
from-scratch implementations in snippets/scratch/ on the same inputs."""

import math
import random

import pytest
import torch

from snippets.common import linalg
from snippets.level3_formalization import awq_grid, costs, gptq_step, rounding
from snippets.level3_formalization import kd_temperature as kd_t
from snippets.level3_formalization import quant_maps as maps
from snippets.level3_formalization import sparsegpt_step as sgpt_step
from snippets.level3_formalization import wanda_vs_magnitude as wvm


def t(rows):
    return torch.tensor(rows, dtype=torch.float64)


# --- the quantization maps ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("bits", [2, 3, 4, 8])
def test_asymmetric_map_round_trips_zero_exactly_and_keeps_errors_within_half_a_step(bits):
    rng = random.Random(bits)
    for _ in range(50):
        xs = [rng.uniform(-3, 1) for _ in range(rng.randint(2, 20))]
        s, z = maps.asymmetric_params(min(xs), max(xs), bits)
        assert isinstance(z, int) and 0 <= z <= 2**bits - 1
        assert maps.dequantize(maps.quantize(0.0, s, z, bits), s, z) == 0.0
        for x in xs:
            q = maps.quantize(x, s, z, bits)
            assert 0 <= q <= 2**bits - 1
            assert abs(x - maps.dequantize(q, s, z)) <= s / 2 + s * 1e-9 + abs(z - (-min(min(xs), 0) / s)) * s


def test_worked_example_codes_and_the_mixed_units_form_missing_zero():
    s, z = maps.asymmetric_params(min(maps.X), max(maps.X), 3)
    assert z == 2 and s == pytest.approx(3.0 / 7)
    assert [maps.quantize(x, s, z, 3) for x in maps.X] == [0, 1, 2, 3, 5, 7]
    assert maps.mixed_units(0.0, s, z) != pytest.approx(0.0)


@pytest.mark.parametrize("sym", [False, True])
def test_maps_agree_with_scratch_rtn(sym):
    from snippets.scratch import rtn

    def params(row, bits):  # the scratch RTN's grid: full-range symmetric, or asymmetric over the row's range
        if sym:
            return maps.symmetric_params(max(abs(x) for x in row), bits, full_range=True)
        return maps.asymmetric_params(min(row), max(row), bits)
    rng = random.Random(1)
    W = [[rng.gauss(0, 1) for _ in range(8)] for _ in range(5)]
    W_hat, q, scale, zero = rtn.rtn(t(W), bits=3, sym=sym, granularity="channel")
    for r, row in enumerate(W):
        s, z = params(row, 3)
        assert scale[r, 0].item() == pytest.approx(s) and zero[r, 0].item() == z
        assert q[r].tolist() == [maps.quantize(x, s, z, 3) for x in row]


def test_finer_granularity_lowers_the_error_of_the_outlier_example():
    errors = [maps.rtn_mse(maps.W, 4, group)[0] for group in (0, None, 4)]
    assert errors[0] > errors[1] > errors[2]


def test_rounding_error_matches_s2_over_12_on_uniform_data():
    rng = random.Random(0)
    xs = [rng.uniform(-1, 1) for _ in range(20_000)]
    for bits in [3, 4, 6, 8]:
        assert rounding.measured_over_model(xs, bits)[1] == pytest.approx(1.0, abs=0.05)


# --- GPTQ -------------------------------------------------------------------------------------------------------

def test_hand_gptq_equals_scratch_gptq():
    from snippets.scratch import gptq
    H = gptq_step.hessian(gptq_step.X)
    hand = gptq_step.gptq_obs(gptq_step.W, H, gptq_step.BITS)
    Q = gptq.gptq(t(gptq_step.W).float(), t(H).float(), bits=gptq_step.BITS, percdamp=0.0)  # scratch works in fp32
    assert torch.allclose(Q.double(), t(hand), atol=1e-5)


def test_hessian_is_twice_x_xt_and_the_scratch_accumulator_is_it_over_n():
    from snippets.scratch import gptq
    X = t(gptq_step.X)
    assert torch.allclose(t(gptq_step.hessian(gptq_step.X)), 2 * X @ X.T)
    assert torch.allclose(gptq.hessian([X.T]).double(), 2 * X @ X.T / X.shape[1], atol=1e-5)


def test_cholesky_rows_equal_the_downdated_inverse_rows():
    H = gptq_step.hessian(gptq_step.X)
    log = []
    gptq_step.gptq_obs(gptq_step.W, H, gptq_step.BITS, log)
    U = linalg.cholesky_upper(linalg.inverse(H))
    for q, _, _, ratio, _ in log:
        assert [U[q][j] / U[q][q] for j in range(len(H))] == pytest.approx(ratio, abs=1e-9)


def test_obs_update_is_optimal_for_one_quantized_weight():
    """Fixing weight q at a new value and moving the others by delta_F minimizes ||(W - W') X||^2 exactly."""
    H = t(gptq_step.hessian(gptq_step.X))
    w = t(gptq_step.W)[0]
    target = 0.7
    Hinv = torch.linalg.inv(H)
    delta = -(w[0] - target) / Hinv[0, 0] * Hinv[:, 0]
    def loss(v):
        return (v - w) @ H @ (v - w)
    best = loss(w + delta)
    free = H[1:, 1:]
    v_opt = w.clone()
    v_opt[0] = target
    v_opt[1:] = w[1:] - torch.linalg.solve(free, H[1:, 0] * (target - w[0]))
    assert (w + delta)[0].item() == pytest.approx(target)
    assert best.item() == pytest.approx(loss(v_opt).item())


def test_gptq_beats_rtn_on_the_worked_example():
    H = gptq_step.hessian(gptq_step.X)
    Q = gptq_step.gptq_obs(gptq_step.W, H, gptq_step.BITS)
    grids = gptq_step.row_grids(gptq_step.W, gptq_step.BITS)
    rtn = [[gptq_step.quant(w, g, gptq_step.BITS) for w in row] for row, g in zip(gptq_step.W, grids, strict=True)]
    assert gptq_step.output_error(gptq_step.W, Q, gptq_step.X) < gptq_step.output_error(gptq_step.W, rtn, gptq_step.X)


# --- AWQ --------------------------------------------------------------------------------------------------------

def test_awq_losses_equal_scratch_awq_search():
    from snippets.scratch import awq
    hand = awq_grid.awq_losses(awq_grid.W, awq_grid.X, awq_grid.BITS, n_grid=10)
    s, alpha, losses = awq.awq_search_scale(t(awq_grid.W), t(awq_grid.X), bits=awq_grid.BITS, group_size=4,
                                            n_grid=10)
    assert [loss for _, _, loss in hand] == pytest.approx(losses, rel=1e-4)
    best = min(hand, key=lambda r: r[2])
    assert best[0] == pytest.approx(alpha)
    assert best[2] < hand[0][2]  # alpha = 0 is RTN


def test_scaling_is_exact_before_quantization():
    s = [1.7, 0.4, 2.2, 0.9]
    Ws = [[w * sj for w, sj in zip(row, s, strict=True)] for row in awq_grid.W]
    Xs = [[x / sj for x, sj in zip(row, s, strict=True)] for row in awq_grid.X]
    lhs = linalg.matmul(Xs, linalg.transpose(Ws))
    rhs = linalg.matmul(awq_grid.X, linalg.transpose(awq_grid.W))
    assert [v for row in lhs for v in row] == pytest.approx([v for row in rhs for v in row])


# --- pruning ----------------------------------------------------------------------------------------------------

def test_wanda_example_matches_scratch_wanda_and_magnitude():
    from snippets.scratch import magnitude, wanda
    W, X = t(wvm.W), t(wvm.X)
    norms = wvm.column_norms(wvm.X)
    hand = wvm.prune_lowest_per_row(wvm.W, [[abs(w) * n for w, n in zip(row, norms, strict=True)] for row in wvm.W], 2)
    assert torch.equal(wanda.wanda_prune(W, wanda.input_sq_norms([X]), 0.5), t(hand))
    hand_mag = wvm.prune_lowest_layer(wvm.W, [[abs(w) for w in row] for row in wvm.W], 4)
    assert torch.equal(magnitude.magnitude_prune(W, 0.5), t(hand_mag))
    assert wvm.output_error(wvm.W, hand, wvm.X) < wvm.output_error(wvm.W, hand_mag, wvm.X)


def test_hand_sparsegpt_equals_scratch_sparsegpt_2_4():
    from snippets.scratch import sparsegpt
    H = gptq_step.hessian(sgpt_step.X)
    hand = sgpt_step.sparsegpt_2_4(sgpt_step.W, H)
    S = sparsegpt.sparsegpt(t(sgpt_step.W).float(), t(H).float(), prunen=2, prunem=4, percdamp=0.0)
    assert torch.allclose(S.double(), t(hand), atol=1e-4)
    assert all(sum(v == 0.0 for v in row) == 2 for row in hand)


def test_obs_saliency_is_the_loss_increase_of_pruning_one_weight_with_compensation():
    H = t(gptq_step.hessian(sgpt_step.X))
    w = t(sgpt_step.W)[0]
    Hinv = torch.linalg.inv(H)
    q = 1
    delta = -w[q] / Hinv[q, q] * Hinv[:, q]
    increase = 0.5 * delta @ H @ delta  # the quadratic model 1/2 dW^T H dW of OBS
    assert increase.item() == pytest.approx((0.5 * w[q] ** 2 / Hinv[q, q]).item())


# --- distillation -----------------------------------------------------------------------------------------------

def test_soft_term_gradient_matches_finite_differences():
    tau, eps = 2.0, 1e-6
    kl, grad = kd_t.soft_term(kd_t.TEACHER, kd_t.STUDENT, tau)
    for i in range(len(kd_t.STUDENT)):
        z = list(kd_t.STUDENT)
        z[i] += eps
        assert (kd_t.soft_term(kd_t.TEACHER, z, tau)[0] - kl) / eps == pytest.approx(grad[i], abs=1e-5)


def test_tau_squared_keeps_the_soft_gradient_of_order_one():
    scaled = [tau**2 * kd_t.norm(kd_t.soft_term(kd_t.TEACHER, kd_t.STUDENT, tau)[1]) for tau in (4.0, 16.0, 1000.0)]
    raw = [kd_t.norm(kd_t.soft_term(kd_t.TEACHER, kd_t.STUDENT, tau)[1]) for tau in (4.0, 16.0, 64.0)]
    assert raw[0] / raw[2] > 200  # the unscaled gradient shrinks like 1 / tau^2
    limit = kd_t.norm(kd_t.high_temperature_limit(kd_t.STUDENT, kd_t.TEACHER))
    assert scaled[2] == pytest.approx(limit, rel=2e-3)  # the approximation error shrinks like 1 / tau


def test_soft_term_equals_scratch_kd_loss_for_one_token():
    from snippets.scratch import kd_loss as kd
    for tau in [1.0, 2.0, 4.0]:
        teacher = torch.tensor([[kd_t.TEACHER, kd_t.TEACHER]], dtype=torch.float64)
        student = torch.tensor([[kd_t.STUDENT, kd_t.STUDENT]], dtype=torch.float64)
        labels = torch.tensor([[0, 1]])
        loss = kd.kd_loss(student, teacher, labels, tau=tau, alpha=1.0)
        assert loss.item() == pytest.approx(tau**2 * kd_t.soft_term(kd_t.TEACHER, kd_t.STUDENT, tau)[0], rel=1e-5)


# --- costs and the scripts themselves ---------------------------------------------------------------------------

def test_cost_formulas_scale_as_stated():
    small, big = costs.costs(1024, 1024, 4096), costs.costs(2048, 1024, 4096)
    assert big["GPTQ / SparseGPT: Cholesky, H^-1"] == 8 * small["GPTQ / SparseGPT: Cholesky, H^-1"]
    assert big["GPTQ / SparseGPT: column sweep"] == 4 * small["GPTQ / SparseGPT: column sweep"]
    assert big["RTN"] == 2 * small["RTN"]
    assert math.isclose(costs.N_TOKENS, 128 * 2048)
