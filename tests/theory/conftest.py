"""Fixtures that hand each test the module of a theory-chapter snippet (snippets/theory/)."""

from importlib import import_module

import pytest


@pytest.fixture(scope="session")
def quantizer():
    return import_module("snippets.theory.quantizer")


@pytest.fixture(scope="session")
def formats():
    return import_module("snippets.theory.formats")


@pytest.fixture(scope="session")
def saliency():
    return import_module("snippets.theory.saliency")


@pytest.fixture(scope="session")
def kd():
    return import_module("snippets.theory.kd_temperature")


@pytest.fixture(scope="session")
def kv():
    return import_module("snippets.theory.kv_cache_size")
