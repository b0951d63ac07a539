"""The calculators run unchanged in Pyodide (Python 3.14 in WebAssembly), offline, and agree with CPython.

``pyodide_check.mjs`` loads Pyodide from ``node_modules/pyodide`` (npm ``pyodide@314.0.7``), installs the
wheel the site serves (hooks/calculator_widget.py builds it; its data files, the GPU catalog and the presets, are
read with ``importlib.resources``) and calls ``calculators.cli.run_json`` for a list of cases (presets' params,
KV cache, weights, plans, recommend, training, and the error path). This test runs it with node and
compares every result with CPython's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from calculators.cli import run_json
from calculators.errors import CalculatorError
from tests.mkdocs_hooks import load_hook

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("pyodide_check.mjs")
PYODIDE = ROOT / "node_modules" / "pyodide" / "pyodide.mjs"
calculator_widget = load_hook("calculator_widget")


@pytest.fixture(scope="module")
def pyodide_output(tmp_path_factory) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, so Pyodide cannot run")
    if not PYODIDE.exists():
        pytest.skip("node_modules/pyodide is missing: run `npm install --save-exact pyodide@314.0.7`")
    wheel = tmp_path_factory.mktemp("wheel") / calculator_widget.wheel_name()
    wheel.write_bytes(calculator_widget.wheel_bytes())
    result = subprocess.run([node, str(SCRIPT), str(wheel)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def cpython(argv: list[str]) -> dict:
    try:
        return {"ok": run_json(argv)}
    except CalculatorError as error:
        return {"error": str(error), "field": error.field}


def test_pyodide_is_python_3_14_in_webassembly(pyodide_output):
    assert pyodide_output["python"].startswith("3.14")
    assert pyodide_output["platform"] == "emscripten"


def test_pyodide_runs_the_unpacked_wheel(pyodide_output):
    """The package is the wheel, unpacked where the browser's worker unpacks it (Pyodide's working directory):
    nothing else is written into Pyodide's file system, so its data files came from the wheel too."""
    assert pyodide_output["package"] == "/home/pyodide/calculators/__init__.py"


def test_pyodide_results_equal_cpython_results(pyodide_output):
    cases, results = pyodide_output["cases"], pyodide_output["results"]
    assert len(cases) == len(results) >= 20
    for argv, result in zip(cases, results, strict=True):
        assert result == cpython(argv), argv


def test_pyodide_covers_success_and_the_error_path(pyodide_output):
    results = pyodide_output["results"]
    commands = {argv[0] for argv, result in zip(pyodide_output["cases"], results, strict=True) if "ok" in result}
    assert {"params", "kv", "plan", "recommend", "train", "weights", "gpus", "presets"} <= commands
    errors = [r for r in results if "error" in r]
    assert {"gpu", "seq_len", "kv_dtype", "config"} <= {r["field"] for r in errors}
