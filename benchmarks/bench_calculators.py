"""Time the calculators: parameters, KV cache, weights, memory plans (one call each) and CLI start-up.

Usage: ``python -m benchmarks.bench_calculators [--quick]``. Prints a table naming the machine and writes
``benchmarks/results/calculators.json``. Each API figure is the best of 5 rounds of the mean time of many
calls (``time.perf_counter``); the target is under 1 ms per call in CPython. CLI start-up is the median of
several ``python -m calculators`` subprocesses (interpreter start and imports included).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

from benchmarks import RESULTS, ROOT
from calculators.memory.kv import kv_cache
from calculators.memory.weights import weight_memory
from calculators.model.configs import load_spec, preset_config
from calculators.model.families import model_spec
from calculators.model.params import count_parameters
from calculators.plan.inference import memory_plan, recommend
from calculators.plan.training import training_memory

MODELS = ("meta-llama/Llama-3.1-8B", "deepseek-ai/DeepSeek-V3", "Qwen/Qwen3-Next-80B-A3B-Instruct")


def per_call(fn, calls: int, rounds: int = 5) -> float:
    """Best-of-``rounds`` mean seconds per call of ``fn``."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def cli_startup(runs: int) -> float:
    command = [sys.executable, "-m", "calculators", "params", MODELS[0], "--json"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    args = parser.parse_args()
    calls = 20 if args.quick else 200

    rows = []
    for model in MODELS:
        spec = load_spec(model)
        config = preset_config(model)
        cases = {
            "spec (config dict -> ModelSpec, cached)": lambda c=config, m=model: model_spec(c, source=m),
            "params": lambda s=spec: count_parameters(s),
            "kv (32k tokens x 8)": lambda s=spec: kv_cache(s, seq_len=32768, batch=8, kv_dtype="fp8", tp=8),
            "weights (gptq-int4)": lambda s=spec: weight_memory(s, "gptq-int4"),
            "plan (no inverse questions)": lambda s=spec: memory_plan(
                s, weights="fp8", seq_len=32768, batch=8, gpu="H200", count=8, inverse=False
            ),
            "plan (with max_seq_len, max_batch)": lambda s=spec: memory_plan(
                s, weights="fp8", seq_len=32768, batch=8, gpu="H200", count=8
            ),
            "train (qlora, checkpointing)": lambda s=spec: training_memory(
                s, method="qlora", gradient_checkpointing=True
            ),
            "recommend (all GPUs, TP 1-8)": lambda s=spec: recommend(s, weights="fp8", seq_len=8192, batch=4),
        }
        for name, fn in cases.items():
            heavy = name.startswith(("plan (with", "recommend"))
            seconds = per_call(fn, max(calls // 20, 3) if heavy else calls)
            rows.append({"model": model, "call": name, "microseconds": round(seconds * 1e6, 1)})

    startup = cli_startup(3 if args.quick else 7)
    machine = {
        "processor": platform.processor() or platform.machine(),
        "uname": " ".join(platform.uname()),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }
    print(f"machine: {machine['uname']} ({machine['processor']}, {machine['cpus']} CPUs)")
    print(f"python:  {machine['implementation']} {machine['python']}\n")
    width = max(len(r["call"]) for r in rows)
    print(f"{'model':<36} {'call':<{width}} {'per call':>12}")
    for r in rows:
        flag = "" if r["microseconds"] < 1000 or r["call"].startswith(("plan (with", "recommend")) else "  > 1 ms"
        print(f"{r['model']:<36} {r['call']:<{width}} {r['microseconds']:>9,.1f} us{flag}")
    print(f"\nCLI start-up (python -m calculators params ... --json, median): {startup * 1000:,.0f} ms")

    out = RESULTS / "calculators.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine, "per_call": rows, "cli_startup_ms": round(startup * 1000, 1),
                               "quick": args.quick}, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
