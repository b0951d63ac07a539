"""Build-time shortcodes: `{{ name args }}` in a page's Markdown is replaced by what the project's code renders.

Every value a shortcode produces is computed at build time from the project's data or code, so no page types a
number or a term by hand. An unknown shortcode or a failing one stops the build (a PluginError), never a page
with a gap in it.

Shortcodes:
    {{ glossary SECTION_ID }}  the glossary table of one section of docs/_data/glossary.yml, in the page's language
    {{ calculator NAME }}      an in-browser calculator (params, kv, plan, train) with its first-paint result
    {{ calc COMMAND ARGS... -> KEY.PATH }}
                               one value of `python -m calculators COMMAND ARGS... --json`, formatted: bytes as
                               "x GiB (y GB)", integers with thousands separators, booleans as yes/no
    {{ weights_table MODEL FORMAT,FORMAT,... }}
                               a table of the model's weight memory in each storage format
    {{ config MODEL KEY.PATH }} one field of the config.json the calculators bundle for MODEL
                               (calculators/data/presets.json), e.g. `num_key_value_heads` or
                               `text_config.sliding_window`, formatted like `result`; `head_dim`, where the config
                               leaves it out, is hidden_size // num_attention_heads, as transformers and the
                               calculators derive it
    {{ result FILE KEY.PATH }} one value from benchmarks/results/FILE.json (numbers formatted)
    {{ results_table FILE KEY.PATH COLUMN,COLUMN,... [FIELD=VALUE ...] }}
                               the records of the list at KEY.PATH ("." for a top-level list) as a table of the
                               given columns, keeping only records whose FIELD equals VALUE; on zh-TW
                               pages a column NAME shows the record's NAME_zh when it has one
    {{ gpu_runs }}             a sentence on the latest run of the tests marked `gpu` (benchmarks/results/gpu-runs.json)
    {{ vllm_releases }}        the table of vLLM's memory accounting by release (calculators.plan.vllm_releases)
    {{ run SNIPPET }}          what snippets/SNIPPET prints, run as `python -m snippets.FOLDER.NAME` from the
                               repository root, as a text block (run once per build, shared by both languages; a
                               non-zero exit fails the build)
"""

import html
import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import calculator_widget  # a sibling hook: MkDocs puts hooks/ on sys.path while it loads a hook
import yaml
from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "docs" / "_data"
SNIPPETS_DIR = ROOT / "snippets"
YES_NO = {"en": ("yes", "no"), "zh-TW": ("是", "否")}
# Code (fenced blocks and inline spans) is matched first and left alone, so pages can show the syntax itself.
SHORTCODE = re.compile(
    r"(?P<code>^(?P<fence>```|~~~).*?^(?P=fence)|`[^`\n]+`)"  # a fenced block or an inline code span
    r"|\{\{\s*(?P<name>[a-z_]+)(?P<args>(?:\s+[^\s{}]+)*?)\s*\}\}",
    re.S | re.M,
)


def page_language(page) -> str:
    return "zh-TW" if page.file.src_uri.startswith("zh-TW/") else "en"


@cache
def glossary_sections() -> list[dict]:
    return yaml.safe_load((DATA_DIR / "glossary.yml").read_text(encoding="utf-8"))


def render_glossary(language: str, section_id: str) -> str:
    sections = {section["section"]: section for section in glossary_sections()}
    if section_id not in sections:
        raise PluginError(f"glossary: unknown section {section_id!r}; known: {', '.join(sections)}")
    zh = language == "zh-TW"
    head = ("術語", "English", "定義") if zh else ("Term", "繁體中文", "Definition")
    rows = []
    for term in sections[section_id]["terms"]:
        own, other = (term["zh"], term["en"]) if zh else (term["en"], term["zh"])
        if "abbr" in term:
            own = f"{own} ({term['abbr']})"
        definition = term["def_zh"] if zh else term["def_en"]
        cells = (f'<a href="#{term["id"]}">{html.escape(own)}</a>', html.escape(other), html.escape(definition))
        rows.append(f'<tr id="{term["id"]}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th>{h}</th>" for h in head)
    body = "\n".join(rows)
    return f'<table class="glossary">\n<thead><tr>{header}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>'


def snippet_command(relative_path: str) -> list[str]:
    """The command that runs snippets/<relative_path> (e.g. "level4_theory/ste.py") as a module of the `snippets`
    package, from the repository root, so that it imports its siblings and the shared helpers by package name."""
    module = "snippets." + relative_path.removesuffix(".py").replace("/", ".")
    return [sys.executable, "-m", module]


SNIPPET_ENV = {"PYTHONHASHSEED": "0", "HF_HUB_OFFLINE": "1"}  # the same output on every build


@cache
def snippet_output(relative_path: str, mtime_ns: int) -> str:
    """Run a snippet and return what it printed; cached for the build (both languages) and, under `mkdocs serve`,
    until a file of the package changes (mtime_ns: the newest of them, since a snippet imports its neighbours)."""
    result = subprocess.run(snippet_command(relative_path), cwd=ROOT, env={**os.environ, **SNIPPET_ENV},
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise PluginError(f"run {relative_path}: exited with {result.returncode}\n{result.stderr[-2000:]}")
    return result.stdout


def render_run(language: str, relative_path: str) -> str:
    path = SNIPPETS_DIR / relative_path
    if not path.is_file():
        raise PluginError(f"run: no snippet {path.relative_to(ROOT)}")
    newest_ns = max(source.stat().st_mtime_ns for source in SNIPPETS_DIR.rglob("*.py"))
    output = snippet_output(relative_path, newest_ns).rstrip("\n")
    title = "輸出" if language == "zh-TW" else "Output"
    return f'```text title="{title}: {relative_path}"\n{output}\n```'


def render_calc(language: str, *words: str) -> str:
    from calculators.cli import run_json
    from calculators.errors import CalculatorError
    from calculators.presentation.report import count, memory

    if "->" not in words or words.index("->") != len(words) - 2:
        raise PluginError(f"calc: expected `calc COMMAND ARGS... -> KEY.PATH`, got {' '.join(words)!r}")
    argv, path = list(words[:-2]), words[-1]
    try:
        value = run_json(argv)
    except CalculatorError as error:
        raise PluginError(f"calc {' '.join(argv)}: {error}") from error
    for key in path.split("."):
        try:
            value = value[int(key)] if isinstance(value, list) else value[key]
        except (KeyError, IndexError, ValueError) as error:
            raise PluginError(f"calc {' '.join(argv)}: no {path!r} in the result") from error
    if isinstance(value, bool):
        return _format(value, language)
    if isinstance(value, int):
        return memory(value) if path.endswith("bytes") else count(value)
    if isinstance(value, float):
        return f"{value:,.1f}"
    return html.escape(str(value))


def render_weights_table(language: str, model: str, formats: str) -> str:
    from calculators.memory.weights import weight_memory
    from calculators.model.configs import load_spec
    from calculators.model.params import count_parameters
    from calculators.presentation.report import memory

    spec = load_spec(model)
    params = count_parameters(spec).total
    head = {
        "en": ("Format", "Weight memory", "Bits per parameter"),
        "zh-TW": ("格式", "權重記憶體", "每參數位元數"),
    }[language]
    rows = [f"| {head[0]} | {head[1]} | {head[2]} |", "|---|---:|---:|"]
    for fmt in formats.split(","):
        nbytes = weight_memory(spec, fmt).total_bytes
        rows.append(f"| `{fmt}` | {memory(nbytes)} | {8 * nbytes / params:.2f} |")
    return "\n".join(rows)


def render_config(language: str, model: str, path: str) -> str:
    from calculators.errors import CalculatorError
    from calculators.model.configs import preset_config

    try:
        config = preset_config(model)
    except CalculatorError as error:
        raise PluginError(f"config {model}: {error}") from error
    if path == "head_dim" and "head_dim" not in config and {"hidden_size", "num_attention_heads"} <= config.keys():
        config["head_dim"] = config["hidden_size"] // config["num_attention_heads"]
    value = _lookup(config, path, f"config {model}")
    if value is None or isinstance(value, (dict, list)):
        raise PluginError(f"config {model}: {path!r} is {json.dumps(value)[:60]}, not one value")
    return _format(value, language)


RESULTS_DIR = ROOT / "benchmarks" / "results"


def _results(file: str):
    path = RESULTS_DIR / f"{file}.json"
    if not path.is_file():
        raise PluginError(f"results: no {path.relative_to(ROOT)}")
    return json.loads(path.read_text(encoding="utf-8"))


def _lookup(value, path: str, what: str):
    for key in [] if path == "." else path.split("."):
        try:
            value = value[int(key)] if isinstance(value, list) else value[key]
        except (KeyError, IndexError, ValueError, TypeError) as error:
            raise PluginError(f"{what}: no {path!r}") from error
    return value


def _format(value, language: str = "en") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return YES_NO[language][0 if value else 1]
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.1f}"
    return html.escape(str(value))


def _localized(value, path: str, what: str, language: str):
    """The value at ``path``; on zh-TW pages its ``KEY_zh`` twin where there is one (a label written in words)."""
    if language == "zh-TW":
        parent, _, key = path.rpartition(".")
        container = _lookup(value, parent or ".", what)
        if isinstance(container, dict) and f"{key}_zh" in container:
            return container[f"{key}_zh"]
    return _lookup(value, path, what)


def render_result(language: str, file: str, path: str) -> str:
    return _format(_localized(_results(file), path, f"result {file}", language), language)


def render_results_table(language: str, file: str, path: str, columns: str, *filters: str) -> str:
    records = _lookup(_results(file), path, f"results_table {file}")
    wanted = dict(f.split("=", 1) for f in filters)
    names = columns.split(",")
    rows = [f"| {' | '.join(f'`{n}`' for n in names)} |", "|" + "---|" * len(names)]
    kept = [r for r in records if all(str(r.get(k)) == v for k, v in wanted.items())]
    if not isinstance(records, list):
        raise PluginError(f"results_table {file}: {path!r} is not a list")
    if not kept:
        raise PluginError(f"results_table {file}: no record matches {filters}")
    for record in kept:
        rows.append("| " + " | ".join(_format(_localized(record, n, f"results_table {file}", language), language)
                                      for n in names) + " |")
    return "\n".join(rows)


RELEASE_HEADERS = {
    "en": ("vLLM releases", "Engine", "Default `gpu_memory_utilization`", "CUDA graphs in the budget",
           "CUDA context in the budget", "Sampler sorts the vocabulary", "What the KV budget subtracts"),
    "zh-TW": ("vLLM 版本", "引擎", "`gpu_memory_utilization` 預設值", "CUDA graph 計入預算", "CUDA context 計入預算",
              "取樣器排序詞彙表", "KV 預算扣除的項目"),
}


def render_vllm_releases(language: str) -> str:
    from calculators.messages import render
    from calculators.plan.vllm_releases import RELEASES

    rows = ["| " + " | ".join(RELEASE_HEADERS[language]) + " |", "|" + "---|" * len(RELEASE_HEADERS[language])]
    for r in RELEASES:
        budget = render(r.summary, language)
        cells = (r.label, r.engine, f"{r.default_gpu_memory_utilization:g}", _format(r.cuda_graphs_in_budget, language),
                 _format(r.context_in_budget, language), _format(r.sorting_sampler, language), html.escape(budget))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


GPU_RUNS = {
    "en": ("No run of the tests marked `gpu` is recorded yet (`benchmarks/results/gpu-runs.json`).",
           "The tests marked `gpu` last ran on {date} on {gpu}: {passed} passed, {failed} failed "
           "(`benchmarks/results/gpu-runs.json`)."),
    "zh-TW": ("目前還沒有標記為 `gpu` 的測試的執行紀錄（`benchmarks/results/gpu-runs.json`）。",
              "標記為 `gpu` 的測試最近一次在 {date} 於 {gpu} 上執行：{passed} 項通過、{failed} 項失敗"
              "（`benchmarks/results/gpu-runs.json`）。"),
}


def render_gpu_runs(language: str) -> str:
    runs = _results("gpu-runs")["runs"]
    none, latest = GPU_RUNS[language]
    return latest.format(**runs[-1]) if runs else none


def render_calculator(language: str, name: str) -> str:
    page = _current_page["page"]
    if name not in calculator_widget.CALCULATORS:
        raise PluginError(f"calculator: unknown {name!r}; known: {', '.join(calculator_widget.CALCULATORS)}")
    return calculator_widget.render(language, name, page.file.dest_uri, _current_page["config"])


SHORTCODES = {
    "calc": render_calc,
    "weights_table": render_weights_table,
    "config": render_config,
    "calculator": render_calculator,
    "result": render_result,
    "results_table": render_results_table,
    "glossary": render_glossary,
    "run": render_run,
    "vllm_releases": render_vllm_releases,
    "gpu_runs": render_gpu_runs,
}
_current_page: dict = {}


def on_config(config):
    # Search segments Chinese text with jieba (Material's search plugin); teach it the glossary's terms so that
    # a query such as 知識蒸餾 or 困惑度 matches the whole word.
    import jieba

    for section in glossary_sections():
        for term in section["terms"]:
            for word in re.split(r"[（）()、／/ ]+", term["zh"]):
                if re.search(r"[\u4e00-\u9fff]", word):
                    jieba.add_word(word)
    return config


def on_page_markdown(markdown, page, config, files):
    language = page_language(page)
    _current_page.update(page=page, config=config)

    def expand(match: re.Match) -> str:
        if match.group("code"):
            return match.group(0)
        name, args = match.group("name"), match.group("args").split()
        if name not in SHORTCODES:
            raise PluginError(f"{page.file.src_uri}: unknown shortcode {name!r}; known: {', '.join(SHORTCODES)}")
        try:
            return SHORTCODES[name](language, *args)
        except TypeError as error:
            raise PluginError(f"{page.file.src_uri}: shortcode {match.group(0)!r}: {error}") from error

    return SHORTCODE.sub(expand, markdown)
