"""Checks that hold for every test."""

import sys

import pytest


@pytest.fixture(autouse=True)
def torch_default_dtype_is_left_alone():
    """A snippet that changes torch's default dtype at import changes every later test's tensors: make it say so."""
    yield
    torch = sys.modules.get("torch")  # only if something imported it: the calculators' tests never do
    if torch is not None:
        assert torch.get_default_dtype() == torch.float32, "a test or a snippet changed torch's default dtype"
