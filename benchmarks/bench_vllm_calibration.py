"""How close is the GPU planner to vLLM? Plan every logged deployment of tests/data/vllm-startup-logs.json and
compare with what vLLM printed.

Usage: ``python -m benchmarks.bench_vllm_calibration``. Prints one line per log and the error distribution (per
figure, and per vLLM release range), and writes ``benchmarks/results/vllm-calibration.json``, which the GPU
planner page renders in both languages. The comparison is arithmetic over public logs: no GPU is needed, and the
result does not depend on the machine it runs on.
"""

from __future__ import annotations

import json

from benchmarks import RESULTS, ROOT
from calculators.plan.calibration import compare, summary

DATA = ROOT / "tests" / "data" / "vllm-startup-logs.json"
RESULT = RESULTS / "vllm-calibration.json"


def main() -> int:
    entries = json.loads(DATA.read_text(encoding="utf-8"))["entries"]
    rows = [compare(entry) for entry in entries if entry["planner"]]
    totals = summary(rows)
    for row in rows:
        figures = [f"weights {row['weights_error']:+.1%}" if row["weights_error"] is not None else "",
                   f"KV {row['kv_error_gib']:+.2f} GiB" if row["kv_error_gib"] is not None else "",
                   f"tokens {row['tokens_error']:+.1%}" if row["tokens_error"] is not None else ""]
        mark = "ok " if row["within_tolerance"] else ("out" if row["outlier"] else "MISS")
        print(f"{mark:4} {row['release']:>12}  {row['id']:<58} {'  '.join(f for f in figures if f)}")
    print(f"\n{totals['within_tolerance']} of {totals['entries']} logs within tolerance")
    for key in ("weights_error", "kv_error", "kv_error_gib", "tokens_error"):
        print(f"{key:>14}: {totals[key]}")
    skipped = [(e["id"], e["not_planned"]) for e in entries if not e["planner"]]
    RESULT.write_text(json.dumps({"data": str(DATA.relative_to(ROOT)), "rows": rows, "summary": totals,
                                  "not_planned_count": len(skipped),
                                  "not_planned": [{"id": i, "why": why} for i, why in skipped]},
                                 indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RESULT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
