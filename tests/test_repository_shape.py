"""The repository's folders depend on each other in one direction, and nothing edits the import path.

From the ground up: ``calculators`` (the engine) stands alone; ``snippets`` (the code the pages show) may use it;
both are installed by ``make setup``; ``hooks`` (the site build) and ``benchmarks`` (measurements, run as
``python -m benchmarks.NAME``) use them; ``tests`` may use everything. The lab notebooks import ``snippets`` as
installed. Only tests/mkdocs_hooks.py puts a folder on ``sys.path``, while it loads a hook as MkDocs does.
"""

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# folder -> the repository's folders its code may import
MAY_IMPORT = {
    "calculators": set(),
    "snippets": {"calculators"},
    "hooks": {"calculators", "snippets"},
    "benchmarks": {"calculators", "snippets"},
}
FOLDERS = {"calculators", "snippets", "benchmarks", "tests"}
HOOK_MODULES = {path.stem for path in (ROOT / "hooks").glob("*.py")}
NOTEBOOKS = sorted((ROOT / "docs").rglob("*.ipynb"))


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def imported_folders(tree: ast.AST, folder: str) -> set[str]:
    """The repository folders a module imports (hook modules import each other by name: they count as hooks)."""
    found = set()
    for node in ast.walk(tree):
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                 else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
        for name in names:
            top = name.split(".")[0]
            if top in FOLDERS:
                found.add(top)
            elif top in HOOK_MODULES:
                found.add("hooks")
    return found - {folder}


def edits_sys_path(tree: ast.AST) -> bool:
    """A call of sys.path.insert/append/extend/remove, or an assignment to sys.path or a slice of it."""
    def is_sys_path(node):
        return (isinstance(node, ast.Attribute) and node.attr == "path" and isinstance(node.value, ast.Name)
                and node.value.id == "sys")

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and is_sys_path(node.func.value):
            return True
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(is_sys_path(t) or (isinstance(t, ast.Subscript) and is_sys_path(t.value)) for t in targets):
                return True
    return False


def parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def notebook_code(path: Path) -> ast.AST:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ast.parse("\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"))


@pytest.mark.parametrize("folder", sorted(MAY_IMPORT))
def test_a_folder_imports_only_the_folders_under_it(folder):
    wrong = {path.relative_to(ROOT).as_posix(): sorted(imported_folders(parse(path), folder) - MAY_IMPORT[folder])
             for path in python_files(folder)}
    assert not {path: folders for path, folders in wrong.items() if folders}


def test_nothing_edits_the_import_path():
    files = [path for folder in (*MAY_IMPORT, "tests") for path in python_files(folder)
             if path != ROOT / "tests" / "mkdocs_hooks.py"]
    editors = [path.relative_to(ROOT).as_posix() for path in files if edits_sys_path(parse(path))]
    editors += [path.relative_to(ROOT).as_posix() for path in NOTEBOOKS if edits_sys_path(notebook_code(path))]
    assert not editors


def test_the_checks_see_what_they_look_for():
    assert edits_sys_path(ast.parse("import sys\nsys.path.insert(0, 'x')"))
    assert edits_sys_path(ast.parse("import sys\nsys.path[:] = []"))
    assert not edits_sys_path(ast.parse("import sys\nprint(sys.path)"))
    assert imported_folders(ast.parse("from tests.website import browser\nimport calculator_widget"),
                            "benchmarks") == {"tests", "hooks"}
    assert edits_sys_path(parse(ROOT / "tests" / "mkdocs_hooks.py"))
    assert NOTEBOOKS and all("snippets" in imported_folders(notebook_code(path), "docs")
                             for path in NOTEBOOKS if "/labs/" in path.as_posix() and path.stem[:2].isdigit())
