"""Run lab notebooks' code cells in-process and compare (or store) what they print and plot.

No Jupyter kernel is needed: each code cell is executed in one shared namespace, what it prints becomes the cell's
stream output and every matplotlib figure it leaves open becomes a PNG output (the Agg backend, so no screen is
needed). A cell tagged ``parameters`` (papermill's convention) holds a notebook's settings; ``--param NAME=VALUE``
runs a cell of overrides right after it, as papermill does. The site shows the stored outputs (mkdocs-jupyter does
not execute at build time).

    python tests/notebook_runner.py --write docs/en/labs/rounding-error.ipynb   # refresh stored outputs
    python tests/notebook_runner.py --execute docs/en/labs/gptq/*.ipynb        # run a lab in order, store outputs
                                                                                # in it and in its zh-TW twin
"""

import argparse
import base64
import contextlib
import io
import json
import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
DOCS = Path(__file__).resolve().parent.parent / "docs"


def is_parameters(cell: dict) -> bool:
    return "parameters" in cell.get("metadata", {}).get("tags", [])


def execute(notebook: dict, params: dict | None = None) -> list[list[dict]]:
    """Execute every code cell in order (``params`` overriding the parameters cell); return each cell's outputs."""
    namespace: dict = {"__name__": "__main__"}
    outputs = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile("".join(cell["source"]), "<notebook cell>", "exec"), namespace)
            if params and is_parameters(cell):
                namespace.update(params)
        cell_outputs = []
        if buffer.getvalue():
            cell_outputs.append({"name": "stdout", "output_type": "stream",
                                 "text": buffer.getvalue().splitlines(keepends=True)})
        cell_outputs += _figures()
        outputs.append(cell_outputs)
    return outputs


def _figures() -> list[dict]:
    """Every open matplotlib figure as a PNG output, then closed."""
    import sys

    if "matplotlib.pyplot" not in sys.modules:
        return []
    import matplotlib.pyplot as plt

    images = []
    for number in plt.get_fignums():
        buffer = io.BytesIO()
        plt.figure(number).savefig(buffer, format="png", dpi=80, bbox_inches="tight", metadata={"Software": None})
        images.append({"output_type": "display_data", "metadata": {},
                       "data": {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"),
                                "text/plain": ["<Figure>"]}})
    plt.close("all")
    return images


def run_code_cells(notebook: dict) -> list[str]:
    """Execute every code cell in order; return what each printed."""
    return ["".join("".join(o["text"]) for o in cell if o["output_type"] == "stream") for cell in execute(notebook)]


def stored_outputs(notebook: dict) -> list[str]:
    """The stream text stored in each code cell."""
    return [
        "".join("".join(output["text"]) for output in cell["outputs"] if output["output_type"] == "stream")
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
    ]


def store(path: Path, outputs: list[list[dict]]) -> None:
    """Write ``outputs`` into the notebook at ``path`` (one list per code cell)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    for count, (cell, cell_outputs) in enumerate(zip(code_cells, outputs, strict=True), start=1):
        cell["execution_count"] = count
        cell["outputs"] = cell_outputs
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def twin(english: Path) -> Path:
    """The zh-TW notebook with the same code as an English one."""
    return DOCS / "zh-TW" / english.resolve().relative_to(DOCS / "en")


def _value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", nargs="+", type=Path, metavar="NOTEBOOK", help="re-run and store printed text")
    group.add_argument("--execute", nargs="+", type=Path, metavar="NOTEBOOK",
                       help="run English lab notebooks in order; store outputs in them and in their zh-TW twins")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override a parameters-cell value (JSON, or a string)")
    args = parser.parse_args()
    overrides = {name: _value(value) for name, value in (item.split("=", 1) for item in args.param)}
    for notebook_path in args.write or args.execute:
        result = execute(json.loads(notebook_path.read_text(encoding="utf-8")), overrides)
        store(notebook_path, result)
        if args.execute and twin(notebook_path).exists():
            store(twin(notebook_path), result)
        print(f"stored {notebook_path}")
