"""The single-notebook labs (docs/en/labs/*.ipynb): stored outputs are what the code prints today, and both languages
run the same code. The four-notebook labs in folders are run by tests/test_labs.py."""

import json
from pathlib import Path

import pytest

from tests.notebook_runner import run_code_cells, stored_outputs

DOCS = Path(__file__).resolve().parent.parent / "docs"
NOTEBOOKS = sorted((DOCS / "en" / "labs").glob("*.ipynb"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(notebook: dict) -> list[tuple]:
    return [(c["id"], c["source"], c["outputs"]) for c in notebook["cells"] if c["cell_type"] == "code"]


def test_there_are_labs():
    assert NOTEBOOKS


@pytest.mark.parametrize("english", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_match_a_fresh_run(english):
    notebook = load(english)
    assert run_code_cells(notebook) == stored_outputs(notebook), (
        f"{english.name}: outputs are stale; run tests/notebook_runner.py --write on it and its zh-TW twin"
    )


@pytest.mark.parametrize("english", NOTEBOOKS, ids=lambda p: p.name)
def test_chinese_lab_has_the_same_code_and_outputs(english):
    chinese = DOCS / "zh-TW" / english.relative_to(DOCS / "en")
    assert chinese.exists(), f"{chinese} is missing"
    assert code_cells(load(chinese)) == code_cells(load(english))
    english_cells, chinese_cells = load(english)["cells"], load(chinese)["cells"]
    assert [c["cell_type"] for c in chinese_cells] == [c["cell_type"] for c in english_cells]


def test_the_rounding_lab_has_the_plots_level_3_promises():
    level3 = (DOCS / "en" / "learning-path" / "level-3-formalization.md").read_text(encoding="utf-8")
    assert "shows both effects with plots" in level3
    for language in ("en", "zh-TW"):
        notebook = load(DOCS / language / "labs" / "rounding-error.ipynb")
        images = [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c["outputs"]
                  if "image/png" in o.get("data", {})]
        assert len(images) == 2, language
