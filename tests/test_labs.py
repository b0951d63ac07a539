"""The labs (docs/{en,zh-TW}/labs/<lab>/): each runs end to end at the tiny scale, in order, in a fresh namespace per
notebook, and both languages hold the same code and outputs. Their measured figures go to a temporary folder here
(LAB_RESULTS_DIR), so a test run never rewrites the committed results the README pages render."""

import json
from pathlib import Path

import pytest

from tests.notebook_runner import execute, is_parameters, twin

DOCS = Path(__file__).resolve().parent.parent / "docs"
LABS = sorted(p for p in (DOCS / "en" / "labs").iterdir() if p.is_dir())


def notebooks(lab: Path) -> list[Path]:
    return sorted(lab.glob("0*.ipynb"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_three_labs_have_a_readme_and_four_notebooks_in_both_languages():
    assert [lab.name for lab in LABS] == ["distillation", "gptq", "wanda"]
    for lab in LABS:
        assert (lab / "README.md").exists() and (DOCS / "zh-TW" / "labs" / lab.name / "README.md").exists()
        assert [p.name[:3] for p in notebooks(lab)] == ["01-", "02-", "03-", "04-"]
        for english in notebooks(lab):
            assert twin(english).exists(), twin(english)


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_both_languages_hold_the_same_code_and_outputs(lab):
    for english in notebooks(lab):
        en, zh = load(english), load(twin(english))
        assert [c["cell_type"] for c in en["cells"]] == [c["cell_type"] for c in zh["cells"]], english.name
        code = [(c["source"], c["outputs"], c.get("metadata", {}).get("tags")) for c in en["cells"]
                if c["cell_type"] == "code"]
        assert code == [(c["source"], c["outputs"], c.get("metadata", {}).get("tags")) for c in zh["cells"]
                        if c["cell_type"] == "code"], english.name


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_every_notebook_is_executed_and_starts_at_the_tiny_scale(lab):
    for english in notebooks(lab):
        cells = [c for c in load(english)["cells"] if c["cell_type"] == "code"]
        parameters = [c for c in cells if is_parameters(c)]
        assert len(parameters) == 1 and 'scale = "tiny"' in "".join(parameters[0]["source"]), english.name
        assert all(c["execution_count"] for c in cells), f"{english.name}: run tests/notebook_runner.py --execute"
        assert any(c["outputs"] for c in cells), english.name


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_the_lab_runs_end_to_end_at_the_tiny_scale(lab, tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_RESULTS_DIR", str(tmp_path))
    for english in notebooks(lab):
        outputs = execute(load(english))
        assert any(outputs), english.name
    recorded = json.loads((tmp_path / f"lab-{lab.name}.json").read_text(encoding="utf-8"))
    committed = json.loads((Path(__file__).resolve().parent.parent / "benchmarks" / "results" /
                            f"lab-{lab.name}.json").read_text(encoding="utf-8"))
    assert set(recorded) == set(committed), "the committed results come from another version of the notebooks"
