"""Run the lab notebooks' code cells in-process and compare (or store) their printed output.

The labs use the standard library only, so no Jupyter kernel is needed: each code cell is executed in one shared
namespace and what it prints becomes the cell's stream output. The site shows the stored outputs (mkdocs-jupyter
does not execute at build time); tests/test_notebooks.py asserts they are exactly what the code prints today.

    python tests/notebook_runner.py --write docs/en/labs/rounding-error.ipynb   # refresh stored outputs
"""

import argparse
import contextlib
import io
import json
from pathlib import Path


def run_code_cells(notebook: dict) -> list[str]:
    """Execute every code cell in order; return what each printed."""
    namespace: dict = {"__name__": "__main__"}
    printed = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile("".join(cell["source"]), "<notebook cell>", "exec"), namespace)
        printed.append(buffer.getvalue())
    return printed


def stored_outputs(notebook: dict) -> list[str]:
    """The stream text stored in each code cell."""
    return [
        "".join("".join(output["text"]) for output in cell["outputs"] if output["output_type"] == "stream")
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
    ]


def write_outputs(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    for count, (cell, text) in enumerate(zip(code_cells, run_code_cells(notebook), strict=True), start=1):
        cell["execution_count"] = count
        cell["outputs"] = (
            [{"name": "stdout", "output_type": "stream", "text": text.splitlines(keepends=True)}] if text else []
        )
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", nargs="+", type=Path, required=True, metavar="NOTEBOOK")
    for notebook_path in parser.parse_args().write:
        write_outputs(notebook_path)
