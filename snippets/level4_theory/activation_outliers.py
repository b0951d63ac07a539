"""Activation outlier channels, and two ways around them: mixed-precision decomposition and smoothing.

A synthetic linear layer Y = X W with X of 64 tokens x 256 input channels, where 2 channels are 20 times
larger than the rest in every token (the pattern LLM.int8() and SmoothQuant describe), is run in simulated
W8A8 (8-bit weights and activations) with several choices of scales. The script prints the relative error
of Y for each, and the effective number of 8-bit levels left to an ordinary channel. Standard library only.
"""

import math
import random
from operator import mul

from snippets.common.error import relative_squared_error
from snippets.common.linalg import transpose
from snippets.common.quantizer import absmax_rtn

TOKENS, CHANNELS, OUTPUTS = 64, 256, 64
OUTLIER_CHANNELS, OUTLIER_FACTOR = (17, 200), 20.0


# --8<-- [start:quantize]
def quantize_per_tensor(rows, bits=8):
    flat = absmax_rtn([v for row in rows for v in row], bits)
    return [flat[i : i + len(rows[0])] for i in range(0, len(flat), len(rows[0]))]


def quantize_per_row(rows, bits=8):
    """One scale per row: per token for X (T x C); applied to W transposed, one scale per output channel."""
    return [absmax_rtn(row, bits) for row in rows]


def matmul(x_rows, w_columns):
    """Y = X W with X given by rows and W by columns."""
    return [[sum(map(mul, x, w)) for w in w_columns] for x in x_rows]
# --8<-- [end:quantize]


# --8<-- [start:smoothquant]
def smoothing_factors(x_rows, w_columns, alpha):
    """SmoothQuant (Xiao et al., 2023, Eq. 4): s_j = max|X_j|^alpha / max|W_j|^(1 - alpha) per input channel j."""
    x_max = [max(abs(v) for v in col) for col in transpose(x_rows)]
    w_max = [max(abs(w[j]) for w in w_columns) for j in range(len(x_max))]
    return [xm**alpha / wm ** (1 - alpha) for xm, wm in zip(x_max, w_max, strict=True)]


def smoothquant_w8a8(x_rows, w_columns, alpha):
    """Divide X's channels by s and multiply W's input rows by s (Y is unchanged), then quantize both:
    activations per token, weights per output channel."""
    s = smoothing_factors(x_rows, w_columns, alpha)
    x_smooth = [[v / sj for v, sj in zip(row, s, strict=True)] for row in x_rows]
    w_smooth = [[v * sj for v, sj in zip(col, s, strict=True)] for col in w_columns]
    return matmul(quantize_per_row(x_smooth), quantize_per_row(w_smooth))
# --8<-- [end:smoothquant]


# --8<-- [start:decomposition]
def mixed_precision_decomposition(x_rows, w_columns, threshold=6.0):
    """LLM.int8()-style: input channels with any |x| >= threshold stay in high precision; the rest are
    multiplied in 8-bit with per-token and per-output-channel scales (vector-wise quantization)."""
    outliers = {j for j, col in enumerate(transpose(x_rows)) if max(abs(v) for v in col) >= threshold}
    keep = [j for j in range(len(x_rows[0])) if j not in outliers]
    x_regular = quantize_per_row([[row[j] for j in keep] for row in x_rows])
    w_regular = quantize_per_row([[col[j] for j in keep] for col in w_columns])
    y = matmul(x_regular, w_regular)
    for j in outliers:  # a 16-bit product for the few outlier channels (exact here)
        for t, row in enumerate(x_rows):
            for o, col in enumerate(w_columns):
                y[t][o] += row[j] * col[j]
    return y, sorted(outliers)
# --8<-- [end:decomposition]


def relative_error(y, y_hat):
    """||Y - Y_hat||_F / ||Y||_F."""
    return math.sqrt(relative_squared_error([a for row in y for a in row], [b for row in y_hat for b in row]))


def synthetic_layer(seed: int = 0):
    """X (tokens x channels) with persistent outlier channels, and W given as columns (one per output)."""
    rng = random.Random(seed)
    x = [[rng.gauss(0.0, 1.0) for _ in range(CHANNELS)] for _ in range(TOKENS)]
    for row in x:
        for j in OUTLIER_CHANNELS:
            row[j] *= OUTLIER_FACTOR
    w_columns = [[rng.gauss(0.0, 0.02) for _ in range(CHANNELS)] for _ in range(OUTPUTS)]
    return x, w_columns


def effective_levels(x_rows):
    """SmoothQuant's measure for per-tensor INT8: 2^8 * m_i / m for the median channel (m_i: channel max)."""
    channel_max = sorted(max(abs(v) for v in col) for col in transpose(x_rows))
    return 2**8 * channel_max[len(channel_max) // 2] / channel_max[-1]


def w8a8_table(seed: int = 0):
    """Rows (scheme, relative error of Y). Weights always use one scale per output channel."""
    x, w = synthetic_layer(seed)
    y = matmul(x, w)
    w_q = quantize_per_row(w)
    rows = [
        ("per-tensor activations", matmul(quantize_per_tensor(x), w_q)),
        ("per-token activations", matmul(quantize_per_row(x), w_q)),
        ("per-channel activations*", matmul(transpose(quantize_per_row(transpose(x))), w_q)),
        ("LLM.int8() decomposition", mixed_precision_decomposition(x, w)[0]),
    ]
    rows += [(f"SmoothQuant alpha={alpha:.2f}", smoothquant_w8a8(x, w, alpha)) for alpha in (0.25, 0.5, 0.75, 1.0)]
    return [(name, relative_error(y, y_hat)) for name, y_hat in rows]


if __name__ == "__main__":
    x, w = synthetic_layer()
    print(f"X: {TOKENS} tokens x {CHANNELS} channels, channels {OUTLIER_CHANNELS} x{OUTLIER_FACTOR:.0f} in every token")
    print(f"effective INT8 levels of the median channel, per-tensor: {effective_levels(x):.1f} of 256")
    s = smoothing_factors(x, w, 0.5)
    smoothed = [[v / sj for v, sj in zip(row, s, strict=True)] for row in x]
    print(f"... after smoothing with alpha = 0.5: {effective_levels(smoothed):.1f} of 256")
    print()
    print("W8A8 relative error ||Y - Y_hat|| / ||Y|| (weights: one scale per output channel)")
    for name, error in w8a8_table():
        print(f"  {name:<28} {error:.4f}")
    print("* per-channel activation scales sit on the inner dimension of X W:")
    print("  an INT8 matrix multiplication cannot apply them")
