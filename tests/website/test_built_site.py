"""Checks of the built HTML that a passing `mkdocs build --strict` does not guarantee."""

import json
from pathlib import PurePosixPath
from urllib.parse import quote, unquote, urlsplit

import pytest

from .conftest import LANGUAGES, ROOT
from .html_index import content_pages, parse_page


def test_every_english_page_has_a_chinese_twin_and_the_reverse(site_dir):
    english, chinese = content_pages(site_dir, ""), content_pages(site_dir, "zh-TW/")
    assert len(english) >= 4
    assert english == chinese


@pytest.mark.parametrize("language,prefix", LANGUAGES.items())
def test_pages_declare_their_language(site_dir, language, prefix):
    for page in content_pages(site_dir, prefix):
        assert parse_page(site_dir / prefix / page).lang == language, page


@pytest.mark.parametrize("prefix", LANGUAGES.values())
def test_notebook_pages_are_rendered_html_not_json(site_dir, prefix):
    sources = (ROOT / "docs" / "en").rglob("*.ipynb")
    notebooks = [f"{path.relative_to(ROOT / 'docs' / 'en').with_suffix('')}/index.html" for path in sources]
    assert notebooks, "no lab pages were built"
    for page in notebooks:
        text = (site_dir / prefix / page).read_text(encoding="utf-8")
        assert "jp-Notebook" in text and "jp-MarkdownOutput" in text, page
        assert '"cell_type"' not in text and '"nbformat"' not in text, f"{page} shows the raw notebook JSON"


def resolve(site_dir, page_path, link):
    """The file a site-internal link points to and its fragment, or None for external links."""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
        return None
    if parts.path.startswith("/"):  # site-absolute (site_url's path is "/" in local builds)
        target = PurePosixPath(unquote(parts.path))
    elif parts.path:
        target = PurePosixPath(page_path).parent / unquote(parts.path)
    else:
        target = PurePosixPath(page_path)
    normalized = PurePosixPath(*[p for p in _normalize(target.parts)])
    file = site_dir / normalized
    if file.is_dir() or parts.path.endswith("/"):
        file = file / "index.html"
    return file, parts.fragment


def _normalize(parts):
    stack = []
    for part in parts:
        if part == "..":
            assert stack, "a link climbs above the site root"
            stack.pop()
        elif part not in (".", "", "/"):
            stack.append(part)
    return stack


def test_internal_links_and_anchors_resolve(site_dir):
    broken = []
    parsed = {}
    pages = [p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*.html")]
    for page in pages:
        for link in parse_page(site_dir / page).links:
            resolved = resolve(site_dir, page, link)
            if resolved is None:
                continue
            file, fragment = resolved
            if not file.exists():
                broken.append(f"{page}: {link} (no file {file.relative_to(site_dir)})")
                continue
            if fragment and file.suffix == ".html":
                if file not in parsed:
                    parsed[file] = parse_page(file).ids
                ids = parsed[file]
                # A browser percent-encodes a non-ASCII fragment, then tries it as encoded and as decoded;
                # nbconvert writes CJK heading ids percent-encoded, Python-Markdown writes them as they are.
                if not {fragment, unquote(fragment), quote(fragment, safe="/?:@!$&'()*+,;=%")} & ids:
                    broken.append(f"{page}: {link} (no anchor #{fragment})")
    assert not broken, "broken links:\n" + "\n".join(broken)


def page_anchors(path):
    """Heading and glossary anchors of a Markdown page; cell anchors of a notebook page (nbconvert derives its
    heading anchors from the heading text, so they differ between languages by construction)."""
    ids = {i for i in parse_page(path).ids if not i.startswith("__")}
    if "/labs/" in path.as_posix():
        return {i for i in ids if i.startswith("cell-")}
    return ids


def test_chinese_pages_keep_the_english_anchors(site_dir):
    for page in content_pages(site_dir, ""):
        english_ids, chinese_ids = page_anchors(site_dir / page), page_anchors(site_dir / "zh-TW" / page)
        assert english_ids == chinese_ids, (
            f"{page}: only in en {english_ids - chinese_ids}, only in zh-TW {chinese_ids - english_ids}"
        )


def test_search_index_holds_segmented_chinese(site_dir):
    docs = json.loads((site_dir / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    index = " ".join(doc["title"] + " " + doc["text"] for doc in docs)
    assert "\u200b" in index, "jieba segmentation (U+200B between words) is missing from the search index"
    assert "量化" in index and "quantization" in index


def test_zh_pages_show_no_english_booleans(site_dir):
    """Build-time values that are true or false read 是 / 否 on the zh-TW pages, not True / False."""
    import re

    for page in (site_dir / "zh-TW").rglob("index.html"):
        text = re.sub(r"<(script|pre|code)[^>]*>.*?</\1>", "", page.read_text(encoding="utf-8"), flags=re.S)
        cells = re.findall(r"<td[^>]*>(True|False)</td>", text)
        assert not cells, page


def test_calculator_options_are_worded_in_the_page_language(site_dir):
    zh = (site_dir / "zh-TW" / "calculators" / "training-memory" / "index.html").read_text(encoding="utf-8")
    en = (site_dir / "calculators" / "training-memory" / "index.html").read_text(encoding="utf-8")
    assert '<option value="full">全參數微調</option>' in zh
    assert '<option value="full">full fine-tuning</option>' in en


def test_the_palette_toggle_speaks_the_page_language(site_dir):
    zh = (site_dir / "zh-TW" / "index.html").read_text(encoding="utf-8")
    assert 'title="切換為深色模式"' in zh and 'title="Dark mode"' not in zh


def test_recipe_pages_state_the_gpu_runs_from_the_data_not_from_typed_sentences(site_dir):
    import json

    runs = json.loads((ROOT / "benchmarks" / "results" / "gpu-runs.json").read_text(encoding="utf-8"))["runs"]
    expected = "No run of the tests marked" if not runs else "The tests marked"
    for page in ("gptq", "awq", "fp8", "pruning", "bitsandbytes", "migration"):
        assert expected in (site_dir / "recipes" / page / "index.html").read_text(encoding="utf-8"), page
    for source in (ROOT / "docs").rglob("*.md"):
        assert "been lent" not in source.read_text(encoding="utf-8"), source
