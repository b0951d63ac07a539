"""Fixtures that load the theory-chapter snippets (scripts, not a package) by path under private module names."""

from pathlib import Path

import pytest

from ..snippet_modules import load_snippet

SNIPPETS = Path(__file__).resolve().parents[2] / "snippets" / "theory_chapters"




@pytest.fixture(scope="session")
def quantizer():
    return load_snippet("theory_chapters/quantizer.py")


@pytest.fixture(scope="session")
def formats():
    return load_snippet("theory_chapters/formats.py")


@pytest.fixture(scope="session")
def saliency():
    return load_snippet("theory_chapters/saliency.py")


@pytest.fixture(scope="session")
def kd():
    return load_snippet("theory_chapters/kd_temperature.py")


@pytest.fixture(scope="session")
def kv():
    return load_snippet("theory_chapters/kv_cache_size.py")
