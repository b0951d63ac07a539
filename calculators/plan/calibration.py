"""How close the planner is to real vLLM: one logged start-up against the plan for the same deployment.

A calibration entry (``tests/data/vllm-startup-logs.json``) holds what vLLM printed (``model_weights_gib``,
``kv_cache_gib``, ``kv_cache_tokens``, ``max_concurrency``, ``startup_failed``), the verbatim lines and their
source, and a ``planner`` block: the deployment as this calculator's inputs, with every assumption stated.
:func:`compare` plans that deployment and says, figure by figure, how far the plan is from the log.

The tolerances are the issue's targets, stated once here for the test, the benchmark and the page:

* weights per GPU ("model weights take" / "Model loading took") within 1.5%;
* the KV cache: the available memory within max(5%, 0.3 GiB), or vLLM's token count within 5%;
* a refusal is predicted exactly when vLLM refused to start.
"""

from __future__ import annotations

from calculators.model.configs import preset_config
from calculators.model.families import model_spec
from calculators.plan.inference import memory_plan

GIB = 2**30
WEIGHTS_TOLERANCE = 0.015
KV_TOLERANCE = 0.05
KV_TOLERANCE_GIB = 0.3
TOKENS_TOLERANCE = 0.05
FIGURES = ("weights_gib", "logged_weights_gib", "weights_error", "kv_gib", "logged_kv_gib", "kv_error_gib", "kv_error",
           "kv_tokens", "logged_kv_tokens", "tokens_error", "max_concurrency", "logged_max_concurrency", "refusal",
           "logged_refusal")


def plan_for(entry: dict, **overrides):
    """The :class:`~calculators.plan.inference.MemoryPlan` of an entry's ``planner`` block (``overrides`` replace
    inputs)."""
    p = {**entry["planner"], **overrides}
    config = dict(p["config"]) if p.get("config") else {**preset_config(p["model"]), **(p.get("config_changes") or {})}
    spec = model_spec(config, source=entry["id"])
    return memory_plan(spec, weights=p.get("weights"), seq_len=p["seq_len"], gpu=p.get("gpu"),
                       gpu_memory_gib=p.get("gpu_memory_gib"), count=p["count"], vllm_version=p["vllm_version"],
                       gpu_memory_utilization=p.get("gpu_memory_utilization"), max_num_seqs=p.get("max_num_seqs"),
                       max_num_batched_tokens=p.get("max_num_batched_tokens"), entrypoint=p.get("entrypoint", "serve"),
                       cuda_graphs=not p.get("enforce_eager", False), inverse=False)


def compare(entry: dict) -> dict:
    """Predicted and logged figures of one entry, their errors, and whether each is within tolerance."""
    plan = plan_for(entry)
    checks = entry["planner"]["compare"]
    row = {"id": entry["id"], "vllm_version": entry["planner"]["vllm_version"], "release": plan.vllm_version,
           "engine": entry.get("engine"), "model": entry.get("model_id"), "gpu": entry["gpu"].get("name"),
           "count": plan.count, "checks": list(checks), "outlier": entry.get("known_outlier"),
           "outlier_zh": entry.get("known_outlier_zh")}
    row.update({key: None for key in FIGURES})
    verdicts = []
    if "weights" in checks and entry.get("model_weights_gib") is not None:
        predicted, logged = plan.terms["weights"].bytes / GIB, entry["model_weights_gib"]
        error = predicted / logged - 1
        row.update(weights_gib=round(predicted, 4), logged_weights_gib=logged, weights_error=round(error, 4))
        verdicts.append(abs(error) <= WEIGHTS_TOLERANCE)
    if "kv" in checks:
        kv_ok = []
        if entry.get("kv_cache_gib") is not None:
            predicted, logged = plan.available_kv_cache_bytes / GIB, entry["kv_cache_gib"]
            row.update(kv_gib=round(predicted, 3), logged_kv_gib=logged, kv_error_gib=round(predicted - logged, 3),
                       kv_error=round((predicted - logged) / abs(logged), 4) if logged else None)
            kv_ok.append(abs(predicted - logged) <= max(KV_TOLERANCE * abs(logged), KV_TOLERANCE_GIB))
        if entry.get("kv_cache_tokens"):
            error = plan.kv_cache_tokens / entry["kv_cache_tokens"] - 1
            row.update(kv_tokens=plan.kv_cache_tokens, logged_kv_tokens=entry["kv_cache_tokens"],
                       tokens_error=round(error, 4))
            kv_ok.append(abs(error) <= TOKENS_TOLERANCE)
        if entry.get("max_concurrency"):
            row.update(max_concurrency=plan.max_concurrency, logged_max_concurrency=entry["max_concurrency"]["x"])
        verdicts.append(any(kv_ok))
    if "refusal" in checks:
        row.update(refusal=plan.refusal is not None, logged_refusal=bool(entry.get("startup_failed")))
        verdicts.append(row["refusal"] == row["logged_refusal"])
    row["within_tolerance"] = all(verdicts) and bool(verdicts)
    return row


def summary(rows: list[dict]) -> dict:
    """Error distribution over the compared entries: per figure, and per vLLM release range; with the tolerances
    they are judged by, for the page to state."""
    def spread(values: list[float]) -> dict:
        values = sorted(abs(v) for v in values)
        if not values:
            return {"n": 0}
        return {"n": len(values), "median_abs": round(values[len(values) // 2], 4), "max_abs": round(values[-1], 4)}

    by_release: dict[str, list[dict]] = {}
    for row in rows:
        by_release.setdefault(row["release"], []).append(row)
    return {
        "entries": len(rows),
        "within_tolerance": sum(row["within_tolerance"] for row in rows),
        "tolerance": {"weights_percent": round(WEIGHTS_TOLERANCE * 100, 6), "kv_percent": round(KV_TOLERANCE * 100, 6),
                      "kv_gib": KV_TOLERANCE_GIB, "tokens_percent": round(TOKENS_TOLERANCE * 100, 6)},
        "weights_error": spread(_present(rows, "weights_error")),
        "kv_error_gib": spread(_present(rows, "kv_error_gib")),
        "kv_error": spread(_present(rows, "kv_error")),
        "tokens_error": spread(_present(rows, "tokens_error")),
        "by_release": [
            {"release": release, "entries": len(group), "within_tolerance": sum(r["within_tolerance"] for r in group),
             "weights_error_max_abs": spread(_present(group, "weights_error")).get("max_abs"),
             "kv_error_gib_max_abs": spread(_present(group, "kv_error_gib")).get("max_abs"),
             "tokens_error_max_abs": spread(_present(group, "tokens_error")).get("max_abs")}
            for release, group in sorted(by_release.items(), key=lambda item: _release_key(item[0]))
        ],
    }


def _present(rows: list[dict], key: str) -> list[float]:
    return [row[key] for row in rows if row.get(key) is not None]


def _release_key(label: str) -> tuple[int, ...]:
    first = label.split("-")[0]
    return tuple(int(part) for part in first.split("."))
