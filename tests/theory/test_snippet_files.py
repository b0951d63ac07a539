"""The theory-chapter snippet files (snippets/theory/): standard library and the project's shared helpers only, and
every marked section shown on a chapter page in both languages. tests/test_run_shortcodes.py runs them."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = ROOT / "snippets" / "theory"
DOCS = ROOT / "docs"

SCRIPTS = ["quantizer.py", "formats.py", "saliency.py", "kd_temperature.py", "kv_cache_size.py"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_imports_no_third_party_module(script):
    source = (SNIPPETS / script).read_text(encoding="utf-8")
    for name in ("torch", "numpy", "scipy", "calculators"):
        assert f"import {name}" not in source and f"from {name}" not in source, (script, name)


MARKER = re.compile(r"--8<-- \[(start|end):([a-z][-_0-9a-z]*)\]")


@pytest.mark.parametrize("script", SCRIPTS)
def test_section_markers_pair_up_and_pages_include_them(script):
    text = (SNIPPETS / script).read_text(encoding="utf-8")
    opened, names = [], []
    for kind, name in MARKER.findall(text):
        if kind == "start":
            opened.append(name)
            names.append(name)
        else:
            assert opened and opened.pop() == name, f"{script}: end:{name} without its start"
    assert not opened and len(names) == len(set(names)), script
    pages = "".join((DOCS / lang / "theory" / page).read_text(encoding="utf-8") for lang in ("en", "zh-TW")
                    for page in ("quantization.md", "pruning.md", "distillation.md", "kv-cache.md"))
    for name in names:  # every section is shown on a page, in both languages
        assert pages.count(f'--8<-- "theory/{script}:{name}"') == 2, (script, name)
