"""The formulas of the distillation chapter: the soft-target gradient (finite differences and PyTorch autograd),
its 1/tau^2 shrinkage and the tau^2 factor that undoes it, Hinton et al.'s high-temperature limit, and the masked
token mean."""

import math
import random

import pytest


def logits(seed: int, n: int = 10, spread: float = 2.0):
    rng = random.Random(seed)
    return [rng.gauss(0, spread) for _ in range(n)], [rng.gauss(0, spread) for _ in range(n)]


def test_softmax_and_kl_basics(kd):
    z, v = logits(0)
    p = kd.softmax(z, 3.0)
    assert sum(p) == pytest.approx(1.0) and all(pi > 0 for pi in p)
    assert kd.kl(p, p) == pytest.approx(0.0, abs=1e-15)
    assert kd.kl(kd.softmax(v, 3.0), p) > 0
    assert kd.softmax([1000.0, 0.0]) == pytest.approx([1.0, 0.0])  # stable for large logits


@pytest.mark.parametrize("tau", [0.5, 1.0, 2.0, 5.0, 20.0])
@pytest.mark.parametrize("scaled", [False, True])
def test_gradient_matches_finite_differences(kd, tau, scaled):
    z, v = logits(1)
    grad = kd.soft_loss_grad(z, v, tau, scale_by_tau2=scaled)
    h = 1e-5 * max(1.0, tau)
    for i in range(len(z)):
        up = z[:i] + [z[i] + h] + z[i + 1:]
        down = z[:i] + [z[i] - h] + z[i + 1:]
        numeric = (kd.soft_loss(up, v, tau, scaled) - kd.soft_loss(down, v, tau, scaled)) / (2 * h)
        assert grad[i] == pytest.approx(numeric, rel=1e-5, abs=1e-10)


def test_gradient_matches_pytorch_autograd(kd):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    z, v = logits(2)
    for tau in (1.0, 4.0):
        student = torch.tensor(z, dtype=torch.float64, requires_grad=True)
        teacher = torch.tensor(v, dtype=torch.float64)
        loss = F.kl_div(F.log_softmax(student / tau, -1), F.log_softmax(teacher / tau, -1), log_target=True,
                        reduction="sum") * tau**2
        loss.backward()
        assert loss.detach().item() == pytest.approx(kd.soft_loss(z, v, tau), rel=1e-12)
        assert student.grad.tolist() == pytest.approx(kd.soft_loss_grad(z, v, tau), rel=1e-10, abs=1e-14)


def test_without_tau_squared_the_gradient_shrinks_like_one_over_tau_squared(kd):
    z, v = logits(3)

    def size(tau, scaled):
        return math.sqrt(sum(g * g for g in kd.soft_loss_grad(z, v, tau, scale_by_tau2=scaled)))

    for tau in (10.0, 40.0, 160.0):
        ratio = size(2 * tau, False) / size(tau, False)
        assert ratio == pytest.approx(0.25, rel=0.05)  # doubling tau divides it by about 4
        assert size(2 * tau, True) / size(tau, True) == pytest.approx(1.0, rel=0.05)


def test_high_temperature_limit_is_centred_logit_matching(kd):
    z, v = logits(4)
    limit = kd.high_temperature_limit(z, v)
    assert sum(limit) == pytest.approx(0.0, abs=1e-12)
    grad = kd.soft_loss_grad(z, v, 1e4)
    assert grad == pytest.approx(limit, rel=1e-3, abs=1e-6)
    # shifting all logits by a constant changes neither softmax nor the limit
    assert kd.high_temperature_limit([a + 5 for a in z], v) == pytest.approx(limit)
    # at the limit the loss is the squared logit difference: tau^2 KL -> sum((z - v)_centred^2) / (2N)
    n = len(z)
    zc = [a - sum(z) / n for a in z]
    vc = [b - sum(v) / n for b in v]
    assert kd.soft_loss(z, v, 1e3) == pytest.approx(sum((a - b) ** 2 for a, b in zip(zc, vc, strict=True)) / (2 * n),
                                                    rel=1e-2)


def test_masked_mean_ignores_padding_and_prompt(kd):
    losses = [[5.0, 1.0, 2.0], [7.0, 3.0, 9.0]]
    labels = [[kd.IGNORE_INDEX, 1, 2], [kd.IGNORE_INDEX, 4, kd.IGNORE_INDEX]]
    assert kd.masked_mean(losses, labels) == pytest.approx((1 + 2 + 3) / 3)
    padded = kd.masked_mean([row + [100.0] * 5 for row in losses], [row + [kd.IGNORE_INDEX] * 5 for row in labels])
    assert padded == kd.masked_mean(losses, labels)
    assert kd.masked_mean([[1.0]], [[kd.IGNORE_INDEX]]) == 0.0  # nothing to count: no division by zero


def test_masked_mean_matches_pytorch_cross_entropy(kd):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    gen = torch.Generator().manual_seed(0)
    scores = torch.randn(2, 5, 7, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, 7, (2, 5), generator=gen)
    labels[0, :2] = kd.IGNORE_INDEX
    labels[1, 3:] = kd.IGNORE_INDEX
    per_token = F.cross_entropy(scores.reshape(-1, 7), labels.reshape(-1).clamp(min=0), reduction="none").reshape(2, 5)
    expected = F.cross_entropy(scores.reshape(-1, 7), labels.reshape(-1), ignore_index=kd.IGNORE_INDEX)
    assert kd.masked_mean(per_token.tolist(), labels.tolist()) == pytest.approx(float(expected), rel=1e-12)
