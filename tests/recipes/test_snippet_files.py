"""Every recipe file: its install line pins the versions installed here, and its section markers pair up."""

import importlib
import importlib.metadata
import re
from pathlib import Path

import pytest

RECIPES_DIR = Path(__file__).resolve().parents[2] / "snippets" / "recipes"
MODULES_WITH_INSTALL_LINE = sorted(p.stem for p in RECIPES_DIR.glob("*.py") if "PIP_INSTALL = " in p.read_text())
MARKER = re.compile(r"--8<-- \[(start|end):([a-z][-_0-9a-z]*)\]")


@pytest.mark.parametrize("path", sorted(RECIPES_DIR.glob("*.py")), ids=lambda p: p.name)
def test_section_markers_open_and_close_in_order(path):
    open_sections = []
    seen = set()
    for kind, name in MARKER.findall(path.read_text()):
        if kind == "start":
            assert name not in seen, f"section {name} defined twice"
            open_sections.append(name)
            seen.add(name)
        else:
            assert open_sections and open_sections[-1] == name, f"end:{name} without a matching start"
            open_sections.pop()
    assert not open_sections, f"unclosed sections: {open_sections}"


@pytest.mark.parametrize("module_name", MODULES_WITH_INSTALL_LINE)
def test_install_line_pins_the_installed_versions(module_name):
    install = importlib.import_module(f"snippets.recipes.{module_name}").PIP_INSTALL
    pins = re.findall(r'"([A-Za-z0-9_.-]+)==([^"]+)"', install)
    assert pins, install
    for package, version in pins:
        try:
            installed = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue  # bitsandbytes and vLLM are GPU-side: not installed on the CPU machines
        assert installed == version, f"{package}: docs say {version}, installed {installed}"
