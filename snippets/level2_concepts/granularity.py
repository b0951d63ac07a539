"""Granularity and symmetry of round-to-nearest (RTN) quantization on a toy matrix, with the standard library only.

A weight matrix W has shape (out_features, in_features): row i produces output channel i, column j multiplies input
channel j. Quantization stores a b-bit integer code per weight and a real scale shared by a block of weights:

    symmetric:  s = max|x| / (2^(b-1) - 1),          q = clamp(round(x / s), -2^(b-1), 2^(b-1) - 1),  x_hat = s q
    asymmetric: s = (max - min) / (2^b - 1), z = round(-min / s),
                q = clamp(round(x / s) + z, 0, 2^b - 1),                                  x_hat = s (q - z)

(the asymmetric range is widened to contain 0, so a zero weight stays exactly zero). The block that shares one
scale is the granularity: the whole tensor, one output channel (a row), or a group of g consecutive weights of a
row along the input dimension. A large value stretches the scale of every weight in its block.

    python -m snippets.level2_concepts.granularity
"""

import random

from snippets.common.error import relative_squared_error
from snippets.common.quantizer import asymmetric_params, bits_per_weight, dequantize, quantize, symmetric_params

# --8<-- [start:quantizers]
Matrix = list[list[float]]


def quantize_block(values: list[float], bits: int, symmetric: bool = True) -> list[float]:
    """Round-to-nearest of one block that shares a scale (and a zero point if asymmetric); returns x_hat."""
    if symmetric:
        s, z = symmetric_params(max(abs(v) for v in values), bits)  # s = max|x| / (2^(b-1) - 1)
    else:
        s, z = asymmetric_params(min(values), max(values), bits)
    return [dequantize(quantize(v, s, z, bits), s, z) for v in values]


def quantize_matrix(W: Matrix, bits: int, granularity: str, group_size: int = 128,
                    symmetric: bool = True) -> Matrix:
    """granularity: "tensor" (one scale), "channel" (one per output row) or "group" (per row and group of columns)."""
    rows, cols = len(W), len(W[0])
    if granularity == "tensor":
        flat = quantize_block([w for row in W for w in row], bits, symmetric)
        return [flat[i * cols:(i + 1) * cols] for i in range(rows)]
    if granularity == "channel":
        return [quantize_block(row, bits, symmetric) for row in W]
    if granularity == "group":
        return [[w for g in range(0, cols, group_size) for w in quantize_block(row[g:g + group_size], bits, symmetric)]
                for row in W]
    raise ValueError(f"unknown granularity {granularity!r}")


def scales_stored(shape: tuple[int, int], granularity: str, group_size: int = 128) -> int:
    rows, cols = shape
    return {"tensor": 1, "channel": rows, "group": rows * -(-cols // group_size)}[granularity]
# --8<-- [end:quantizers]


# --8<-- [start:error]
def relative_error(W: Matrix, W_hat: Matrix, keep=lambda i, j: True) -> float:
    """sum (w - w_hat)^2 / sum w^2 over the entries (i, j) that `keep` selects."""
    pairs = [(w, w_hat) for i, (row, row_hat) in enumerate(zip(W, W_hat, strict=True))
             for j, (w, w_hat) in enumerate(zip(row, row_hat, strict=True)) if keep(i, j)]
    return relative_squared_error([w for w, _ in pairs], [w_hat for _, w_hat in pairs])


def rounded_to_zero(W: Matrix, W_hat: Matrix, keep=lambda i, j: True) -> float:
    """Share of the selected non-zero weights whose reconstruction is exactly 0."""
    pairs = [(w, W_hat[i][j]) for i, row in enumerate(W) for j, w in enumerate(row) if keep(i, j) and w != 0]
    return sum(1 for _, w_hat in pairs if w_hat == 0) / len(pairs)
# --8<-- [end:error]


ROWS, COLS, OUTLIER, FACTOR, BITS = 64, 256, 7, 20.0, 4
SCHEMES = [("per-tensor", "tensor", None), ("per-channel", "channel", None),
           ("per-group g=128", "group", 128), ("per-group g=32", "group", 32)]


def gaussian_matrix(seed: int = 0, rows: int = ROWS, cols: int = COLS) -> Matrix:
    rng = random.Random(seed)
    return [[rng.gauss(0.0, 1.0) for _ in range(cols)] for _ in range(rows)]


def with_outlier_column(W: Matrix, column: int = OUTLIER, factor: float = FACTOR) -> Matrix:
    return [[w * factor if j == column else w for j, w in enumerate(row)] for row in W]


def with_outlier_row(W: Matrix, row_index: int = OUTLIER, factor: float = FACTOR) -> Matrix:
    return [[w * factor for w in row] if i == row_index else list(row) for i, row in enumerate(W)]


def granularity_rows(W: Matrix, ordinary) -> list[dict]:
    rows = []
    for name, granularity, group in SCHEMES:
        W_hat = quantize_matrix(W, BITS, granularity, group or 128)
        n_scales = scales_stored((len(W), len(W[0])), granularity, group or 128)
        rows.append({"scheme": name, "scales": n_scales, "bpw": BITS + 16 * n_scales / (len(W) * len(W[0])),
                     "all": relative_error(W, W_hat), "ordinary": relative_error(W, W_hat, ordinary),
                     "zeros": rounded_to_zero(W, W_hat, ordinary)})
    return rows


def print_granularity(title: str, W: Matrix, ordinary) -> None:
    print(title)
    print(f"  {'scheme':<16}{'scales':>7}{'bits/weight':>13}{'rel. error, all':>17}{'ordinary weights':>18}"
          f"{'ordinary -> 0':>15}")
    for r in granularity_rows(W, ordinary):
        print(f"  {r['scheme']:<16}{r['scales']:>7}{r['bpw']:>13.4f}{r['all']:>17.4f}{r['ordinary']:>18.4f}"
              f"{r['zeros']:>15.2%}")


def main() -> None:
    base = gaussian_matrix()
    print(f"Toy weight matrix: {ROWS} output channels x {COLS} input channels, N(0, 1) entries, seed 0.")
    print(f"{BITS}-bit symmetric round-to-nearest; every scale stored in 16 bits.\n")
    print_granularity(f"A. Input channel {OUTLIER} multiplied by {FACTOR:g}: every row holds one large weight",
                      with_outlier_column(base), lambda i, j: j != OUTLIER)
    print_granularity(f"\nB. Output channel {OUTLIER} multiplied by {FACTOR:g}: one whole row is large",
                      with_outlier_row(base), lambda i, j: i != OUTLIER)

    print(f"\nC. Symmetric vs asymmetric, {BITS}-bit per-channel: relative error")
    folded = [[abs(w) for w in row] for row in base]
    for name, W in (("N(0, 1): centred on 0", base), ("|N(0, 1)|: all values >= 0", folded)):
        sym = relative_error(W, quantize_matrix(W, BITS, "channel", symmetric=True))
        asym = relative_error(W, quantize_matrix(W, BITS, "channel", symmetric=False))
        print(f"  {name:<28} symmetric {sym:.4f}   asymmetric {asym:.4f}")

    print("\nD. Bits per weight of common 4-bit layouts (4-bit codes + what each group shares)")
    layouts = [("INT4 symmetric, g=128, 16-bit scale", 128, 16, 0),
               ("INT4 asymmetric, g=128, 16-bit scale + 4-bit zero point", 128, 16, 4),
               ("llama.cpp Q4_0: g=32, 16-bit scale", 32, 16, 0),
               ("MXFP4: g=32, 8-bit power-of-two scale (E8M0)", 32, 8, 0),
               ("NVFP4: g=16, 8-bit FP8 scale (E4M3), + 1 FP32 per tensor", 16, 8, 0),
               ("NF4 (bitsandbytes): g=64, 32-bit absmax", 64, 32, 0),
               ("NF4 + double quantization: absmax in 8 bits, g=256 of them", 64, 8 + 32 / 256, 0)]
    for name, group, scale_bits, zero_bits in layouts:
        print(f"  {name:<60}{bits_per_weight(4, group, scale_bits, zero_bits):>8.3f}")


if __name__ == "__main__":
    main()
