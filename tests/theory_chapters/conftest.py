"""Fixtures that load the theory-chapter snippets (scripts, not a package) by path under private module names."""

import importlib.util
from pathlib import Path

import pytest

SNIPPETS = Path(__file__).resolve().parents[2] / "snippets" / "theory_chapters"


def load_snippet(file_name: str):
    spec = importlib.util.spec_from_file_location(f"theory_chapters_{file_name[:-3]}", SNIPPETS / file_name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def quantizer():
    return load_snippet("quantizer.py")


@pytest.fixture(scope="session")
def formats():
    return load_snippet("formats.py")


@pytest.fixture(scope="session")
def saliency():
    return load_snippet("saliency.py")


@pytest.fixture(scope="session")
def kd():
    return load_snippet("kd_temperature.py")


@pytest.fixture(scope="session")
def kv():
    return load_snippet("kv_cache_size.py")
