"""Level 3: the dominant per-layer costs of the methods, in multiply-adds, for two layer shapes and n calibration
tokens (128 segments of 2,048 tokens, the calibration set of the GPTQ paper). Standard library.

    python -m snippets.level3_formalization.costs
"""

from __future__ import annotations

import math

N_TOKENS = 128 * 2048
AWQ_GRID = 20  # alpha values tried, as in snippets/scratch/awq.py


# --8<-- [start:costs]
def costs(d_in: int, d_out: int, n: int) -> dict[str, float]:
    """Leading multiply-add counts per linear layer W [d_out, d_in] (constants dropped where they are small)."""
    return {
        "RTN": d_out * d_in,  # one pass over the weights
        "Wanda": n * d_in + d_out * d_in * math.log2(d_in),  # input norms, then a sort per row
        "AWQ": AWQ_GRID * (n * d_in * d_out + d_out * d_in),  # each alpha: quantize W, run the layer on X
        "GPTQ / SparseGPT: H = 2XX^T": n * d_in**2,
        "GPTQ / SparseGPT: Cholesky, H^-1": d_in**3,  # a few d^3/3 factorizations
        "GPTQ / SparseGPT: column sweep": d_out * d_in**2,  # column q updates d_out x (d_in - q) weights
    }
# --8<-- [end:costs]


if __name__ == "__main__":
    print(f"n = {N_TOKENS:,} calibration tokens")
    for d_in, d_out in [(4096, 4096), (11008, 4096)]:
        print(f"d_in = {d_in:,}, d_out = {d_out:,}:")
        for name, value in costs(d_in, d_out, N_TOKENS).items():
            print(f"  {name:34s} {value:9.2e}")
