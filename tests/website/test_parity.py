"""Translation parity and code provenance, checked on the Markdown sources of both languages.

- The same pages exist in docs/en and docs/zh-TW.
- Each page pair has the same heading anchors (every heading carries an explicit `{ #id }`), the same snippet
  inclusions and the same build-time shortcodes (so the same computed values), in the same order.
- No translation is much shorter than its source. Length is measured in comparable units: English in words,
  Chinese in Han characters divided by CHARS_PER_WORD (plus any Latin words it keeps), a ratio calibrated on
  this site's own translations.
- Every fenced code block is either included from snippets/ (and so run by the tests) or written in a language
  the tests do not execute (shell, configuration, plain text), which marks it as not executable.
"""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(p.relative_to(DOCS / "en").as_posix() for p in (DOCS / "en").rglob("*.md"))
NOT_EXECUTED = {"bash", "shell", "console", "text", "yaml", "json", "toml", "ini"}
CHARS_PER_WORD = 1.8  # Han characters per English word, calibrated on this site's pages (ratios 1.0-1.1)
MIN_LENGTH_RATIO = 0.75

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$", re.M)
ANCHOR = re.compile(r"\{\s*#([\w-]+)\s*\}\s*$")
INCLUDE = re.compile(r"^\s*--8<--\s+\"([^\"]+)\"", re.M)
SHORTCODE = re.compile(r"\{\{\s*[a-z_]+[^{}]*\}\}")
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```|~~~)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$",
                   re.M | re.S)


def read(language: str, page: str) -> str:
    return (DOCS / language / page).read_text(encoding="utf-8")


def without_code(text: str) -> str:
    return FENCE.sub("", text)


def headings(text: str) -> list[tuple[str, str | None]]:
    found = []
    for level, title in HEADING.findall(without_code(text)):
        anchor = ANCHOR.search(title)
        found.append((level, anchor.group(1) if anchor else None))
    return found


def length_units(text: str) -> float:
    text = SHORTCODE.sub("", without_code(text))
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = re.sub(r"`[^`]*`", "", text)  # inline code
    han = len(re.findall(r"[\u3400-\u9fff]", text))
    words = len(re.findall(r"[A-Za-z]+", text))
    return han / CHARS_PER_WORD + words


def test_both_languages_have_the_same_pages():
    chinese = sorted(p.relative_to(DOCS / "zh-TW").as_posix() for p in (DOCS / "zh-TW").rglob("*.md"))
    assert chinese == PAGES
    notebooks = {lang: sorted(p.relative_to(DOCS / lang).as_posix() for p in (DOCS / lang).rglob("*.ipynb"))
                 for lang in ("en", "zh-TW")}
    assert notebooks["en"] == notebooks["zh-TW"]


@pytest.mark.parametrize("page", PAGES)
def test_same_headings_with_explicit_matching_anchors(page):
    english, chinese = headings(read("en", page)), headings(read("zh-TW", page))
    assert [a for _, a in english] == [a for _, a in chinese], page
    assert [lvl for lvl, _ in english] == [lvl for lvl, _ in chinese], page
    missing = [lvl for lvl, anchor in chinese if anchor is None and lvl != "#" * 4]
    assert not missing, f"zh-TW/{page}: headings without an explicit {{ #id }}"


@pytest.mark.parametrize("page", PAGES)
def test_same_snippets_and_computed_values(page):
    english, chinese = read("en", page), read("zh-TW", page)
    assert INCLUDE.findall(english) == INCLUDE.findall(chinese), page
    normalize = lambda codes: [re.sub(r"\s+", " ", c) for c in codes]  # noqa: E731
    assert normalize(SHORTCODE.findall(english)) == normalize(SHORTCODE.findall(chinese)), page


@pytest.mark.parametrize("page", PAGES)
def test_translation_is_not_much_shorter(page):
    english, chinese = length_units(read("en", page)), length_units(read("zh-TW", page))
    assert chinese >= MIN_LENGTH_RATIO * english, f"{page}: zh-TW {chinese:.0f} vs en {english:.0f} units"


@pytest.mark.parametrize("language", ["en", "zh-TW"])
@pytest.mark.parametrize("page", PAGES)
def test_code_blocks_are_included_snippets_or_marked_not_executable(language, page):
    for block in FENCE.finditer(read(language, page)):
        info = block.group("info").strip()
        lang = info.split()[0].lstrip(".{").rstrip("}") if info else ""
        body = [line for line in block.group("body").splitlines() if line.strip()]
        included = body and all(INCLUDE.match(line) for line in body)
        assert included or lang in NOT_EXECUTED, (
            f"{language}/{page}: a ```{info} block that is not included from snippets/ and not marked as "
            f"{sorted(NOT_EXECUTED)}:\n" + "\n".join(body[:5])
        )


DISPLAY_MATH = re.compile(r"^[ \t]*\$\$\n(.*?)^[ \t]*\$\$", re.M | re.S)


@pytest.mark.parametrize("page", PAGES)
def test_code_and_formulas_are_the_same_in_both_languages(page):
    """The convention: a code block (comments included) and a displayed formula (its `\\text{}` labels included) are
    written once, in English, and appear unchanged on the zh-TW page; the sentences around them are translated."""
    english, chinese = read("en", page), read("zh-TW", page)
    code = lambda text: [m.group("body") for m in FENCE.finditer(text)]  # noqa: E731
    assert code(english) == code(chinese), page
    assert DISPLAY_MATH.findall(english) == DISPLAY_MATH.findall(chinese), page
