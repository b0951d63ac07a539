"""The formulas of the pruning chapter on small quadratics: OBD and OBS saliencies against the exact loss
increase, the OBS update, Wanda's score as the OBD saliency of the layer-wise loss, the optimal refit for a fixed
mask, and the shapes of the sparsity patterns."""

import random

import pytest


def random_spd(n: int, rng: random.Random) -> list[list[float]]:
    a = [[rng.gauss(0, 1) for _ in range(n)] for _ in range(n + 3)]
    return [[sum(r[i] * r[j] for r in a) + (0.1 if i == j else 0.0) for j in range(n)] for i in range(n)]


def exact_constrained_increase(saliency, h, w, q):
    """min over dw with w_q + dw_q = 0 of 0.5 dw^T H dw, by solving for the free coordinates directly:
    H_RR dw_R = H_Rq w_q (stationarity), which is a different computation from the OBS formula."""
    n = len(w)
    rest = [i for i in range(n) if i != q]
    h_rr_inv = saliency.inverse([[h[i][j] for j in rest] for i in rest])
    rhs = [h[i][q] * w[q] for i in rest]
    dw = [0.0] * n
    dw[q] = -w[q]
    for a, i in enumerate(rest):
        dw[i] = sum(h_rr_inv[a][b] * rhs[b] for b in range(len(rest)))
    return saliency.quad(h, dw), dw


def test_inverse_is_an_inverse(saliency):
    rng = random.Random(0)
    h = random_spd(6, rng)
    inv = saliency.inverse(h)
    for i in range(6):
        for j in range(6):
            assert sum(h[i][k] * inv[k][j] for k in range(6)) == pytest.approx(float(i == j), abs=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_obd_is_the_exact_increase_without_update(saliency, seed):
    rng = random.Random(seed)
    h = random_spd(5, rng)
    w = [rng.gauss(0, 1) for _ in range(5)]
    for q, s in enumerate(saliency.obd_saliency(w, h)):
        assert s == pytest.approx(saliency.quad(h, [-w[i] if i == q else 0.0 for i in range(5)]))


@pytest.mark.parametrize("seed", range(5))
def test_obs_is_the_exact_increase_with_the_best_update(saliency, seed):
    rng = random.Random(seed)
    h = random_spd(5, rng)
    h_inv = saliency.inverse(h)
    w = [rng.gauss(0, 1) for _ in range(5)]
    obs = saliency.obs_saliency(w, h_inv)
    obd = saliency.obd_saliency(w, h)
    for q in range(5):
        exact, dw_exact = exact_constrained_increase(saliency, h, w, q)
        assert obs[q] == pytest.approx(exact, rel=1e-9)
        dw = saliency.obs_update(w, h_inv, q)
        assert w[q] + dw[q] == pytest.approx(0.0, abs=1e-12)  # the pruned weight lands exactly on zero
        assert dw == pytest.approx(dw_exact, rel=1e-7, abs=1e-10)
        assert saliency.quad(h, dw) == pytest.approx(obs[q], rel=1e-9)
        assert obs[q] <= obd[q] * (1 + 1e-12)  # updating the others can only help: 1/[H^-1]_qq <= H_qq


def test_obs_equals_obd_for_a_diagonal_hessian(saliency):
    h = [[2.0, 0, 0], [0, 0.5, 0], [0, 0, 3.0]]
    w = [0.3, -1.0, 0.2]
    assert saliency.obs_saliency(w, saliency.inverse(h)) == pytest.approx(saliency.obd_saliency(w, h))


def test_the_three_criteria_disagree_in_the_page_example(saliency, capsys):
    saliency.demo_quadratic()
    out = capsys.readouterr().out
    assert "magnitude -> w_0, OBD -> w_2, OBS -> w_1" in out


def layer(seed: int, n_in: int = 12, n_out: int = 4, n_samples: int = 64):
    rng = random.Random(seed)
    x = [[rng.gauss(0, 1) * (5.0 if j == 2 else 1.0) + 0.7 * rng.gauss(0, 1) for j in range(n_in)]
         for _ in range(n_samples)]
    w = [[rng.gauss(0, 1) for _ in range(n_in)] for _ in range(n_out)]
    return w, x


def output_sq_error(w_row, w_hat_row, x):
    return sum(sum((a - b) * s[j] for j, (a, b) in enumerate(zip(w_row, w_hat_row, strict=True))) ** 2 for s in x)


@pytest.mark.parametrize("seed", range(3))
def test_wanda_score_squared_is_the_single_weight_output_error(saliency, seed):
    """Zeroing W_ij alone raises ||(W - W_hat) X||^2 by exactly W_ij^2 ||X_j||^2: the OBD saliency of the
    layer-wise loss (Hessian 2 X X^T), which is Wanda's |W_ij| ||X_j|| squared."""
    w, x = layer(seed)
    scores = saliency.wanda_scores(w, x)
    for i, row in enumerate(w):
        for j in range(len(row)):
            pruned = [0.0 if k == j else v for k, v in enumerate(row)]
            assert output_sq_error(row, pruned, x) == pytest.approx(scores[i][j] ** 2, rel=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_refit_is_the_least_squares_optimum_for_its_mask(saliency, seed):
    w, x = layer(seed)
    h = saliency.gram(x)
    keep = saliency.mask_unstructured(saliency.wanda_scores(w, x), 0.5)
    rng = random.Random(seed + 10)
    for row, flags in zip(w, keep, strict=True):
        fitted = saliency.refit(row, flags, h)
        assert all(v == 0.0 for v, f in zip(fitted, flags, strict=True) if not f)
        best = output_sq_error(row, fitted, x)
        masked = [v if f else 0.0 for v, f in zip(row, flags, strict=True)]
        assert best <= output_sq_error(row, masked, x)
        for _ in range(20):  # no perturbation of the kept weights does better
            trial = [v + (rng.gauss(0, 1e-2) if f else 0.0) for v, f in zip(fitted, flags, strict=True)]
            assert output_sq_error(row, trial, x) >= best - 1e-9


def test_relative_error_uses_the_gram_matrix(saliency):
    w, x = layer(0)
    h = saliency.gram(x)
    w_hat = [[v if j % 2 else 0.0 for j, v in enumerate(row)] for row in w]
    direct = sum(output_sq_error(r, rh, x) for r, rh in zip(w, w_hat, strict=True))
    total = sum(output_sq_error(r, [0.0] * len(r), x) for r in w)
    assert saliency.relative_error(w, w_hat, h) == pytest.approx(direct / total)


def test_sparsity_patterns(saliency):
    rng = random.Random(1)
    scores = [[rng.random() for _ in range(16)] for _ in range(5)]
    unstructured = saliency.mask_unstructured(scores, 0.5)
    assert all(sum(row) == 8 for row in unstructured)
    two_four = saliency.mask_n_m(scores, 2, 4)
    for row, s in zip(two_four, scores, strict=True):
        for start in range(0, 16, 4):
            kept = row[start:start + 4]
            assert sum(kept) == 2
            group = s[start:start + 4]
            assert min(g for g, k in zip(group, kept, strict=True) if k) >= max(
                g for g, k in zip(group, kept, strict=True) if not k)
    channels = saliency.mask_channels(scores, 0.5)
    assert all(row == channels[0] for row in channels) and sum(channels[0]) == 8


def test_page_demo_orders(saliency, capsys):
    """Wanda beats magnitude and the refit helps for every pattern; the more structured, the larger the error."""
    saliency.demo_layer()
    lines = [line for line in capsys.readouterr().out.splitlines() if line[:3] in ("uns", "2:4", "str")]
    table = [[float(v) for v in line.split()[-3:]] for line in lines]
    assert len(table) == 3
    for magnitude, wanda, refit in table:
        assert refit < wanda < magnitude
    assert table[0][1] < table[1][1] < table[2][1]


def test_gradual_schedule_is_cubic_and_clamped(saliency):
    f = saliency.gradual_sparsity
    assert f(0, 0.8, 100, 10, 50) == 0.0  # before the window: the initial sparsity
    assert f(100, 0.8, 100, 10, 50) == 0.0
    assert f(600, 0.8, 100, 10, 50) == pytest.approx(0.8)
    assert f(10_000, 0.8, 100, 10, 50) == pytest.approx(0.8)
    assert f(350, 0.8, 100, 10, 50) == pytest.approx(0.8 * (1 - 0.5**3))
    values = [f(t, 0.8, 0, 10, 1) for t in range(11)]
    steps = [b - a for a, b in zip(values, values[1:], strict=False)]
    assert all(x > y for x, y in zip(steps, steps[1:], strict=False))  # each increment smaller than the last
