"""The entry point of the calculator pages: one call runs a CLI command and renders everything a page shows.

The browser's worker (through Pyodide) and the site build (for the first paint) both call :func:`page_result`, so
a page shows the same numbers before and after Python starts in the browser, and its ``result`` is exactly the
JSON that ``python -m calculators ... --json`` prints for the same arguments. A pasted config is the CLI run on a
file named ``config.json`` in the working directory.
"""

from __future__ import annotations

import json
from pathlib import Path

from .chart import memory_chart_svg
from .cli import plan_inputs, run_json
from .configs import parse_config_json
from .errors import CalculatorError
from .report import render_html, render_markdown, translator

PASTED_CONFIG = "config.json"
CHART_LABELS = {
    "en": {},
    "zh-TW": {
        "weights": "權重", "runtime": "激活值與執行環境", "kv_cache": "KV 快取", "budget": "預算",
        "total": "GPU 記憶體", "x_axis": "上下文長度（詞元，對數刻度）", "y_axis": "每張 GPU 的 GiB",
    },
}


def page_result(argv: list[str], lang: str = "en", config_text: str | None = None) -> dict:
    """Run ``argv`` (as after ``python -m calculators``) and return what a page needs.

    Success: ``{"ok": True, "command", "result", "html", "markdown", "svg"}`` (svg is "" except for ``plan``).
    Bad input: ``{"ok": False, "field", "message"}`` with the engine's own message (in 繁體中文 for
    ``lang="zh-TW"``, still starting with ``"FIELD: "``); nothing else escapes.
    """
    try:
        if config_text is not None:
            parse_config_json(config_text, field="config-json")  # a clear error before the file is written
            Path(PASTED_CONFIG).write_text(config_text, encoding="utf-8")
        result = run_json(argv)
        command = argv[0]
        svg = _chart(argv, lang) if command == "plan" else ""
        return {
            "ok": True,
            "command": command,
            "result": result,
            "html": render_html(command, result, lang),
            "markdown": render_markdown(command, result, lang),
            "svg": svg,
        }
    except CalculatorError as error:
        return {"ok": False, "field": error.field, "message": translator(lang)(str(error))}


def page_result_json(argv_json: str, lang: str = "en", config_text: str | None = None) -> str:
    """:func:`page_result` with JSON in and out, for JavaScript callers."""
    return json.dumps(page_result(json.loads(argv_json), lang, config_text))


def _chart(argv: list[str], lang: str) -> str:
    spec, deployment = plan_inputs(argv)
    return memory_chart_svg(spec, labels=CHART_LABELS[lang], **deployment)
