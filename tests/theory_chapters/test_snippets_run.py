"""Every theory-chapter snippet runs as a script (as `{{ run }}` does at build time), quickly and deterministically."""

import os
import re
import subprocess
import sys
import time

import pytest

from .conftest import SNIPPETS

DOCS = SNIPPETS.parents[1] / "docs"

SCRIPTS = ["quantizer.py", "formats.py", "saliency.py", "kd_temperature.py", "kv_cache_size.py"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_runs_fast_and_deterministically(script):
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    outputs = []
    for _ in range(2):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(SNIPPETS / script)], capture_output=True, text=True, env=env,
                                check=True)
        outputs.append(result.stdout)
        assert time.perf_counter() - start < 10, f"{script} is too slow for a build-time run"
    assert outputs[0] == outputs[1]
    assert outputs[0].strip()


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
        assert pages.count(f'--8<-- "theory_chapters/{script}:{name}"') == 2, (script, name)
