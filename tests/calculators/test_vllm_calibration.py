"""The planner against real vLLM start-up logs (tests/data/vllm-startup-logs.json): the data is real, the plan is
within the stated tolerances of every log, and the logs it misses are named with the reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from calculators.plan.calibration import compare, summary

ROOT = Path(__file__).resolve().parents[2]
DATA = json.loads((ROOT / "tests" / "data" / "vllm-startup-logs.json").read_text(encoding="utf-8"))
ENTRIES = DATA["entries"]
PLANNED = [e for e in ENTRIES if e["planner"]]
RESULTS = ROOT / "benchmarks" / "results" / "vllm-calibration.json"


def test_the_data_set_is_the_shared_logs_plus_at_least_twenty_found_ones():
    ids = [e["id"] for e in ENTRIES]
    assert len(ids) == len(set(ids))
    shared = json.loads((ROOT.parent / "shared" / "data" / "vllm-startup-logs.json").read_text(encoding="utf-8")) \
        if (ROOT.parent / "shared" / "data" / "vllm-startup-logs.json").exists() else None
    if shared is not None:
        assert {e["id"] for e in shared["entries"]} <= set(ids)
    assert len(ENTRIES) >= 28 and len({e["source_url"] for e in ENTRIES}) >= 25


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["id"])
def test_every_logged_figure_is_in_its_verbatim_lines(entry):
    assert entry["source_url"].startswith("https://github.com/") and entry["evidence"]
    text = "\n".join(entry["evidence"]).replace(",", "")
    for key in ("model_weights_gib", "kv_cache_gib", "kv_cache_tokens", "gpu_blocks"):
        value = entry.get(key)
        if value is not None:
            assert re.search(rf"(?<![\d.]){re.escape(str(value).rstrip('0').rstrip('.'))}", text), (key, value)
    if entry.get("max_concurrency"):
        assert str(entry["max_concurrency"]["x"]) in text
    if entry["planner"] is None:
        assert entry["not_planned"]


@pytest.mark.parametrize("entry", PLANNED, ids=lambda e: e["id"])
def test_the_plan_is_within_tolerance_of_the_log_or_the_miss_is_named(entry):
    row = compare(entry)
    if entry.get("known_outlier"):
        assert not row["within_tolerance"], "the plan now matches this log: drop its known_outlier note"
    else:
        assert row["within_tolerance"], row


def test_the_published_table_is_the_planners_current_answer():
    published = json.loads(RESULTS.read_text(encoding="utf-8"))
    rows = [compare(entry) for entry in PLANNED]
    assert published["rows"] == rows, "re-run: python -m benchmarks.bench_vllm_calibration"
    assert published["summary"] == summary(rows)
    not_planned = [{"id": e["id"], "why": e["not_planned"]} for e in ENTRIES if not e["planner"]]
    assert published["not_planned"] == not_planned and published["not_planned_count"] == len(not_planned)
