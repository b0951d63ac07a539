"""Pruning saliency on a quadratic loss: magnitude, Optimal Brain Damage, Optimal Brain Surgeon, and the layer-wise
criteria (Wanda, an OBS-style weight update) that LLM pruning uses.

Run as a script, it prints
  1. for a 4-weight quadratic loss at its minimum, the three saliencies of each weight and the true loss increase
     of removing it, without and with the best update of the other weights;
  2. for one linear layer with correlated inputs and two high-norm input channels, the relative output error
     ||(W - W_hat) X||^2 / ||W X||^2 at 50% sparsity for unstructured, 2:4 and structured (whole input channels)
     masks chosen by magnitude or by Wanda's score, without and with a least-squares update of the kept weights;
  3. the sparsity of Zhu & Gupta's gradual schedule at a few training steps.
Standard library only; deterministic (seeded). The matrices are tiny, so plain Gauss-Jordan inversion is enough.
"""

import random

from snippets.common.linalg import inverse


def quad(h: list[list[float]], d: list[float]) -> float:
    """0.5 * d^T H d: the loss increase of a step d away from the minimum of a quadratic loss."""
    return 0.5 * sum(d[i] * h[i][j] * d[j] for i in range(len(d)) for j in range(len(d)))


# --8<-- [start:saliency]
def obd_saliency(w: list[float], h: list[list[float]]) -> list[float]:
    """Optimal Brain Damage (LeCun et al., 1989): 0.5 * H_qq * w_q^2, the loss increase of zeroing w_q with every
    other weight left as it is (diagonal approximation; exact for a quadratic loss at its minimum)."""
    return [0.5 * h[q][q] * w[q] ** 2 for q in range(len(w))]


def obs_saliency(w: list[float], h_inv: list[list[float]]) -> list[float]:
    """Optimal Brain Surgeon (Hassibi & Stork, 1993): 0.5 * w_q^2 / [H^-1]_qq, the loss increase of zeroing w_q
    when the other weights move by the best correction (below)."""
    return [0.5 * w[q] ** 2 / h_inv[q][q] for q in range(len(w))]


def obs_update(w: list[float], h_inv: list[list[float]], q: int) -> list[float]:
    """delta_w = -(w_q / [H^-1]_qq) * H^-1 e_q: sets w_q to exactly 0 and moves the others to compensate."""
    return [-w[q] / h_inv[q][q] * h_inv[i][q] for i in range(len(w))]
# --8<-- [end:saliency]


# --8<-- [start:layerwise]
def gram(x: list[list[float]]) -> list[list[float]]:
    """X X^T for inputs x[sample][channel]: the layer-wise Hessian of ||W X - W_hat X||^2 is 2 X X^T per row."""
    n = len(x[0])
    return [[sum(s[i] * s[j] for s in x) for j in range(n)] for i in range(n)]


def wanda_scores(w: list[list[float]], x: list[list[float]]) -> list[list[float]]:
    """Wanda (Sun et al., 2024): |W_ij| * ||X_j||_2. Its square, W_ij^2 ||X_j||^2, is exactly the OBD saliency of
    the layer-wise loss ||(W - W_hat) X||^2, whose Hessian diagonal is 2 ||X_j||^2."""
    norms = [sum(s[j] ** 2 for s in x) ** 0.5 for j in range(len(x[0]))]
    return [[abs(v) * norms[j] for j, v in enumerate(row)] for row in w]


def mask_unstructured(scores: list[list[float]], sparsity: float) -> list[list[bool]]:
    """Keep the largest scores within each output row (Wanda compares weights per output)."""
    keep = []
    for row in scores:
        cut = sorted(row)[int(sparsity * len(row))]
        keep.append([s >= cut for s in row])
    return keep


def mask_n_m(scores: list[list[float]], n: int = 2, m: int = 4) -> list[list[bool]]:
    """N:M semi-structured: in every m consecutive inputs of a row, keep the n largest scores."""
    keep = []
    for row in scores:
        flags = []
        for start in range(0, len(row), m):
            group = row[start:start + m]
            best = sorted(range(len(group)), key=lambda k: -group[k])[:n]
            flags += [k in best for k in range(len(group))]
        keep.append(flags)
    return keep


def mask_channels(scores: list[list[float]], sparsity: float) -> list[list[bool]]:
    """Structured: drop whole input channels (columns), ranked by the sum of their scores over all rows."""
    totals = [sum(row[j] for row in scores) for j in range(len(scores[0]))]
    kept = set(sorted(range(len(totals)), key=lambda j: -totals[j])[: len(totals) - int(sparsity * len(totals))])
    return [[j in kept for j in range(len(totals))] for _ in scores]


def refit(w_row: list[float], keep: list[bool], h: list[list[float]]) -> list[float]:
    """The best kept weights for a fixed mask: minimize ||(w - w_hat) X||^2 over the kept entries, i.e. solve
    H_KK w_hat_K = (H w)_K. SparseGPT approximates this update column by column with OBS."""
    k = [j for j, f in enumerate(keep) if f]
    hw = [sum(h[i][j] * w_row[j] for j in range(len(w_row))) for i in range(len(w_row))]
    h_kk_inv = inverse([[h[i][j] for j in k] for i in k])
    solved = [sum(h_kk_inv[a][b] * hw[k[b]] for b in range(len(k))) for a in range(len(k))]
    out = [0.0] * len(w_row)
    for a, j in enumerate(k):
        out[j] = solved[a]
    return out
# --8<-- [end:layerwise]


# --8<-- [start:schedule]
def gradual_sparsity(step: int, final: float, start_step: int, n_prunes: int, every: int,
                     initial: float = 0.0) -> float:
    """Zhu & Gupta's (2017) schedule: s_t = s_f + (s_i - s_f) * (1 - (t - t0) / (n * dt))^3, clamped to the
    pruning window. It removes many weights early, while redundancy is high, and few near the end."""
    progress = min(max((step - start_step) / (n_prunes * every), 0.0), 1.0)
    return final + (initial - final) * (1 - progress) ** 3
# --8<-- [end:schedule]


def relative_error(w, w_hat, h) -> float:
    num = sum(quad(h, [a - b for a, b in zip(r, rh, strict=True)]) for r, rh in zip(w, w_hat, strict=True))
    return num / sum(quad(h, r) for r in w)


def demo_quadratic() -> None:
    h = [[4.0, 1.8, 0.0, 0.0], [1.8, 1.0, 0.0, 0.0], [0.0, 0.0, 0.3, 0.0], [0.0, 0.0, 0.0, 2.0]]
    w = [0.5, -0.9, 1.1, 0.6]
    h_inv = inverse(h)
    obd, obs = obd_saliency(w, h), obs_saliency(w, h_inv)
    print("1. L(w) = 0.5 (w - w*)^T H (w - w*) at w = w*; remove one weight")
    print(f"{'q':>3}{'w_q':>7}{'|w_q|':>7}{'OBD':>8}{'OBS':>8}{'dL, no update':>15}{'dL, OBS update':>16}")
    for q in range(len(w)):
        no_update = quad(h, [-w[i] if i == q else 0.0 for i in range(len(w))])
        step = obs_update(w, h_inv, q)
        print(f"{q:>3}{w[q]:>7.2f}{abs(w[q]):>7.2f}{obd[q]:>8.4f}{obs[q]:>8.4f}{no_update:>15.4f}"
              f"{quad(h, step):>16.4f}")
    order = {name: min(range(len(w)), key=s.__getitem__)
             for name, s in (("magnitude", [abs(v) for v in w]), ("OBD", obd), ("OBS", obs))}
    print("   first weight removed: " + ", ".join(f"{k} -> w_{v}" for k, v in order.items()))


def demo_layer() -> None:
    rng = random.Random(0)
    n_in, n_out, n_samples = 16, 8, 256
    channel_scale = [8.0 if j in (3, 11) else 1.0 for j in range(n_in)]  # two persistent high-norm channels
    x = []
    for _ in range(n_samples):  # correlated inputs: even and odd channels share a latent factor (correlation 0.8)
        f = (rng.gauss(0, 1), rng.gauss(0, 1))
        x.append([channel_scale[j] * (0.8**0.5 * f[j % 2] + 0.2**0.5 * rng.gauss(0, 1)) for j in range(n_in)])
    w = [[rng.gauss(0, 1) for _ in range(n_in)] for _ in range(n_out)]
    h = gram(x)
    magnitude = [[abs(v) for v in row] for row in w]
    wanda = wanda_scores(w, x)
    print("\n2. One linear layer, 16 correlated inputs (channels 3 and 11 with 8x the norm), 50% sparsity;")
    print("   relative output error ||(W - W_hat) X||^2 / ||W X||^2")
    print(f"{'pattern':<26}{'magnitude':>11}{'Wanda':>9}{'Wanda + refit':>15}")
    patterns = (("unstructured 50%", lambda s: mask_unstructured(s, 0.5)), ("2:4", mask_n_m),
                ("structured (8 channels)", lambda s: mask_channels(s, 0.5)))
    for name, make in patterns:
        cells = []
        for scores, update in ((magnitude, False), (wanda, False), (wanda, True)):
            keep = make(scores)
            w_hat = [refit(r, k, h) if update else [v if f else 0.0 for v, f in zip(r, k, strict=True)]
                     for r, k in zip(w, keep, strict=True)]
            cells.append(relative_error(w, w_hat, h))
        print(f"{name:<26}{cells[0]:>11.4f}{cells[1]:>9.4f}{cells[2]:>15.4f}")


def demo_schedule() -> None:
    steps = [0, 1_000, 2_000, 4_000, 6_000, 8_000, 10_000]
    values = [gradual_sparsity(t, 0.5, start_step=0, n_prunes=10, every=1_000) for t in steps]
    print("\n3. Gradual schedule to 50% over 10 pruning steps of 1,000: "
          + ", ".join(f"step {t:,}: {v:.1%}" for t, v in zip(steps, values, strict=True)))


if __name__ == "__main__":
    demo_quadratic()
    demo_layer()
    demo_schedule()
