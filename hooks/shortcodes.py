"""Build-time shortcodes: `{{ name args }}` in a page's Markdown is replaced by what the project's code renders.

Every value a shortcode produces is computed at build time from the project's data or code, so no page types a
number or a term by hand. An unknown shortcode or a failing one stops the build (a PluginError), never a page
with a gap in it.

Shortcodes:
    {{ glossary SECTION_ID }}  the glossary table of one section of docs/_data/glossary.yml, in the page's language
    {{ calculator NAME }}      an in-browser calculator (params, kv, plan, train) with its first-paint result
    {{ run SNIPPET }}          what `python snippets/SNIPPET` prints, as a text block (run once per build, shared
                               by both languages; a non-zero exit fails the build)
"""

import html
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import yaml
from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import calculator_widget  # noqa: E402 - a sibling module, importable once hooks/ is on the path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "docs" / "_data"
SNIPPETS_DIR = ROOT / "snippets"
# Code (fenced blocks and inline spans) is matched first and left alone, so pages can show the syntax itself.
SHORTCODE = re.compile(
    r"(?P<code>^(?P<fence>```|~~~).*?^(?P=fence)|`[^`\n]+`)"  # a fenced block or an inline code span
    r"|\{\{\s*(?P<name>[a-z_]+)(?P<args>(?:\s+[^\s{}]+)*)\s*\}\}",
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


@cache
def snippet_output(relative_path: str, mtime_ns: int) -> str:
    """Run a snippet as a script and return what it printed; cached for the build (both languages)."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, str(SNIPPETS_DIR / relative_path)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise PluginError(f"run {relative_path}: exited with {result.returncode}\n{result.stderr[-2000:]}")
    return result.stdout


def render_run(language: str, relative_path: str) -> str:
    path = SNIPPETS_DIR / relative_path
    if not path.is_file():
        raise PluginError(f"run: no snippet {path.relative_to(ROOT)}")
    output = snippet_output(relative_path, path.stat().st_mtime_ns).rstrip("\n")
    title = "輸出" if language == "zh-TW" else "Output"
    return f'```text title="{title}: {relative_path}"\n{output}\n```'


def render_calculator(language: str, name: str) -> str:
    page = _current_page["page"]
    if name not in calculator_widget.CALCULATORS:
        raise PluginError(f"calculator: unknown {name!r}; known: {', '.join(calculator_widget.CALCULATORS)}")
    return calculator_widget.render(language, name, page.file.dest_uri, _current_page["config"])


SHORTCODES = {
    "calculator": render_calculator,
    "glossary": render_glossary,
    "run": render_run,
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
