"""Measurements that the pages cite, each with the machine it ran on (results in benchmarks/results/).

Run each from the repository root as a module, e.g. ``python -m benchmarks.bench_vllm_calibration``.
"""

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"  # what the pages render
ROOT = RESULTS.parent.parent  # the repository
