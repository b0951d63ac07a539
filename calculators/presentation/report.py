"""Human-readable reports of the calculators' JSON results, as HTML tables and Markdown, in English or 繁體中文.

The browser pages and the site build both render results with these functions, so the first-paint result and
every recalculated one look the same. Every value that reaches the HTML is escaped: a config's strings (a model
name with markup in it, say) are shown as text, never interpreted. The labels are this module's; the engine's own
sentences (how each term is computed, the notes) come in the result dict, already in the page's language: the
pages pass the dict that ``to_dict(lang)`` gives (:func:`calculators.cli.run_localized`), while the JSON result
stays English.
"""

from __future__ import annotations

from html import escape

GIB = 2**30
GB = 10**9

LABELS = {
    "en": {
        "quantity": "Quantity", "value": "Value", "component": "Component", "parameters": "Parameters",
        "active": "Active per token", "bytes": "Memory", "how": "How it is computed", "layers": "Layers",
        "kind": "Layer kind", "cached_tokens": "Cached tokens per sequence", "bytes_per_token": "Bytes per token",
        "total": "Total parameters", "active_params": "Active parameters per token",
        "checkpoint_only": "In the checkpoint only (not built by transformers)",
        "kv_cache_bytes": "KV cache (all GPUs)", "per_gpu_kv": "KV cache per GPU",
        "recurrent_state_bytes": "Recurrent state (constant in context length)", "fits": "Fits",
        "yes": "yes", "no": "no", "per_gpu_bytes": "Memory per GPU (in budget)", "gpu_usable_bytes": "Budget per GPU",
        "headroom_bytes": "Headroom per GPU", "max_seq_len": "Largest context at this batch",
        "max_batch": "Most concurrent sequences at this context", "decode": "Decode upper bound (memory bandwidth)",
        "tokens_per_s": "tokens/s", "tokens": "tokens", "sequences": "sequences", "gpu": "GPU", "count": "Count",
        "peak_bytes": "Peak training memory per GPU", "trainable_params": "Trainable parameters",
        "outside_budget": "outside the budget", "notes": "Notes", "options": "GPU sets that fit, best first",
        "none_fit": "No GPU set in the catalog fits.", "deployment": "Deployment",
        "approximate": "Approximate: this model type is not supported exactly.",
        "vllm_prints": "What vLLM {version} prints at start-up", "weights_take": "model weights take",
        "available_kv": "Available KV cache memory", "kv_tokens": "GPU KV cache size",
        "concurrency": "Maximum concurrency for {tokens} tokens per request", "refusal": "vLLM refuses to start",
        "no_bandwidth": "– (no bandwidth is known for this GPU)",
    },
    "zh-TW": {
        "quantity": "項目", "value": "數值", "component": "元件", "parameters": "參數量",
        "active": "每個詞元啟用", "bytes": "記憶體", "how": "計算方式", "layers": "層數",
        "kind": "層的種類", "cached_tokens": "每個序列快取的詞元數", "bytes_per_token": "每個詞元的位元組數",
        "total": "總參數量", "active_params": "每個詞元啟用的參數量",
        "checkpoint_only": "僅存在於檢查點（transformers 不會建立）",
        "kv_cache_bytes": "KV 快取（所有 GPU）", "per_gpu_kv": "每張 GPU 的 KV 快取",
        "recurrent_state_bytes": "遞迴狀態（不隨上下文長度增加）", "fits": "放得下",
        "yes": "是", "no": "否", "per_gpu_bytes": "每張 GPU 的記憶體（預算內）", "gpu_usable_bytes": "每張 GPU 的預算",
        "headroom_bytes": "每張 GPU 的剩餘空間", "max_seq_len": "此批次大小下最長的上下文",
        "max_batch": "此上下文長度下最多的並行序列數", "decode": "解碼速度上限（記憶體頻寬）",
        "tokens_per_s": "詞元/秒", "tokens": "個詞元", "sequences": "個序列", "gpu": "GPU", "count": "數量",
        "peak_bytes": "每張 GPU 的訓練記憶體峰值", "trainable_params": "可訓練參數量",
        "outside_budget": "不計入預算", "notes": "附註", "options": "放得下的 GPU 組合（最佳者在前）",
        "none_fit": "型錄中沒有任何 GPU 組合放得下。", "deployment": "部署方式",
        "approximate": "近似值：此模型類型未獲精確支援。",
        "vllm_prints": "vLLM {version} 啟動時會印出的數字", "weights_take": "model weights take（權重）",
        "available_kv": "Available KV cache memory（可用的 KV 快取記憶體）",
        "kv_tokens": "GPU KV cache size（KV 快取可容納的詞元數）",
        "concurrency": "Maximum concurrency for {tokens} tokens per request（每個請求 {tokens} 個詞元時的最大並行數）",
        "refusal": "vLLM 拒絕啟動（vLLM 原文）", "no_bandwidth": "–（不知道這張 GPU 的頻寬）",
    },
}


def memory_signed(nbytes: int) -> str:
    """:func:`memory`, with a minus sign when vLLM would print a negative figure."""
    return ("-" + memory(-nbytes)) if nbytes < 0 else memory(nbytes)


def memory(nbytes: int | None) -> str:
    """'14.96 GiB (16.06 GB)': both units, each labelled."""
    if nbytes is None:
        return "–"
    return f"{nbytes / GIB:,.2f} GiB ({nbytes / GB:,.2f} GB)"


def count(n: int | None) -> str:
    return "–" if n is None else f"{n:,}"


def render_html(command: str, result: dict, lang: str = "en") -> str:
    """HTML tables for one command's result (the dict that `--json` prints, with its sentences in ``lang``)."""
    text = LABELS[lang]
    summary, detail_head, detail_rows = _SECTIONS[command](result, text)
    parts = []
    if result.get("approximate"):
        parts.append(f'<p class="calc-approximate">{escape(text["approximate"])}</p>')
    parts.append(_table((text["quantity"], text["value"]), summary, "calc-summary"))
    if detail_rows:
        parts.append(_table(detail_head, detail_rows, "calc-breakdown"))
    notes = result.get("notes") or []
    if notes:
        items = "".join(f"<li>{escape(str(note))}</li>" for note in notes)
        parts.append(f'<p class="calc-notes-title">{escape(text["notes"])}</p><ul class="calc-notes">{items}</ul>')
    return "\n".join(parts)


def render_markdown(command: str, result: dict, lang: str = "en") -> str:
    """The same tables as Markdown, for the page's "copy as Markdown" button."""
    text = LABELS[lang]
    summary, detail_head, detail_rows = _SECTIONS[command](result, text)
    blocks = [_markdown_table((text["quantity"], text["value"]), summary)]
    if detail_rows:
        blocks.append(_markdown_table(detail_head, detail_rows))
    return "\n\n".join(blocks) + "\n"


def _params(r: dict, t: dict):
    summary = [(t["total"], count(r["total"]))]
    if r.get("num_experts"):
        summary.append((t["active_params"], count(r["active"])))
    if r.get("checkpoint_only"):
        summary.append((t["checkpoint_only"], count(r["checkpoint_only"])))
    active = r.get("active_by_component", {})
    rows = [(name, count(n), count(active.get(name, n))) for name, n in r["breakdown"].items()]
    return summary, (t["component"], t["parameters"], t["active"]), rows


def _kv(r: dict, t: dict):
    summary = [(t["kv_cache_bytes"], memory(r["kv_cache_bytes"]))]
    if r.get("tp", 1) > 1:
        summary.append((t["per_gpu_kv"], memory(r["per_gpu_kv_cache_bytes"])))
    if r.get("recurrent_state_bytes"):
        summary.append((t["recurrent_state_bytes"], memory(r["recurrent_state_bytes"])))
    rows = [
        (layer["kind"], count(layer["layers"]), count(layer["cached_tokens"]), count(layer["bytes_per_token"]),
         memory(layer["kv_cache_bytes"] + layer["recurrent_state_bytes"]))
        for layer in r["layers"]
    ]
    return summary, (t["kind"], t["layers"], t["cached_tokens"], t["bytes_per_token"], t["bytes"]), rows


def _plan(r: dict, t: dict):
    summary = [
        (t["deployment"], f'{r["count"]} × {r["gpu_name"]}, {r["engine"]}, {r["weights_format"]}, KV {r["kv_dtype"]}'),
        (t["fits"], t["yes"] if r["fits"] else t["no"]),
        (t["per_gpu_bytes"], memory(r["per_gpu_bytes"])),
        (t["gpu_usable_bytes"], memory(r["gpu_usable_bytes"])),
        (t["headroom_bytes"], memory(r["headroom_bytes"])),
        (t["max_seq_len"], f'{count(r["max_seq_len"])} {t["tokens"]}'),
        (t["max_batch"], f'{count(r["max_batch"])} {t["sequences"]}'),
        (t["decode"], f'{r["decode_tokens_per_s_bound"]:,.1f} {t["tokens_per_s"]}'
         if r["decode_tokens_per_s_bound"] is not None else t["no_bandwidth"]),
    ]
    if r["engine"] == "vllm":
        summary += [
            (t["vllm_prints"].format(version=r["vllm_version"]), ""),
            (t["weights_take"], memory(r["terms"]["weights"]["bytes"])),
            (t["available_kv"], memory_signed(r["available_kv_cache_bytes"])),
            (t["kv_tokens"], f'{count(r["kv_cache_tokens"])} {t["tokens"]}'),
            (t["concurrency"].format(tokens=count(r["seq_len"])), f'{r["max_concurrency"]:.2f}x'),
        ]
        if r["refusal"]:
            summary.append((t["refusal"], r["refusal"]))
    rows = [
        (name, memory(term["bytes"]) + ("" if term["in_budget"] else f' ({t["outside_budget"]})'), term["model"])
        for name, term in r["terms"].items()
    ]
    return summary, (t["component"], t["bytes"], t["how"]), rows


def _recommend(r: dict, t: dict):
    options = r["options"]
    summary = [(t["options"], str(len(options)) if options else t["none_fit"])]
    rows = [(o["gpu_name"], str(o["count"]), memory(o["per_gpu_bytes"]), memory(o["headroom_bytes"])) for o in options]
    return summary, (t["gpu"], t["count"], t["per_gpu_bytes"], t["headroom_bytes"]), rows


def _train(r: dict, t: dict):
    summary = [(t["trainable_params"], count(r["trainable_params"])), (t["peak_bytes"], memory(r["peak_bytes"]))]
    if r.get("gpu"):
        summary += [
            (t["gpu_usable_bytes"], memory(r["gpu_usable_bytes"])),
            (t["fits"], t["yes"] if r["fits"] else t["no"]),
            (t["headroom_bytes"], memory(r["headroom_bytes"])),
        ]
    rows = [(name, memory(term["bytes"]), term["formula"]) for name, term in r["terms"].items()]
    return summary, (t["component"], t["bytes"], t["how"]), rows


_SECTIONS = {"params": _params, "kv": _kv, "plan": _plan, "recommend": _recommend, "train": _train}


def _table(head, rows, css_class: str) -> str:
    header = "".join(f"<th>{escape(str(h))}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    # The class goes on a wrapper: Material styles only tables without a class of their own.
    return f'<div class="{css_class}"><table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div>'


def _markdown_table(head, rows) -> str:
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(head), line(["---"] * len(head)), *(line(row) for row in rows)])
