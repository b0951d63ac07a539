"""The formulas behind Level 4 (theory): each snippet under snippets/level4_theory/ is checked against the result
it illustrates, with tolerances that a change of seed would not break."""

import math
import random
from importlib import import_module

import pytest


@pytest.fixture(scope="module")
def rd():
    return import_module("snippets.level4_theory.rate_distortion")


@pytest.fixture(scope="module")
def gaussian_sample(rd):
    return rd.gaussian_sample()


# Rate-distortion -------------------------------------------------------------------------------------------


def test_distortion_rate_is_variance_times_four_to_the_minus_rate(rd):
    assert rd.gaussian_distortion_rate(0) == 1.0
    assert [rd.gaussian_distortion_rate(r) for r in (1, 2, 3, 4)] == [1 / 4, 1 / 16, 1 / 64, 1 / 256]
    assert rd.gaussian_distortion_rate(2, variance=0.02**2) == pytest.approx(0.02**2 / 16)
    # each extra bit buys 10 log10(4) = 6.02 dB
    gain_db = 10 * math.log10(rd.gaussian_distortion_rate(3) / rd.gaussian_distortion_rate(4))
    assert gain_db == pytest.approx(6.0206, abs=1e-4)


def test_a_b_bit_code_has_at_most_b_bits_of_entropy(rd, gaussian_sample):
    rng = random.Random(1)
    for bits in (1, 2, 3, 4):
        assert rd.entropy_bits([1 / 2**bits] * 2**bits) == pytest.approx(bits)  # equality only when uniform
        for _ in range(20):
            weights = [rng.random() for _ in range(2**bits)]
            assert rd.entropy_bits([w / sum(weights) for w in weights]) <= bits + 1e-12
        _, probabilities = rd.lloyd_max(gaussian_sample, bits)
        assert rd.entropy_bits(probabilities) < bits


def test_prefix_sum_mse_equals_the_direct_computation(rd):
    rng = random.Random(2)
    values = [rng.gauss(0.0, 1.0) for _ in range(2000)]
    sample = rd.SortedSample(values)
    levels = sorted(rng.uniform(-2, 2) for _ in range(7))
    direct = sum(min((v - c) ** 2 for c in levels) for v in values) / len(values)
    assert sample.mse(levels) == pytest.approx(direct, rel=1e-9)


@pytest.mark.parametrize("bits", [2, 3, 4])
def test_lloyd_max_sits_between_the_shannon_bound_and_round_to_nearest(rd, gaussian_sample, bits):
    levels, _ = rd.lloyd_max(gaussian_sample, bits)
    lloyd = gaussian_sample.mse(levels)
    bound = rd.gaussian_distortion_rate(bits)
    clipped, absmax = rd.rtn_clipped_mse(gaussian_sample, bits), rd.rtn_absmax_mse(gaussian_sample, bits)
    assert bound < lloyd < clipped < absmax
    exact, _ = rd.lloyd_max_gaussian(bits)
    assert bound < exact
    assert lloyd == pytest.approx(exact, rel=0.03)  # the sample-fitted quantizer matches the density's optimum


def test_one_bit_lloyd_max_is_plus_minus_the_mean_absolute_value(rd):
    mse, entropy = rd.lloyd_max_gaussian(1)
    assert mse == pytest.approx(1 - 2 / math.pi, rel=1e-9)  # levels +-sqrt(2/pi)
    assert entropy == pytest.approx(1.0)


def test_uniform_quantizer_error_tends_to_step_squared_over_twelve(rd):
    step = 0.01
    mse, rate = rd.entropy_coded_uniform(step)
    assert mse == pytest.approx(step**2 / 12, rel=1e-3)
    # high-rate entropy: h(X) - log2(step), with h(N(0,1)) = 0.5 log2(2 pi e)
    assert rate == pytest.approx(0.5 * math.log2(2 * math.pi * math.e) - math.log2(step), abs=1e-3)


@pytest.mark.parametrize("bits", [3, 4, 5, 6])
def test_entropy_coded_uniform_quantizer_is_pi_e_over_6_above_the_bound(rd, bits):
    ratio = rd.entropy_coded_uniform_at_rate(bits) / rd.gaussian_distortion_rate(bits)
    assert ratio == pytest.approx(math.pi * math.e / 6, rel=2e-3)
    assert 10 * math.log10(ratio) == pytest.approx(1.533, abs=0.01)


def test_entropy_coded_quantizer_is_found_at_the_requested_rate(rd):
    mse = rd.entropy_coded_uniform_at_rate(3.0)
    steps = [s / 1000 for s in range(300, 700)]
    closest = min(steps, key=lambda s: abs(rd.entropy_coded_uniform(s)[1] - 3.0))
    assert rd.entropy_coded_uniform(closest)[0] == pytest.approx(mse, rel=0.01)


def test_fixed_rate_gap_grows_toward_panter_dite(rd):
    ratios = [rd.lloyd_max_gaussian(b)[0] / rd.gaussian_distortion_rate(b) for b in range(1, 7)]
    assert ratios == sorted(ratios)
    assert ratios[-1] < rd.HIGH_RATE_FIXED_RATE_GAP
    assert ratios[-1] == pytest.approx(math.sqrt(3) * math.pi / 2, rel=0.04)
    # at every rate the entropy-coded uniform quantizer beats the fixed-rate optimum
    for bits, ratio in zip(range(1, 7), ratios, strict=True):
        assert rd.entropy_coded_uniform_at_rate(bits) / rd.gaussian_distortion_rate(bits) < ratio


# Lattice (vector) quantizers ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lattices():
    return import_module("snippets.level4_theory.lattice_quantizers")


def test_lattice_decoders_return_lattice_points(lattices):
    rng = random.Random(3)
    for _ in range(200):
        x = [rng.uniform(-3, 3) for _ in range(8)]
        d8 = lattices.nearest_d_n_point(x)
        assert all(isinstance(v, int) for v in d8) and sum(d8) % 2 == 0
        e8 = lattices.nearest_e8_point(x)
        doubled = [round(2 * v) for v in e8]
        assert all(d % 2 == doubled[0] % 2 for d in doubled)  # all integers or all half-integers
        assert sum(e8) % 2 == pytest.approx(0.0, abs=1e-9)


def test_e8_decoder_finds_the_nearest_point(lattices):
    """No neighbour y + r (r one of the 240 minimal vectors of E8) is closer than the decoded y."""
    roots = [
        [float(s1) if k == i else float(s2) if k == j else 0.0 for k in range(8)]
        for i in range(8)
        for j in range(i + 1, 8)
        for s1 in (-1, 1)
        for s2 in (-1, 1)
    ]
    for signs in range(256):
        vector = [0.5 if signs >> k & 1 else -0.5 for k in range(8)]
        if sum(v < 0 for v in vector) % 2 == 0:
            roots.append(vector)
    assert len(roots) == 240
    rng = random.Random(4)
    for _ in range(100):
        x = [rng.uniform(-2, 2) for _ in range(8)]
        y = lattices.nearest_e8_point(x)
        best = lattices.squared_distance(x, y)
        for r in roots:
            assert lattices.squared_distance(x, [a + b for a, b in zip(y, r, strict=True)]) >= best - 1e-12


def test_measured_second_moments_match_the_exact_values(lattices):
    table = lattices.lattice_table(samples=30_000)
    for name, _, measured, exact in table:
        assert measured == pytest.approx(exact, rel=0.015), name
    exact = [row[3] for row in table]
    assert exact == sorted(exact, reverse=True)  # Z > A2 > E8
    assert exact[-1] > lattices.SPHERE_LIMIT_G
    assert lattices.gain_db(lattices.SPHERE_LIMIT_G) == pytest.approx(10 * math.log10(math.pi * math.e / 6))
    assert lattices.gain_db(lattices.EXACT_G["E8"]) == pytest.approx(0.65, abs=0.01)


# Outliers --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def outlier_rows():
    return import_module("snippets.level4_theory.outliers").outlier_table()


def test_absmax_error_grows_with_tail_weight(outlier_rows):
    for column in (2, 4, 5, 6):  # max/rms, per tensor, per row, per group
        values = [row[column] for row in outlier_rows]
        assert values == sorted(values), column
    kurtoses = [row[1] for row in outlier_rows]
    assert kurtoses == sorted(kurtoses)


def test_finer_scales_always_help(outlier_rows):
    for name, _, _, _, per_tensor, per_row, per_group in outlier_rows:
        assert per_tensor > per_row > per_group, name


def test_step_squared_over_twelve_model_holds_for_gaussian_weights(outlier_rows):
    gaussian = outlier_rows[0]
    assert gaussian[4] == pytest.approx(gaussian[3], rel=0.05)
    # and fails for the heaviest tails, where most weights round to zero and the error saturates
    assert outlier_rows[-1][4] < 0.8 * outlier_rows[-1][3]


def test_absmax_quantization_never_clips_and_errs_by_at_most_half_a_step():
    outliers = import_module("snippets.level4_theory.outliers")
    rng = random.Random(5)
    values = [rng.gauss(0, 1) for _ in range(1000)]
    scale = max(abs(v) for v in values) / 7
    for v, q in zip(values, outliers.absmax_rtn(values, 4), strict=True):
        assert abs(v - q) <= scale / 2 + 1e-12


# Activation outliers: LLM.int8() decomposition and SmoothQuant ---------------------------------------------


@pytest.fixture(scope="module")
def act():
    return import_module("snippets.level4_theory.activation_outliers")


def test_smoothing_leaves_the_product_unchanged(act):
    x, w = act.synthetic_layer()
    s = act.smoothing_factors(x, w, 0.5)
    x_smooth = [[v / sj for v, sj in zip(row, s, strict=True)] for row in x]
    w_smooth = [[v * sj for v, sj in zip(col, s, strict=True)] for col in w]
    y, y_smooth = act.matmul(x, w), act.matmul(x_smooth, w_smooth)
    assert act.relative_error(y, y_smooth) < 1e-12


def test_smoothing_gives_ordinary_channels_more_levels(act):
    x, w = act.synthetic_layer()
    s = act.smoothing_factors(x, w, 0.5)
    smoothed = [[v / sj for v, sj in zip(row, s, strict=True)] for row in x]
    assert act.effective_levels(smoothed) > 3 * act.effective_levels(x)


def test_decomposition_finds_exactly_the_outlier_channels(act):
    x, w = act.synthetic_layer()
    _, outliers = act.mixed_precision_decomposition(x, w)
    assert outliers == sorted(act.OUTLIER_CHANNELS)


def test_w8a8_error_ordering(act):
    errors = dict(act.w8a8_table())
    assert errors["per-tensor activations"] > errors["per-token activations"] > errors["per-channel activations*"]
    assert errors["LLM.int8() decomposition"] < errors["per-token activations"]
    smooth = {a: errors[f"SmoothQuant alpha={a:.2f}"] for a in (0.25, 0.5, 0.75, 1.0)}
    assert smooth[0.5] < errors["per-token activations"] / 2
    assert smooth[0.5] < smooth[0.25] and smooth[0.5] < smooth[0.75] < smooth[1.0]  # migrating too much hurts


# Straight-through estimator --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ste():
    pytest.importorskip("torch")
    return import_module("snippets.level4_theory.ste")


@pytest.mark.parametrize("w", [0.1, 0.4, 0.6, 0.9, 1.2, 1.45, -0.7])
def test_ste_returns_the_loss_derivative_at_the_rounded_point(ste, w):
    q, autograd, ste_grad, smoothed, finite_difference = ste.scalar_gradients(w)
    assert q == round(w)
    assert autograd == 0.0  # the true derivative of the quantized loss is zero almost everywhere
    assert ste_grad == pytest.approx(2 * (q - ste.TARGET))
    low = math.floor(w)
    secant = (ste.scalar_loss(low + 1.0) - ste.scalar_loss(low)) / 1.0
    assert smoothed == pytest.approx(secant)
    assert smoothed == pytest.approx(finite_difference, abs=1e-6)
    assert abs(ste_grad - smoothed) == pytest.approx(ste.STEP)  # the STE bias for a quadratic: one step


def test_expected_loss_formula_matches_sampled_stochastic_rounding(ste):
    import torch

    gen = torch.Generator().manual_seed(0)
    x, y, w_star = ste.least_squares_problem(dim=8, samples=32)
    w = w_star + 0.3 * torch.randn(8, generator=gen)
    step = (w.abs().max() / 3).item()
    low = torch.floor(w / step) * step
    p_up = (w - low) / step
    draws = low + step * (torch.rand(20_000, 8, generator=gen) < p_up).double()
    sampled = ((draws @ x.T - y) ** 2).mean(dim=1).mean()
    closed_form = ((x @ w - y) ** 2).mean() + ((x**2).mean(0) * step**2 * p_up * (1 - p_up)).sum()
    assert sampled.item() == pytest.approx(closed_form.item(), rel=0.01)


def test_batched_smoothed_gradient_matches_finite_differences(ste):
    import torch

    x, y, w_star = ste.least_squares_problem(dim=6, samples=40)
    ws = (w_star + 0.2).unsqueeze(0)
    _, g_smooth, _ = ste.batched_gradients(ws, x, y, bits=4)
    step = (ws.abs().max() / 7).item()

    def expected(wv):
        low = torch.floor(wv / step) * step
        p = (wv - low) / step
        return (((x @ wv - y) ** 2).mean() + ((x**2).mean(0) * step**2 * p * (1 - p)).sum()).item()

    h = 1e-6
    on_grid = int(ws[0].abs().argmax())  # absmax puts the largest weight exactly on a grid point: a kink
    for i in range(6):
        if i == on_grid:
            continue
        e = torch.zeros(6)
        e[i] = h
        fd = (expected(ws[0] + e) - expected(ws[0] - e)) / (2 * h)
        assert g_smooth[0, i].item() == pytest.approx(fd, rel=1e-5, abs=1e-7)


def test_ste_lines_up_with_the_smoothed_gradient_only_at_higher_bit_widths(ste):
    rows = ste.alignment_table()
    cos_smooth = [row[1] for row in rows]
    assert cos_smooth == sorted(cos_smooth)
    assert cos_smooth[0] < 0.5 and cos_smooth[-1] > 0.99
    assert all(row[2] > 0 for row in rows)  # always a descent direction for the full-precision loss here


def test_ste_descent_oscillates_around_the_rounding_boundary(ste):
    (_, w_ste, share_ste), (_, w_smooth, share_smooth) = ste.oscillation_table()
    assert 0.35 < w_ste < 0.65  # parked at the boundary 0.5 between the grid points 0 and 1
    assert share_ste == pytest.approx(ste.TARGET, abs=0.05)  # q flips so that its average matches the target
    assert round(w_smooth) == 0 and share_smooth == 0.0  # the smoothed gradient settles on the best point


# Pruning ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pruning():
    return import_module("snippets.level4_theory.pruning_error")


def test_magnitude_pruning_energy_formula(pruning):
    rng = random.Random(6)
    weights = [rng.gauss(0.0, 1.0) for _ in range(50_000)]
    sparsities = [0.1, 0.3, 0.5, 0.7, 0.9, 0.95]
    exact = [pruning.magnitude_pruning_energy(p) for p in sparsities]
    for p, e in zip(sparsities, exact, strict=True):
        assert pruning.measured_magnitude_energy(weights, p) == pytest.approx(e, abs=0.005)
        assert e < p  # magnitude pruning removes less energy than a random choice
    # convex: each further step of sparsity costs more than the previous one
    grid = [pruning.magnitude_pruning_energy(k / 20) for k in range(20)]
    increments = [b - a for a, b in zip(grid, grid[1:], strict=False)]
    assert increments == sorted(increments)


def test_two_four_pattern_keeps_two_of_every_four(pruning):
    x, w = pruning.synthetic_layer()
    norms = [1.0] * len(w[0])
    pruned = pruning.prune_rows(w, pruning.wanda_scores(w, norms), n_m=(2, 4))
    for row in pruned:
        for start in range(0, len(row), 4):
            assert sum(v != 0.0 for v in row[start : start + 4]) == 2


def test_wanda_equals_magnitude_when_input_channels_are_alike(pruning):
    _, w = pruning.synthetic_layer()
    norms = [3.0] * len(w[0])
    a = pruning.prune_rows(w, pruning.magnitude_scores(w, norms), sparsity=0.5)
    b = pruning.prune_rows(w, pruning.wanda_scores(w, norms), sparsity=0.5)
    assert a == b


def test_wanda_beats_magnitude_when_channels_are_uneven_and_error_grows_with_sparsity(pruning):
    rows = pruning.pruning_table()
    for name, magnitude, wanda in rows:
        assert wanda < magnitude, name
    unstructured = [row for row in rows if "unstructured" in row[0]]
    for column in (1, 2):
        errors = [row[column] for row in unstructured]
        assert errors == sorted(errors)


# Bit budget ------------------------------------------------------------------------------------------------


def test_equal_total_bits_example():
    budget = import_module("snippets.level4_theory.bit_budget")
    assert budget.parameters_in_budget(budget.BUDGET_BITS, 8) == pytest.approx(30e9)
    assert budget.parameters_in_budget(budget.BUDGET_BITS, 4) == pytest.approx(60e9)
    assert budget.bits_per_weight(4, 64) == 4.25
    assert budget.bits_per_weight(4, 128) == 4.125
