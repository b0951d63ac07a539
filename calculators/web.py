"""The entry point of the calculator pages: one call runs a CLI command and renders everything a page shows.

The browser's worker (through Pyodide) and the site build (for the first paint) both call :func:`page_result`, so
a page shows the same numbers before and after Python starts in the browser, and its ``result`` is exactly the
JSON that ``python -m calculators ... --json`` prints for the same arguments (its ``command_line``). A pasted config
is read into a dict and the command runs on that dict; nothing is written to a file. Its argv names CONFIG
``config.json`` (:data:`calculators.options.PASTED_CONFIG`): the command line shown gives the same result on a
file of that name holding the pasted text.
"""

from __future__ import annotations

import json

from calculators.cli import plan_inputs, run_localized
from calculators.errors import CalculatorError
from calculators.model.configs import parse_config_json
from calculators.options import command_line
from calculators.presentation.chart import memory_chart_svg
from calculators.presentation.report import render_html, render_markdown

CHART_LABELS = {
    "en": {},
    "zh-TW": {
        "weights": "權重", "runtime": "激活值與執行環境", "kv_cache": "KV 快取", "budget": "預算",
        "total": "GPU 記憶體", "x_axis": "上下文長度（詞元，對數刻度）", "y_axis": "每張 GPU 的 GiB",
    },
}


def page_result(argv: list[str], lang: str = "en", config_text: str | None = None) -> dict:
    """Run ``argv`` (as after ``python -m calculators``) and return what a page needs.

    Success: ``{"ok": True, "command", "result", "html", "markdown", "svg", "command_line"}`` (svg is "" except
    for ``plan``). Bad input: ``{"ok": False, "field", "message"}`` with the engine's own message (in 繁體中文 for
    ``lang="zh-TW"``, still starting with ``"FIELD: "``; text that is not a JSON object is field ``config-json``,
    the page's box); nothing else escapes. ``config_text``: a pasted config.json, which stands for argv's CONFIG.
    """
    try:
        config = None if config_text is None else parse_config_json(config_text, field="config-json")
        localized = run_localized(argv, config)
        result = localized("en")
        shown = result if lang == "en" else localized(lang)  # the same numbers, its sentences in the page's language
        command = argv[0]
        svg = _chart(argv, config, lang) if command == "plan" else ""
        return {
            "ok": True,
            "command": command,
            "result": result,
            "html": render_html(command, shown, lang),
            "markdown": render_markdown(command, shown, lang),
            "svg": svg,
            "command_line": command_line(argv),
        }
    except CalculatorError as error:
        return {"ok": False, "field": error.field, "message": error.render(lang)}


def page_result_json(argv_json: str, lang: str = "en", config_text: str | None = None) -> str:
    """:func:`page_result` with JSON in and out, for JavaScript callers."""
    return json.dumps(page_result(json.loads(argv_json), lang, config_text))


def _chart(argv: list[str], config: dict | None, lang: str) -> str:
    spec, deployment = plan_inputs(argv, config)
    return memory_chart_svg(spec, labels=CHART_LABELS[lang], **deployment)
