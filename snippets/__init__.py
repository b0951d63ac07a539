"""Every piece of Python the handbook shows, as a package run from the repository root.

One folder per part of the site, each file a program that runs on its own (`python -m snippets.<folder>.<file>`)
and whose marked sections the pages include:

    level1_intuition … level5_frontier   the five levels of the learning path (docs/*/learning-path/)
    theory                              the theory chapters (docs/*/theory/)
    recipes                             the llm-compressor, bitsandbytes and distillation recipes (docs/*/recipes/)
    scratch                             the compression methods from scratch in PyTorch, and the tiny Llama they run on
    labs                                what the lab notebooks share (docs/*/labs/)

and `common`, the helpers that several folders use, each written once: the uniform quantizer (common/quantizer.py),
the minifloat grids (minifloat.py), softmax and KL divergence (distillation.py), the KV-cache count of grouped-query
attention (kv_cache.py), the relative squared error of an approximation (error.py) and small linear algebra on lists
(linalg.py). A page that explains one of them includes its section from there.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent  # where the caches (.cache/) and results (benchmarks/results/) live
