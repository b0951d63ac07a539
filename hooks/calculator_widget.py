"""The calculator widget that `{{ calculator NAME }}` puts on a page: form, first-paint result, chart, scripts.

As a hook, it also builds the calculators package into a wheel in the site (assets/calculators/), which the
browser's worker installs into Pyodide: the same source and data files the CLI and the build use, built by the
build backend pyproject.toml declares, reproducibly (see built_wheel). Next to it goes a memory
snapshot of Pyodide with that package imported and each page's first call made (hooks/pyodide_snapshot.mjs, run
with Node.js; cached in .cache/ by content), so a reader's browser restores Python instead of starting it.

The form's fields are the CLI's options, declared once in calculators/options.py (the same names, without the
dashes, the same defaults and choices), so a page's state, its URL query and a command line are the same thing; only
the words a field or a choice is labelled with are kept here. The result shown before Python starts in the browser
is computed here, at build time, by calculators.web.page_result: the function the browser's worker calls later.
"""

import functools
import gzip
import hashlib
import html
import importlib.metadata
import json
import os
import posixpath
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from mkdocs.exceptions import PluginError

from calculators.model.presets import PRESETS
from calculators.options import COMMANDS, PAGES, PASTED_CONFIG, Option, form_flags, page_argv, page_defaults
from calculators.plan.gpus import CATALOG
from calculators.plan.vllm_releases import DEFAULT_VLLM_VERSION
from calculators.web import page_result

DEFAULT_MODEL = "meta-llama/Llama-3.1-8B"
# The commands with a page, each with its form's fields: the command's options, in their declared order.
CALCULATORS = {name: COMMANDS[name].options for name in PAGES}

UI = {
    "en": {
        "model": "Model (Hugging Face id)", "fetch": "Fetch config.json from the Hugging Face Hub",
        "paste": "Or paste a config.json (it replaces the model above while this box is not empty)",
        "upload": "Upload config.json", "copy_md": "Copy as Markdown", "copy_json": "Copy JSON",
        "result": "Result", "recommend": "All GPU sets that fit", "options": "Options",
        "static": "Computed when the site was built. Starting Python in your browser…",
        "ready": "Python is running in your browser: results update as you type.",
        "stale": "The inputs have an error: the result below is the last valid one.",
        "failed": "Python could not start in this browser, so results will not update. The result shown is "
                  "correct for the default inputs.",
        "fetching": "Fetching config.json…", "fetched": "Fetched config.json for",
        "fetch_failed": "Could not fetch config.json (offline, or the model is private or does not exist). "
                        "Paste it instead; everything else keeps working.",
        "copied": "Copied.", "command": "Same result on the command line",
    },
    "zh-TW": {
        "model": "模型（Hugging Face ID）", "fetch": "從 Hugging Face Hub 取得 config.json",
        "paste": "或貼上 config.json（此欄位不為空時，會取代上面的模型）",
        "upload": "上傳 config.json", "copy_md": "複製為 Markdown", "copy_json": "複製 JSON",
        "result": "結果", "recommend": "所有放得下的 GPU 組合", "options": "選項",
        "static": "此結果在網站建置時算好。正在瀏覽器中啟動 Python……",
        "ready": "Python 已在你的瀏覽器中執行：輸入一變，結果立即更新。",
        "stale": "輸入有誤：下方顯示的是最後一次有效的結果。",
        "failed": "此瀏覽器無法啟動 Python，因此結果不會更新。目前顯示的結果對預設輸入是正確的。",
        "fetching": "正在取得 config.json……", "fetched": "已取得 config.json：",
        "fetch_failed": "無法取得 config.json（離線，或模型不公開或不存在）。請改為貼上；其他功能不受影響。",
        "copied": "已複製。", "command": "在命令列得到相同結果",
    },
}
# What a select's choice reads as, by flag, where it is not the value itself (the value is the CLI's); the empty
# choice (the flag left out) reads as NO_VALUE.
GPU_NAMES = {gpu.key: gpu.name for gpu in CATALOG}
CHOICE_LABELS = {
    "en": {"gpu": GPU_NAMES, "engine": {"vllm": "vLLM"},
           "entrypoint": {"serve": "vllm serve", "llm": "LLM() (Python)"},
           "method": {"full": "full fine-tuning", "lora": "LoRA", "qlora": "QLoRA"}},
    "zh-TW": {"gpu": GPU_NAMES, "engine": {"vllm": "vLLM"},
              "entrypoint": {"serve": "vllm serve", "llm": "LLM()（Python）"},
              "method": {"full": "全參數微調", "lora": "LoRA", "qlora": "QLoRA"}},
}
NO_VALUE = "—"
FIELD_LABELS = {
    "en": {
        "seq-len": "Context length (tokens)", "batch": "Concurrent sequences (batch)", "kv-dtype": "KV-cache dtype",
        "block-size": "Page size in tokens (empty: no paging)", "tp": "Tensor-parallel GPUs",
        "mla-decompressed": "MLA: cache decompressed K/V (transformers eager)",
        "weights": "Weight format (empty: the checkpoint's own, else bf16)",
        "gpu": "GPU", "count": "GPUs (tensor parallel)", "engine": "Engine",
        "gpu-memory-utilization": "gpu_memory_utilization (empty: the release's default, 0.92 from 0.20)",
        "gpu-memory-gib": "GPU memory in GiB as vLLM logs it (empty: the catalog's; without a GPU: any card)",
        "vllm-version": f"vLLM version (empty: {DEFAULT_VLLM_VERSION}, the recipes' pin)",
        "entrypoint": "vLLM entry point (its scheduler defaults differ)",
        "max-num-batched-tokens": "max_num_batched_tokens (empty: vLLM default)",
        "max-num-seqs": "max_num_seqs (empty: vLLM default)", "enforce-eager": "No CUDA graphs (enforce eager)",
        "method": "Method", "gradient-checkpointing": "Gradient checkpointing", "lora-rank": "LoRA rank r",
        "lora-targets": "LoRA target modules", "optimizer": "Optimizer (—: the method's default)",
        "grad-dtype": "Gradient dtype (full fine-tuning)", "adapter-dtype": "Adapter dtype (—: default)",
        "attention": "Attention implementation", "grad-accumulation-steps": "Gradient accumulation steps",
    },
    "zh-TW": {
        "seq-len": "上下文長度（詞元）", "batch": "並行序列數（批次）", "kv-dtype": "KV 快取資料型別",
        "block-size": "分頁大小（詞元；空白表示不分頁）", "tp": "張量平行 GPU 數",
        "mla-decompressed": "MLA：快取解壓縮後的 K/V（transformers eager）",
        "weights": "權重格式（空白：檢查點本身的格式，否則 bf16）",
        "gpu": "GPU", "count": "GPU 數（張量平行）", "engine": "推論引擎",
        "gpu-memory-utilization": "gpu_memory_utilization（空白：該版本的預設值，0.20 起為 0.92）",
        "gpu-memory-gib": "GPU 記憶體 GiB，與 vLLM 記錄的相同（空白：用型錄的數字；不選 GPU 時可代表任何一張卡）",
        "vllm-version": f"vLLM 版本（空白：{DEFAULT_VLLM_VERSION}，即程式碼範例固定的版本）",
        "entrypoint": "vLLM 的啟動方式（兩者的排程器預設值不同）",
        "max-num-batched-tokens": "max_num_batched_tokens（空白：vLLM 預設）",
        "max-num-seqs": "max_num_seqs（空白：vLLM 預設）", "enforce-eager": "不使用 CUDA graph（enforce eager）",
        "method": "方法", "gradient-checkpointing": "梯度檢查點", "lora-rank": "LoRA 秩 r",
        "lora-targets": "LoRA 目標模組", "optimizer": "最佳化器（—：方法的預設值）",
        "grad-dtype": "梯度資料型別（全參數微調）", "adapter-dtype": "轉接器資料型別（—：預設）",
        "attention": "注意力實作", "grad-accumulation-steps": "梯度累積步數",
    },
}


def default_argv(command: str, page: str | None = None, model: str = DEFAULT_MODEL) -> list[str]:
    """The argv of ``command`` on the form a page starts with (the page of ``page``, by default ``command``'s own),
    by calculators.options.page_argv: the rule the page's script (calculator.js) follows."""
    return page_argv(command, model, page_defaults(page or command))


def render(language: str, command: str, page_dest_uri: str, config) -> str:
    ui, labels = UI[language], FIELD_LABELS[language]
    fields = CALCULATORS[command]
    site_root = posixpath.relpath(".", posixpath.dirname(page_dest_uri) or ".")

    def asset(path: str) -> str:
        return posixpath.join(site_root, path)

    also = PAGES[command]  # what the page also runs on its form: the planner's GPU sets (`recommend`)
    argv = default_argv(command)
    first = page_result(argv, language)
    assert first["ok"], first
    calc_cfg = config.extra.get("calculators", {})
    attributes = {
        "data-calc": command, "data-lang": language,
        "data-worker": asset("assets/javascripts/calculator-worker.js"),
        "data-pyodide": calc_cfg.get("pyodide_url") or asset("assets/vendor/pyodide/"),
        "data-wheel": asset(f"assets/calculators/{wheel_name()}"),
        # The snapshot belongs to the Pyodide build the site serves; a CDN runtime starts without it.
        "data-snapshot": "" if calc_cfg.get("pyodide_url") else asset(f"assets/calculators/{snapshot_name()}"),
        "data-hub": calc_cfg.get("hub_url", "https://huggingface.co"),
        # the argv rule's data for the page's script: each command's flags, and CONFIG while a config is pasted
        "data-argv-rule": json.dumps({"pasted": PASTED_CONFIG,
                                      "flags": {name: form_flags(name) for name in (command, *also)}}),
    }
    parts = [f'<div class="calc" {_attrs(attributes)}>']
    parts.append(f'<script type="application/json" class="calc-ui">{_json_for_script(ui)}</script>')
    parts.append('<form class="calc-form" autocomplete="off" novalidate>')
    parts.append(_model_inputs(ui))
    if fields:
        parts.append(f'<fieldset class="calc-options"><legend>{html.escape(ui["options"])}</legend>')
        parts += [_field(option, labels[option.flag], CHOICE_LABELS[language].get(option.flag, {}))
                  for option in fields]
        parts.append("</fieldset>")
    parts.append("</form>")
    parts.append(f'<p class="calc-status" role="status" aria-live="polite">{html.escape(ui["static"])}</p>')
    parts.append('<div class="calc-error admonition failure" role="alert" hidden></div>')
    parts.append(f'<div id="calc-result" class="calc-result" data-result-json="{_attr_json(first["result"])}" '
                 f'data-argv="{_attr_json(argv)}">{first["html"]}</div>')
    parts.append(f'<div class="calc-chart">{first["svg"]}</div>')
    if "recommend" in also:
        options = page_result(default_argv("recommend", command), language)
        parts.append(f'<p class="calc-subtitle">{html.escape(ui["recommend"])}</p>')
        parts.append(f'<div id="calc-recommend" class="calc-result" data-result-json="{_attr_json(options["result"])}">'
                     f'{options["html"]}</div>')
    parts.append(f'<p class="calc-command-title">{html.escape(ui["command"])}</p>'
                 f'<pre class="calc-command"><code>{html.escape(first["command_line"])}</code></pre>')
    parts.append('<p class="calc-actions">'
                 f'<button type="button" class="md-button calc-copy-md">{html.escape(ui["copy_md"])}</button> '
                 f'<button type="button" class="md-button calc-copy-json">{html.escape(ui["copy_json"])}</button> '
                 '<span class="calc-copied" role="status"></span></p>')
    parts.append(f'<script type="application/json" class="calc-markdown">{_json_for_script(first["markdown"])}'
                 "</script>")
    parts.append("</div>")
    # async: runs as soon as it arrives (the widget above it is parsed by then), so Python starts loading early
    parts.append(f'<script type="module" async src="{asset("assets/javascripts/calculator.js")}"></script>')
    return "\n".join(parts)


ROOT = Path(__file__).resolve().parent.parent
# What the wheel is built from: the package (modules and data/*.json) and what the backend reads for the metadata.
WHEEL_SOURCES = ("pyproject.toml", "README.md", "calculators")
WHEEL_CACHE = ROOT / ".cache" / "calculators-wheel"
# The time of every file in the wheel (SOURCE_DATE_EPOCH, which setuptools' bdist_wheel honours): a constant,
# 2020-01-01 00:00 UTC, so the wheel's bytes depend on its sources and the backend's version only.
WHEEL_EPOCH = "1577836800"


def wheel_name() -> str:
    return built_wheel()[0]


def wheel_bytes() -> bytes:
    return built_wheel()[1]


@functools.cache
def built_wheel() -> tuple[str, bytes]:
    """(file name, bytes) of the calculators wheel, built by pyproject.toml's build backend (setuptools, the pinned
    version, already installed: `pip wheel --no-build-isolation --no-index`) from a copy of WHEEL_SOURCES, with
    fixed file times and modes: the same bytes for the same sources. Cached in .cache/ by a hash of the sources
    and the backend's version, so a site build builds it only when its sources change (1-2 s)."""
    inputs = wheel_inputs()
    key = json.dumps([WHEEL_EPOCH, importlib.metadata.version("setuptools"),
                      sorted((path, hashlib.sha256(data).hexdigest()) for path, data in inputs.items())])
    cached = WHEEL_CACHE / hashlib.sha256(key.encode()).hexdigest()[:16]
    found = sorted(cached.glob("*.whl")) if cached.is_dir() else []
    if len(found) == 1:
        return found[0].name, found[0].read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(inputs, Path(tmp) / "out")
        cached.mkdir(parents=True, exist_ok=True)
        partial = cached / f".{wheel.name}.partial"
        partial.write_bytes(wheel.read_bytes())
        os.replace(partial, cached / wheel.name)
        return wheel.name, wheel.read_bytes()


def build_wheel(inputs: dict[str, bytes], out: Path) -> Path:
    """Write the files into a fresh source tree (mode 0644: the wheel records modes) and build it into out/ with
    the declared backend; pip checks that the installed setuptools is the one [build-system] pins."""
    source = out.parent / "source"
    for path, data in inputs.items():
        target = source / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(0o644)
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--check-build-dependencies",
         "--no-index", "--no-cache-dir", "--disable-pip-version-check", "--quiet", "--wheel-dir", str(out),
         str(source)],
        env={**os.environ, "SOURCE_DATE_EPOCH": WHEEL_EPOCH}, umask=0o022, capture_output=True, text=True)
    wheels = sorted(out.glob("*.whl"))
    if run.returncode != 0 or len(wheels) != 1:
        raise PluginError(f"building the calculators wheel failed (run `make setup`?):\n{run.stderr[-2000:]}")
    return wheels[0]


def wheel_inputs() -> dict[str, bytes]:
    """Path (relative to the repository) -> bytes of each file the wheel is built from; no bytecode."""
    files = {}
    for name in WHEEL_SOURCES:
        top = ROOT / name
        paths = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()
                                                   and "__pycache__" not in p.parts and p.suffix != ".pyc")
        files.update((p.relative_to(ROOT).as_posix(), p.read_bytes()) for p in paths)
    return files


def warmup_calls() -> list:
    """[argv, lang] of every call a calculator page makes first, made once into the snapshot."""
    argvs = [default_argv(name, page) for page in PAGES for name in (page, *PAGES[page])]
    return [[argv, lang] for argv in argvs for lang in UI]


PYODIDE_DIR = ROOT / "node_modules" / "pyodide"
SNAPSHOT_SCRIPT = ROOT / "hooks" / "pyodide_snapshot.mjs"
SNAPSHOT_CACHE = ROOT / ".cache" / "pyodide-snapshot"


@functools.cache
def snapshot_name() -> str:
    """File name of the snapshot, named by everything it is made from (a new name whenever one changes)."""
    digest = hashlib.sha256()
    for part in (wheel_bytes(), SNAPSHOT_SCRIPT.read_bytes(), json.dumps(warmup_calls()).encode(),
                 (PYODIDE_DIR / "package.json").read_bytes() if PYODIDE_DIR.exists() else b"no pyodide"):
        digest.update(hashlib.sha256(part).digest())
    return f"pyodide-snapshot-{digest.hexdigest()[:16]}.bin.gz"


def build_snapshot() -> Path:
    """The snapshot file, gzip-compressed (about 30 MB of mostly empty memory becomes about 6 MB; the worker
    decompresses it), from the cache or made now with Node.js (about 10 s)."""
    cached = SNAPSHOT_CACHE / snapshot_name()
    if cached.exists():
        return cached
    if not (PYODIDE_DIR / "pyodide.mjs").exists():
        raise PluginError(f"{PYODIDE_DIR} is missing: run `npm ci` (or `make serve`, which runs it) first")
    node = shutil.which("node")
    if node is None:
        raise PluginError("Node.js (node) is needed to build the Pyodide snapshot of the calculator pages")
    SNAPSHOT_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel, warmup = Path(tmp) / wheel_name(), Path(tmp) / "warmup.json"
        wheel.write_bytes(wheel_bytes())
        warmup.write_text(json.dumps(warmup_calls()), encoding="utf-8")
        partial = Path(tmp) / "snapshot.bin"
        run = subprocess.run([node, str(SNAPSHOT_SCRIPT), str(PYODIDE_DIR), str(wheel), str(warmup), str(partial)],
                             capture_output=True, text=True)
        if run.returncode != 0:
            raise PluginError(f"building the Pyodide snapshot failed:\n{run.stderr[-2000:]}")
        cached.write_bytes(gzip.compress(partial.read_bytes(), compresslevel=9, mtime=0))
    return cached


def on_post_build(config):
    destination = Path(config.site_dir) / "assets" / "calculators"
    destination.mkdir(parents=True, exist_ok=True)
    (destination / wheel_name()).write_bytes(wheel_bytes())
    if not config.extra.get("calculators", {}).get("pyodide_url"):
        shutil.copyfile(build_snapshot(), destination / snapshot_name())


def _model_inputs(ui: dict) -> str:
    options = "".join(f'<option value="{html.escape(hf_id)}"></option>' for hf_id in sorted(PRESETS))
    return (
        '<fieldset class="calc-model">'
        f'<label>{html.escape(ui["model"])} <input name="model" list="calc-presets" value="{DEFAULT_MODEL}" '
        'spellcheck="false" required></label>'
        f'<datalist id="calc-presets">{options}</datalist> '
        f'<button type="button" class="md-button calc-fetch">{html.escape(ui["fetch"])}</button>'
        f'<label class="calc-paste">{html.escape(ui["paste"])}'
        '<textarea id="config-json" name="config-json" rows="6" spellcheck="false"></textarea></label>'
        f'<label class="calc-upload">{html.escape(ui["upload"])} '
        '<input type="file" name="config-file" accept=".json,application/json"></label>'
        '<span class="calc-field-error" data-for="config-json" role="alert"></span>'
        "</fieldset>"
    )


def _field(option: Option, label: str, choice_labels: dict) -> str:
    name, start = html.escape(option.flag), option.start_value
    if option.widget == "checkbox":
        control = f'<input type="checkbox" name="{name}">'
        return (f'<label class="calc-field calc-check">{control} {html.escape(label)}'
                f'<span class="calc-field-error" data-for="{name}" role="alert"></span></label>')
    if option.widget == "select":
        options = "".join(
            f'<option value="{html.escape(value)}"{" selected" if value == start else ""}>'
            f"{html.escape(choice_labels.get(value, value) if value else NO_VALUE)}</option>"
            for value in option.page_values
        )
        control = f'<select name="{name}">{options}</select>'
    else:
        list_attr, datalist = "", ""
        if option.page_values:
            list_attr = f' list="calc-list-{name}"'
            datalist = (f'<datalist id="calc-list-{name}">'
                        + "".join(f'<option value="{html.escape(c)}"></option>' for c in option.page_values)
                        + "</datalist>")
        step = "0.01" if option.type is float else "1"
        type_attr = f'type="number" min="0" step="{step}"' if option.widget == "number" else 'type="text"'
        control = (f'<input {type_attr} name="{name}" value="{html.escape(start)}"{list_attr} spellcheck="false">'
                   f"{datalist}")
    return (f'<label class="calc-field">{html.escape(label)} {control}'
            f'<span class="calc-field-error" data-for="{name}" role="alert"></span></label>')


def _attrs(attributes: dict) -> str:
    return " ".join(f'{key}="{html.escape(value)}"' for key, value in attributes.items())


def _attr_json(value) -> str:
    return html.escape(json.dumps(value, ensure_ascii=False), quote=True)


def _json_for_script(value) -> str:
    # Inside <script type="application/json">, only "</" could end the element early.
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")
