"""The shared helpers (snippets/common/): standard library only, and every marked section shown on a page, in both
languages alike, so that each helper a page explains is read where it is defined."""

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMON = ROOT / "snippets" / "common"
DOCS = ROOT / "docs"
MODULES = sorted(p for p in COMMON.glob("*.py") if p.name != "__init__.py")
MARKER = re.compile(r"--8<-- \[(start|end):([a-z][-_0-9a-z]*)\]")


def pages(language: str) -> str:
    return "".join(page.read_text(encoding="utf-8") for page in sorted((DOCS / language).rglob("*.md")))


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_helpers_import_only_the_standard_library(module):
    tree = ast.parse(module.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
        for name in names:
            assert name.split(".")[0] in sys.stdlib_module_names | {"__future__"}, (module.name, name)


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_section_markers_pair_up_and_pages_in_both_languages_include_them(module):
    opened, names = [], []
    for kind, name in MARKER.findall(module.read_text(encoding="utf-8")):
        if kind == "start":
            opened.append(name)
            names.append(name)
        else:
            assert opened and opened.pop() == name, f"{module.name}: end:{name} without its start"
    assert not opened and len(names) == len(set(names)), module.name
    en, zh = pages("en"), pages("zh-TW")
    for name in names:
        include = f'--8<-- "common/{module.name}:{name}"'
        assert en.count(include) >= 1 and en.count(include) == zh.count(include), include
