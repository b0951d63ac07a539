"""The calculators wheel the site serves (hooks/calculator_widget.py): built by the build backend pyproject.toml
declares, the same bytes on every build, holding the package's modules and data, and importable on its own with
the standard library only."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from calculators.model.presets import PRESETS
from calculators.plan.gpus import CATALOG, COMPUTE_CAPABILITY
from tests.mkdocs_hooks import load_hook

ROOT = Path(__file__).resolve().parents[2]
calculator_widget = load_hook("calculator_widget")

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def wheel() -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(calculator_widget.wheel_bytes()))


def backend_pin() -> str:
    (requirement,) = PYPROJECT["build-system"]["requires"]
    name, _, version = requirement.partition("==")
    assert name == "setuptools" and version, requirement
    return version


def test_the_backend_is_pinned_once_and_installed():
    """[build-system] and requirements/constraints.txt (which `make` installs it with) name one version, and it is
    the one installed: the wheel's bytes depend on it."""
    assert PYPROJECT["build-system"]["build-backend"] == "setuptools.build_meta"
    constraints = (ROOT / "requirements" / "constraints.txt").read_text(encoding="utf-8")
    assert re.findall(r"^setuptools==(\S+)$", constraints, re.M) == [backend_pin()]
    assert importlib.metadata.version("setuptools") == backend_pin()


def test_the_wheel_is_the_backends(wheel):
    name = calculator_widget.wheel_name()
    project, version = PYPROJECT["project"]["name"], PYPROJECT["project"]["version"]
    assert name == f"{project.replace('-', '_')}-{version}-py3-none-any.whl"
    dist_info = f"{project.replace('-', '_')}-{version}.dist-info"
    generator = wheel.read(f"{dist_info}/WHEEL").decode()
    assert f"Generator: setuptools ({backend_pin()})" in generator and "Root-Is-Purelib: true" in generator
    metadata = wheel.read(f"{dist_info}/METADATA").decode()
    assert f"Name: {project}\n" in metadata and f"Version: {version}\n" in metadata
    assert not [line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]


def test_the_wheel_holds_every_module_and_the_data(wheel):
    names = set(wheel.namelist())
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "calculators").rglob("*")
               if p.suffix in {".py", ".json"} and "__pycache__" not in p.parts}
    assert {"calculators/data/gpus.json", "calculators/data/presets.json"} <= sources
    package = {n for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert package == sources
    for name in sources:
        assert wheel.read(name) == (ROOT / name).read_bytes(), name


def test_the_record_matches_the_files(wheel):
    (record,) = [n for n in wheel.namelist() if n.endswith(".dist-info/RECORD")]
    rows = [line.split(",") for line in wheel.read(record).decode().splitlines()]
    assert {path for path, _, _ in rows} == set(wheel.namelist())
    for path, digest, size in rows:
        if path == record:
            continue
        data = wheel.read(path)
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert digest == f"sha256={expected}" and int(size) == len(data), path


def test_two_builds_are_byte_identical(tmp_path):
    """Built twice from scratch (no cache), a second apart: the same bytes, which are the bytes the site gets."""
    first = calculator_widget.build_wheel(calculator_widget.wheel_inputs(), tmp_path / "one" / "out")
    second = calculator_widget.build_wheel(calculator_widget.wheel_inputs(), tmp_path / "two" / "out")
    assert first.name == second.name == calculator_widget.wheel_name()
    assert first.read_bytes() == second.read_bytes() == calculator_widget.wheel_bytes()
    times = {info.date_time for info in zipfile.ZipFile(first).infolist()}
    assert times == {(2020, 1, 1, 0, 0, 0)}  # SOURCE_DATE_EPOCH = WHEEL_EPOCH


IMPORT_ALONE = r"""
import importlib, json, pkgutil, sys
sys.path.insert(0, sys.argv[1])
import calculators
assert calculators.__file__.startswith(sys.argv[1]), calculators.__file__
for module in pkgutil.walk_packages(calculators.__path__, "calculators."):
    if not module.name.endswith(".__main__"):  # the CLI's entry point runs on import
        importlib.import_module(module.name)
from calculators.plan.gpus import CATALOG, COMPUTE_CAPABILITY
from calculators.model.presets import PRESETS
from calculators.cli import run_json
print(json.dumps({"gpus": [gpu.to_dict() for gpu in CATALOG], "capability": COMPUTE_CAPABILITY,
                  "presets": PRESETS, "modules": sorted(sys.modules),
                  "plan": run_json(["plan", "meta-llama/Llama-3.1-8B", "--gpu", "H100", "--seq-len", "8192"])}))
"""


def test_the_wheel_imports_alone_with_the_standard_library_only(wheel, tmp_path):
    """Unpacked into an empty folder and run with -I -S (no site-packages, no PYTHONPATH, no current directory): every
    module imports, and the catalog, the presets and a plan equal the ones from the source tree."""
    wheel.extractall(tmp_path)
    run = subprocess.run([sys.executable, "-I", "-S", "-c", IMPORT_ALONE, str(tmp_path)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout)
    assert out["gpus"] == [gpu.to_dict() for gpu in CATALOG]
    assert out["capability"] == {key: list(value) for key, value in COMPUTE_CAPABILITY.items()}
    assert json.dumps(out["presets"]) == json.dumps(PRESETS)  # same keys, order and types (1e-06, 8.0, null)
    from calculators.cli import run_json

    assert out["plan"] == json.loads(json.dumps(run_json(["plan", "meta-llama/Llama-3.1-8B", "--gpu", "H100",
                                                          "--seq-len", "8192"])))
    top_level = {module.split(".")[0] for module in out["modules"]}
    outside = sorted(top_level - set(sys.stdlib_module_names) - {"calculators", "__main__"})
    assert outside == [], outside
