"""What every lab notebook needs: where the repository is, where a lab keeps its files, how it measures and records.

Measurements are what the notebook's machine does, named with it (:func:`machine`): latency and throughput are the
median of timed repeats after warm-up runs; peak memory is ``torch.cuda.max_memory_allocated`` on a GPU and, on a
CPU, the largest resident set size the process reached (``ru_maxrss``) together with the Python allocations that
``tracemalloc`` traced during the call. :func:`record` writes a figure to the lab's results file,
``benchmarks/results/lab-<lab>.json`` (``lab-<lab>-real.json`` at the real scale), which the lab's README page
renders; ``LAB_RESULTS_DIR`` redirects it (the tests run the notebooks against a temporary folder).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from snippets import REPO_ROOT

SCALES = ("tiny", "real")


def lab_dir(lab: str, scale: str) -> Path:
    """Where a lab keeps checkpoints between its notebooks (``.cache/labs/<lab>/<scale>``, not committed)."""
    check_scale(scale)
    path = REPO_ROOT / ".cache" / "labs" / lab / scale
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_scale(scale: str) -> str:
    if scale not in SCALES:
        raise ValueError(f"scale: expected one of {', '.join(SCALES)}; got {scale!r}")
    return scale


def device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def machine() -> str:
    """The machine the figures come from, in words."""
    import torch

    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}"
    return f"{platform.processor() or platform.machine()} CPU x {os.cpu_count()}, torch {torch.__version__}"


def results_path(lab: str, scale: str) -> Path:
    folder = Path(os.environ.get("LAB_RESULTS_DIR") or REPO_ROOT / "benchmarks" / "results")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (f"lab-{lab}.json" if check_scale(scale) == "tiny" else f"lab-{lab}-real.json")


def record(lab: str, scale: str, key: str, value) -> None:
    """Store one measured figure (any JSON value) under ``key`` in the lab's results file, with the machine."""
    path = results_path(lab, scale)
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data[key] = value
    data["machine"] = machine()
    path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def median_seconds(fn: Callable[[], object], warmup: int = 2, repeats: int = 5) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs after ``warmup`` untimed runs (GPU work synchronized)."""
    import torch

    def sync() -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()

    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_memory_bytes(fn: Callable[[], object]) -> dict:
    """Peak memory of one call of ``fn``: GPU allocator peak on CUDA; on a CPU, traced Python allocations and the
    process's largest resident set so far (``ru_maxrss`` never goes down, so it bounds the call from above)."""
    import torch

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
        fn()
        return {"device": "cuda", "peak_allocated_bytes": int(torch.cuda.max_memory_allocated())}
    tracemalloc.start()
    try:
        fn()
        _, traced_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"device": "cpu", "traced_python_peak_bytes": int(traced_peak),
            "max_rss_bytes": int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024}


def size_on_disk(path: Path) -> int:
    """Bytes of every file under ``path`` (a checkpoint folder)."""
    path = Path(path)
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size
