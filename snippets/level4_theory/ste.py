"""What the straight-through estimator (STE) returns, compared with true and smoothed gradients.

Run as a script, it prints three tables:
  1. for one weight on a grid of step 1 and the loss (q - 0.3)^2: the autograd gradient through rounding
     (zero), the STE gradient, and the gradient of the expected loss under stochastic rounding, by autograd
     and by central finite differences;
  2. for a 64-weight least-squares problem: how well the STE gradient lines up with the smoothed gradient
     and with the full-precision gradient, at 2 to 8 bits;
  3. gradient descent on the single weight with each gradient: the STE makes it oscillate.
Needs torch (CPU).
"""

import torch

F64 = torch.float64  # every tensor here is float64, so the tables show the estimators, not rounding noise


# --8<-- [start:ste]
def round_ste(x: torch.Tensor) -> torch.Tensor:
    """Round in the forward pass, identity in the backward pass: d round_ste(x) / dx = 1."""
    return x + (torch.round(x) - x).detach()


def fake_quantize(w: torch.Tensor, step: float | torch.Tensor, ste: bool = True) -> torch.Tensor:
    """Uniform quantization to the grid step * Z, as QAT simulates it in the forward pass."""
    return step * (round_ste(w / step) if ste else torch.round(w / step))


def expected_loss_stochastic_rounding(w, step, loss):
    """E[loss(Q(w))] when Q rounds w down or up with probabilities that make E[Q(w)] = w. It is the linear
    interpolation of the loss between the two neighbouring grid points, so it has a useful derivative."""
    low = torch.floor(w / step).detach() * step
    p_up = (w - low) / step
    return (1 - p_up) * loss(low) + p_up * loss(low + step)
# --8<-- [end:ste]


TARGET, STEP = 0.3, 1.0


def scalar_loss(v):
    return (v - TARGET) ** 2


def scalar_gradients(w_value: float, h: float = 1e-6):
    """(q(w), autograd through round, STE, d/dw of the stochastic-rounding expected loss, its finite difference)."""
    grads = []
    for ste in (False, True):
        w = torch.tensor(w_value, dtype=F64, requires_grad=True)
        scalar_loss(fake_quantize(w, STEP, ste=ste)).backward()
        grads.append(w.grad.item())
    w = torch.tensor(w_value, dtype=F64, requires_grad=True)
    expected_loss_stochastic_rounding(w, STEP, scalar_loss).backward()
    smoothed = w.grad.item()

    def f(v):
        return expected_loss_stochastic_rounding(torch.tensor(v, dtype=F64), STEP, scalar_loss).item()

    finite_difference = (f(w_value + h) - f(w_value - h)) / (2 * h)
    q = fake_quantize(torch.tensor(w_value, dtype=F64), STEP).item()
    return q, *grads, smoothed, finite_difference


# --8<-- [start:regression]
def least_squares_problem(dim=64, samples=256, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(samples, dim, generator=gen, dtype=F64)
    w_star = torch.randn(dim, generator=gen, dtype=F64)
    y = x @ w_star + 0.1 * torch.randn(samples, generator=gen, dtype=F64)
    return x, y, w_star


def batched_gradients(ws, x, y, bits):
    """For each row w of `ws` (one candidate weight vector per row), with L(v) = mean((x v - y)^2) and an
    absmax grid of step s = max|w| / (2^(b-1) - 1): the STE gradient, the gradient of the expected loss
    under stochastic rounding, and the full-precision gradient of L at w."""
    step = (ws.abs().amax(dim=1, keepdim=True) / (2 ** (bits - 1) - 1)).detach()

    def loss(v):  # one loss per row, summed so that one backward pass gives every row's gradient
        return ((v @ x.T - y) ** 2).mean(dim=1).sum()

    def grad(objective):
        w = ws.clone().requires_grad_(True)
        objective(w).backward()
        return w.grad

    def expected_loss(w):  # rounding is unbiased and independent per weight: E[L] = L(w) + sum mean(x_i^2) Var
        p_up = w / step - torch.floor(w / step).detach()
        return loss(w) + ((x**2).mean(0) * step**2 * p_up * (1 - p_up)).sum()

    return grad(lambda w: loss(fake_quantize(w, step))), grad(expected_loss), grad(loss)
# --8<-- [end:regression]


def alignment_table(bit_widths=(2, 3, 4, 6, 8), points=32, seed=1):
    """Rows (bits, mean cosine(STE, smoothed), mean cosine(STE, full precision), share of signs that agree
    between STE and smoothed), over `points` random weight vectors around the least-squares solution."""
    x, y, w_star = least_squares_problem()
    gen = torch.Generator().manual_seed(seed)
    ws = w_star + 0.5 * torch.randn(points, w_star.numel(), generator=gen, dtype=F64)
    rows = []
    for bits in bit_widths:
        g_ste, g_smooth, g_fp = batched_gradients(ws, x, y, bits)
        cosine = torch.nn.functional.cosine_similarity
        rows.append((bits, cosine(g_ste, g_smooth, dim=1).mean().item(), cosine(g_ste, g_fp, dim=1).mean().item(),
                     (torch.sign(g_ste) == torch.sign(g_smooth)).double().mean().item()))
    return rows


def ste_gradient_scalar(w_value: float) -> float:
    w = torch.tensor(w_value, dtype=F64, requires_grad=True)
    scalar_loss(fake_quantize(w, STEP)).backward()
    return w.grad.item()


def smoothed_gradient_scalar(w_value: float) -> float:
    w = torch.tensor(w_value, dtype=F64, requires_grad=True)
    expected_loss_stochastic_rounding(w, STEP, scalar_loss).backward()
    return w.grad.item()


def descend(gradient_of, w0=0.0, lr=0.1, steps=200):
    """Gradient descent on one weight; returns the final weight and the share of the last half of the
    steps in which it rounded to 1."""
    w, ups = w0, 0
    for k in range(steps):
        w -= lr * gradient_of(w)
        ups += k >= steps // 2 and round(w / STEP) == 1
    return w, ups / (steps - steps // 2)


def oscillation_table():
    return [("STE", *descend(ste_gradient_scalar)),
            ("stochastic-rounding expectation", *descend(smoothed_gradient_scalar))]


if __name__ == "__main__":
    print(f"One weight, grid step {STEP:g}, loss (q - {TARGET})^2; the best grid point is 0")
    print(f"{'w':>5} {'q(w)':>5} {'autograd':>9} {'STE':>7} {'smoothed':>9} {'finite diff':>12}")
    for w_value in (0.1, 0.4, 0.6, 0.9, 1.2, 1.45):
        q, exact, ste, smoothed, fd = scalar_gradients(w_value)
        print(f"{w_value:>5.2f} {q:>5.0f} {exact:>9.3f} {ste:>7.3f} {smoothed:>9.3f} {fd:>12.3f}")
    print()
    print("Least squares, 64 weights, absmax grid: STE gradient vs smoothed and full precision")
    print(f"{'bits':>4} {'cos(STE, smoothed)':>19} {'cos(STE, full precision)':>25} {'same sign':>10}")
    for bits, cos_smooth, cos_fp, signs in alignment_table():
        print(f"{bits:>4} {cos_smooth:>19.3f} {cos_fp:>25.3f} {signs:>10.1%}")
    print()
    print("Gradient descent on the single weight from w = 0, learning rate 0.1, 200 steps")
    for name, w_final, share_up in oscillation_table():
        print(f"  {name:<32} final w = {w_final:6.3f}, q = 1 in {share_up:>3.0%} of the last 100 steps")
