"""The calculator widget that `{{ calculator NAME }}` puts on a page: form, first-paint result, chart, scripts.

As a hook, it also builds the calculators package into a wheel in the site (assets/calculators/), which the
browser's worker installs into Pyodide: the same source files the CLI and the build use. Next to it goes a memory
snapshot of Pyodide with that package imported and each page's first call made (hooks/pyodide_snapshot.mjs, run
with Node.js; cached in .cache/ by content), so a reader's browser restores Python instead of starting it.

The form's fields are the CLI's flags (the same names, without the dashes), so a page's state, its URL query and a
command line are the same thing. The result shown before Python starts in the browser is computed here, at build
time, by calculators.web.page_result: the function the browser's worker calls later.
"""

import base64
import functools
import gzip
import hashlib
import html
import io
import json
import posixpath
import shutil
import subprocess
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mkdocs.exceptions import PluginError

from calculators.gpus import CATALOG
from calculators.presets import PRESETS
from calculators.vllm_releases import DEFAULT_VLLM_VERSION, RELEASES
from calculators.web import page_result

DEFAULT_MODEL = "meta-llama/Llama-3.1-8B"
KV_DTYPES = ("bf16", "fp16", "fp32", "fp8", "int8", "int4")
WEIGHT_FORMATS = ("bf16", "fp16", "fp32", "fp8", "fp8-block", "int8", "gptq-int8", "gptq-int4", "gptq-int4-g32",
                  "gptq-int3", "gptq-int2", "awq-int4", "mxfp4", "nf4", "nf4-dq", "bpw:4.5")
# The first release of each range of vLLM's accounting, newest first (the field's suggestions)
VLLM_VERSIONS = (DEFAULT_VLLM_VERSION, *(".".join(map(str, release.first)) for release in reversed(RELEASES)))


@dataclass(frozen=True)
class Field:
    flag: str  # the CLI flag without "--"; also the form field's name and the URL query parameter
    kind: str  # "number" | "text" | "select" | "checkbox"
    default: str = ""  # "" = flag omitted (the CLI's own default applies)
    choices: tuple = ()  # select: (value, label) pairs; text: suggestions
    step: str = "1"


def _gpu_choices(optional: bool) -> tuple:
    choices = tuple((gpu.key, gpu.name) for gpu in CATALOG)
    return ((("", "—"),) + choices) if optional else choices


SHAPE = (Field("seq-len", "number", "8192"), Field("batch", "number", "1"),
         Field("kv-dtype", "select", "bf16", tuple((d, d) for d in KV_DTYPES)))
CALCULATORS = {
    "params": (),
    "kv": (*SHAPE, Field("block-size", "number"), Field("tp", "select", "1", tuple((n, n) for n in "1248")),
           Field("mla-decompressed", "checkbox")),
    "plan": (Field("weights", "text", "", WEIGHT_FORMATS), *SHAPE,
             Field("gpu", "select", "h100-sxm", _gpu_choices(True)),
             Field("gpu-memory-gib", "number", "", step="0.01"),
             Field("count", "select", "1", tuple((n, n) for n in "1248")),
             Field("engine", "select", "vllm", (("vllm", "vLLM"), ("transformers", "transformers"))),
             Field("vllm-version", "text", "", VLLM_VERSIONS),
             Field("gpu-memory-utilization", "number", "", step="0.01"),
             Field("max-num-batched-tokens", "number"), Field("max-num-seqs", "number"),
             Field("block-size", "number"), Field("entrypoint", "select", "serve",
                                                  (("serve", "vllm serve"), ("llm", "LLM() (Python)"))),
             Field("enforce-eager", "checkbox")),
    "train": (Field("method", "select", "qlora", (("full", "full"), ("lora", "LoRA"), ("qlora", "QLoRA"))),
              Field("seq-len", "number", "2048"), Field("batch", "number", "1"),
              Field("gradient-checkpointing", "checkbox"), Field("lora-rank", "number", "16"),
              Field("lora-targets", "text", "all-linear"),
              Field("optimizer", "select", "", (("", "—"), ("adamw", "adamw"), ("adamw-8bit", "adamw-8bit"),
                                                ("paged-adamw", "paged-adamw"),
                                                ("paged-adamw-8bit", "paged-adamw-8bit"), ("sgd", "sgd"))),
              Field("grad-dtype", "select", "bf16", (("bf16", "bf16"), ("fp32", "fp32"))),
              Field("adapter-dtype", "select", "", (("", "—"), ("bf16", "bf16"), ("fp32", "fp32"))),
              Field("attention", "select", "sdpa", (("sdpa", "sdpa"), ("flash", "flash"), ("eager", "eager"))),
              Field("grad-accumulation-steps", "number", "1"),
              Field("gpu", "select", "rtx-4090", _gpu_choices(True))),
}
# The planner also lists every GPU set that fits: `recommend` with the plan's shared flags.
RECOMMEND_FLAGS = ("weights", "seq-len", "batch", "kv-dtype", "engine", "vllm-version", "gpu-memory-utilization")

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
# What a select option reads as, where a language words it differently from the value (the value is the CLI's)
CHOICE_LABELS = {
    "en": {"full": "full fine-tuning"},
    "zh-TW": {"full": "全參數微調", "llm": "LLM()（Python）", "": "—"},
}
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
        "vllm-version": f"vLLM 版本（空白：{DEFAULT_VLLM_VERSION}，即食譜固定的版本）",
        "entrypoint": "vLLM 的啟動方式（兩者的排程器預設值不同）",
        "max-num-batched-tokens": "max_num_batched_tokens（空白：vLLM 預設）",
        "max-num-seqs": "max_num_seqs（空白：vLLM 預設）", "enforce-eager": "不使用 CUDA graph（enforce eager）",
        "method": "方法", "gradient-checkpointing": "梯度檢查點", "lora-rank": "LoRA 秩 r",
        "lora-targets": "LoRA 目標模組", "optimizer": "最佳化器（—：方法的預設值）",
        "grad-dtype": "梯度資料型別（全參數微調）", "adapter-dtype": "轉接器資料型別（—：預設）",
        "attention": "注意力實作", "grad-accumulation-steps": "梯度累積步數",
    },
}


def default_argv(command: str, fields=None, model: str = DEFAULT_MODEL) -> list[str]:
    """The argv of the page's default state, built by the same rule as the browser's (calculator.js)."""
    argv = [command, model]
    for field in CALCULATORS[command] if fields is None else fields:
        if field.kind == "checkbox":
            continue  # unchecked by default
        if field.default != "":
            argv += [f"--{field.flag}", field.default]
    return argv


def render(language: str, command: str, page_dest_uri: str, config) -> str:
    ui, labels = UI[language], FIELD_LABELS[language]
    fields = CALCULATORS[command]
    site_root = posixpath.relpath(".", posixpath.dirname(page_dest_uri) or ".")

    def asset(path: str) -> str:
        return posixpath.join(site_root, path)

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
        "data-recommend-flags": json.dumps(RECOMMEND_FLAGS),
    }
    parts = [f'<div class="calc" {_attrs(attributes)}>']
    parts.append(f'<script type="application/json" class="calc-ui">{_json_for_script(ui)}</script>')
    parts.append('<form class="calc-form" autocomplete="off" novalidate>')
    parts.append(_model_inputs(ui))
    if fields:
        parts.append(f'<fieldset class="calc-options"><legend>{html.escape(ui["options"])}</legend>')
        parts += [_field(field, labels[field.flag], CHOICE_LABELS[language]) for field in fields]
        parts.append("</fieldset>")
    parts.append("</form>")
    parts.append(f'<p class="calc-status" role="status" aria-live="polite">{html.escape(ui["static"])}</p>')
    parts.append('<div class="calc-error admonition failure" role="alert" hidden></div>')
    parts.append(f'<div id="calc-result" class="calc-result" data-result-json="{_attr_json(first["result"])}" '
                 f'data-argv="{_attr_json(argv)}">{first["html"]}</div>')
    parts.append(f'<div class="calc-chart">{first["svg"]}</div>')
    if command == "plan":
        options = page_result(recommend_argv(argv), language)
        parts.append(f'<p class="calc-subtitle">{html.escape(ui["recommend"])}</p>')
        parts.append(f'<div id="calc-recommend" class="calc-result" data-result-json="{_attr_json(options["result"])}">'
                     f'{options["html"]}</div>')
    parts.append(f'<p class="calc-command-title">{html.escape(ui["command"])}</p>'
                 f'<pre class="calc-command"><code>{html.escape(_shell(argv))}</code></pre>')
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


def wheel_name() -> str:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    return f"calculators-{version}-py3-none-any.whl"


@functools.cache
def wheel_bytes() -> bytes:
    """A pure-Python wheel of calculators/ (standard library only, so no build backend is needed); the same bytes
    for the same sources (fixed timestamps), so it can key the snapshot cache."""
    version = wheel_name().split("-")[1]
    dist_info = f"calculators-{version}.dist-info"
    files = {p.relative_to(ROOT).as_posix(): p.read_bytes() for p in sorted((ROOT / "calculators").rglob("*.py"))}
    files[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: calculators\nVersion: {version}\n".encode()
    files[f"{dist_info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: hooks/calculator_widget.py\n"
                                   b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    record = [f"{path},sha256={_digest(data)},{len(data)}" for path, data in files.items()]
    files[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def recommend_argv(plan_argv: list[str]) -> list[str]:
    """The planner page's second call: `recommend` with the flags it shares with `plan`."""
    return ["recommend", plan_argv[1], *_flags_subset(plan_argv, RECOMMEND_FLAGS)]


def warmup_calls() -> list:
    """[argv, lang] of every call a calculator page makes first, made once into the snapshot."""
    argvs = [default_argv(command) for command in CALCULATORS]
    argvs.append(recommend_argv(default_argv("plan")))
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


def _field(field: Field, label: str, choice_labels: dict) -> str:
    name = html.escape(field.flag)
    if field.kind == "checkbox":
        control = f'<input type="checkbox" name="{name}" data-flag="{name}">'
        return (f'<label class="calc-field calc-check">{control} {html.escape(label)}'
                f'<span class="calc-field-error" data-for="{name}" role="alert"></span></label>')
    if field.kind == "select":
        options = "".join(
            f'<option value="{html.escape(value)}"{" selected" if value == field.default else ""}>'
            f"{html.escape(choice_labels.get(value, text))}</option>"
            for value, text in field.choices
        )
        control = f'<select name="{name}" data-flag="{name}">{options}</select>'
    else:
        list_attr, datalist = "", ""
        if field.choices:
            list_attr = f' list="calc-list-{name}"'
            datalist = (f'<datalist id="calc-list-{name}">'
                        + "".join(f'<option value="{html.escape(c)}"></option>' for c in field.choices)
                        + "</datalist>")
        type_attr = 'type="number" min="0"' + f' step="{field.step}"' if field.kind == "number" else 'type="text"'
        control = (f'<input {type_attr} name="{name}" data-flag="{name}" value="{html.escape(field.default)}"'
                   f'{list_attr} spellcheck="false">{datalist}')
    return (f'<label class="calc-field">{html.escape(label)} {control}'
            f'<span class="calc-field-error" data-for="{name}" role="alert"></span></label>')


def _flags_subset(argv: list[str], flags) -> list[str]:
    out, i = [], 2
    while i < len(argv):
        flag = argv[i][2:]
        takes_value = i + 1 < len(argv) and not argv[i + 1].startswith("--")
        if flag in flags:
            out += argv[i:i + 2] if takes_value else argv[i:i + 1]
        i += 2 if takes_value else 1
    return out


def _shell(argv: list[str]) -> str:
    def quote(word: str) -> str:
        if word and all(c.isalnum() or c in "-_./:=" for c in word):
            return word
        return "'" + word.replace("'", "'\\''") + "'"

    return "python -m calculators " + " ".join(quote(w) for w in argv) + " --json"


def _attrs(attributes: dict) -> str:
    return " ".join(f'{key}="{html.escape(value)}"' for key, value in attributes.items())


def _attr_json(value) -> str:
    return html.escape(json.dumps(value, ensure_ascii=False), quote=True)


def _json_for_script(value) -> str:
    # Inside <script type="application/json">, only "</" could end the element early.
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")
