"""A reader can copy a complete program from every recipe page, imports included.

The pages explain a recipe in fragments (`--8<-- "recipes/x.py:section"`), and a fragment alone has no imports: the
bitsandbytes page showed `torch.bfloat16` with no `import torch` anywhere on it. So each recipe page, in both
languages, must also include whole every snippet file it takes a fragment from, and every module of the `snippets`
package that those files import (the closure); the files it shows whole must name nothing undefined (ruff F821);
and any Python typed on the page rather than included must be complete on its own.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import markdown
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
LANGUAGES = ("en", "zh-TW")
PAGES = [(language, page.name) for language in LANGUAGES for page in sorted((DOCS / language / "recipes").glob("*.md"))]
PYTHON = {"python", "py", "python3"}

INCLUDE = re.compile(r'^[ \t]*--8<--[ \t]+"([^"]+)"[ \t]*$', re.M)
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```|~~~)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$",
                   re.M | re.S)
TARGET = re.compile(r"^(?P<path>.+?)(?::(?P<section>[a-z][-_0-9a-z]*)|(?::-?\d*(?::-?\d*)?)+(?:,[-\d:]+)*)?$")
MARKER = re.compile(r"--8<--\s*\[\s*(start|end)\s*:")


class _MkDocsLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, whose `!ENV` and `!!python/name:` tags a safe loader refuses; their values are not needed."""


_MkDocsLoader.add_multi_constructor("!", lambda loader, suffix, node: None)
_MkDocsLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def snippet_options() -> dict:
    """The pymdownx.snippets options the site is built with (mkdocs.yml), base paths made absolute."""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_MkDocsLoader)
    for extension in config["markdown_extensions"]:
        if isinstance(extension, dict) and "pymdownx.snippets" in extension:
            options = dict(extension["pymdownx.snippets"] or {})
            break
    else:
        raise AssertionError("mkdocs.yml does not enable pymdownx.snippets")
    bases = options.get("base_path", ["."])
    options["base_path"] = [str(ROOT / base) for base in ([bases] if isinstance(bases, str) else bases)]
    return options


SNIPPETS = snippet_options()


def resolve(path: str) -> Path:
    """The file an include names, looked up in the base paths in order, as pymdownx.snippets does."""
    for base in SNIPPETS["base_path"]:
        if (Path(base) / path).is_file():
            return Path(base) / path
    raise AssertionError(f"no snippet file {path!r} under {SNIPPETS['base_path']}")


def includes(text: str) -> tuple[set[str], set[str]]:
    """(files included whole, files a fragment is taken from), as paths relative to a base path."""
    whole, fragments = set(), set()
    for target in INCLUDE.findall(text):
        match = TARGET.match(target.strip())
        assert match, target
        if match.group("path") == target.strip():
            whole.add(match.group("path"))
        else:
            fragments.add(match.group("path"))
    return whole, fragments


def relative_to_base(file: Path) -> str | None:
    for base in SNIPPETS["base_path"]:
        if file.is_relative_to(base):
            return file.relative_to(base).as_posix()
    return None


def has_code(file: Path) -> bool:
    """Whether `file` holds more than a docstring (a package's __init__.py that only documents it does not)."""
    body = ast.parse(file.read_text(encoding="utf-8")).body
    return any(not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)) for node in body)


def module_file(module: str) -> Path | None:
    """The file of a module of the `snippets` package that a copied program needs, or None: not `snippets`, not a
    file here, or a package's __init__.py that holds only a docstring."""
    parts = module.split(".")
    if parts[0] != "snippets":
        return None
    candidate = ROOT.joinpath(*parts)
    if candidate.with_suffix(".py").is_file():
        return candidate.with_suffix(".py")
    if (candidate / "__init__.py").is_file() and has_code(candidate / "__init__.py"):
        return candidate / "__init__.py"
    return None


def snippets_imports(file: Path) -> set[Path]:
    """The files of the `snippets` modules that `file` imports, absolute or relative, at any depth in the file."""
    package = file.relative_to(ROOT).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"), filename=str(file))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parent = list(package[: len(package) - node.level + 1]) if node.level else []
            base = ".".join([*parent, *([node.module] if node.module else [])])
            # `from snippets.recipes.common import f` imports snippets.recipes.common; `from snippets.recipes import
            # common` imports snippets.recipes and its submodule common.
            modules = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(path for path in map(module_file, modules) if path is not None)
    return found


def undefined_names(files: list[Path]) -> str:
    """ruff's F821 (undefined name) report on `files`; empty when every name is defined or imported."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select", "F821",
         "--output-format", "concise", *map(str, files)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode in (0, 1), result.stderr
    return "" if result.returncode == 0 else result.stdout


def read(language: str, page: str) -> str:
    return (DOCS / language / "recipes" / page).read_text(encoding="utf-8")


def page_id(param) -> str:
    return f"{param[0]}/{param[1]}"


@pytest.mark.parametrize(("language", "page"), PAGES, ids=map(page_id, PAGES))
def test_every_file_a_fragment_comes_from_is_shown_whole(language, page):
    whole, fragments = includes(read(language, page))
    missing = sorted(fragments - whole)
    assert not missing, (f"{language}/recipes/{page} shows fragments of {missing} but not the whole files: "
                         f"add them under the page's whole-recipe section")


@pytest.mark.parametrize(("language", "page"), PAGES, ids=map(page_id, PAGES))
def test_every_snippets_module_a_whole_file_imports_is_shown_whole(language, page):
    whole, _ = includes(read(language, page))
    missing = {}
    for path in sorted(whole):
        for imported in snippets_imports(resolve(path)):
            name = relative_to_base(imported)
            if name not in whole:
                missing.setdefault(path, []).append(name or imported.relative_to(ROOT).as_posix())
    assert not missing, f"{language}/recipes/{page}: whole files import snippets modules it does not show: {missing}"


@pytest.mark.parametrize(("language", "page"), PAGES, ids=map(page_id, PAGES))
def test_the_files_shown_whole_define_or_import_every_name(language, page):
    whole, _ = includes(read(language, page))
    python_files = [resolve(path) for path in sorted(whole) if path.endswith(".py")]
    if not python_files:
        pytest.skip("no whole Python file on the page")
    report = undefined_names(python_files)
    assert not report, f"{language}/recipes/{page}: undefined names in the files it shows whole:\n{report}"


@pytest.mark.parametrize(("language", "page"), PAGES, ids=map(page_id, PAGES))
def test_python_typed_on_the_page_is_complete(language, page, tmp_path):
    text = read(language, page)
    blocks = []
    for block in FENCE.finditer(text):
        info = block.group("info").strip()
        lang = info.split()[0].lstrip(".{").rstrip("}").lower() if info else ""
        body = [line for line in block.group("body").splitlines() if line.strip()]
        if lang not in PYTHON or all(INCLUDE.match(line) for line in body):
            continue
        line_number = text.count("\n", 0, block.start()) + 1
        file = tmp_path / f"block_line_{line_number}.py"
        indent = len(block.group("indent"))
        file.write_text("\n".join(line[indent:] for line in block.group("body").splitlines()) + "\n", encoding="utf-8")
        blocks.append(file)
    if not blocks:
        return
    report = undefined_names(blocks)
    assert not report, (f"{language}/recipes/{page}: Python typed on the page (not included from snippets/) uses "
                        f"names it neither defines nor imports; the block is named by its line on the page:\n{report}")


@pytest.mark.parametrize(("language", "page"), PAGES, ids=map(page_id, PAGES))
def test_whole_files_render_with_their_imports_and_without_section_markers(language, page):
    """Runs the page through pymdownx.snippets with the site's options, as the build does."""
    text = read(language, page)
    whole, _ = includes(text)
    md = markdown.Markdown(extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": SNIPPETS})
    expanded = "\n".join(md.preprocessors["snippet"].run(text.splitlines()))
    leftover = [line for line in expanded.splitlines() if MARKER.search(line)]
    assert not leftover, f"{language}/recipes/{page}: section markers in the rendered page: {leftover[:3]}"
    for path in sorted(whole):
        if not path.endswith(".py"):
            continue
        source = resolve(path).read_text(encoding="utf-8")
        imports = [line for line in source.splitlines() if re.match(r"(from|import) \S", line)]
        assert all(line in expanded for line in imports), f"{language}/recipes/{page}: {path} lost its imports"


def test_the_check_of_typed_python_catches_a_missing_import(tmp_path):
    """The seeds' bitsandbytes listing, typed on a page, is what these tests must refuse."""
    listing = tmp_path / "listing.py"
    listing.write_text("from transformers import BitsAndBytesConfig\n\n"
                       "config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=torch.bfloat16)\n",
                       encoding="utf-8")
    assert "F821" in undefined_names([listing])
