"""Hostile input reaches only CalculatorError: deep JSON, numbers of thousands of digits, wrong types in the API."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculators import (
    count_parameters,
    kv_cache,
    load_spec,
    memory_plan,
    parse_format,
    recommend,
    training_memory,
    weight_memory,
)
from calculators.errors import CalculatorError
from calculators.model.configs import MAX_JSON_DEPTH, json_depth, parse_config_json
from calculators.web import page_result


def test_deep_json_is_refused_before_it_is_parsed():
    assert json_depth('{"a": [1, {"b": "[[[{{{"}]}') == 3  # brackets inside strings do not count
    with pytest.raises(CalculatorError, match=f"^config: is nested 3,000 levels deep; a config.json is at most "
                                              f"{MAX_JSON_DEPTH}"):
        parse_config_json("[" * 3000 + "]" * 3000)
    page = page_result(["params", "config.json"], "en", '{"a": ' + "[" * 5000 + "]" * 5000 + "}")
    assert page == {"ok": False, "field": "config-json",
                    "message": "config-json: is nested 5,001 levels deep; a config.json is at most 64"}


@pytest.mark.parametrize("text", ["bpw:" + "9" * 5000, "gptq-int4-g" + "1" * 5000, "awq-int4-g" + "7" * 4400])
def test_formats_with_thousands_of_digits_are_refused(text):
    with pytest.raises(CalculatorError, match="^weights: expected one of"):
        parse_format(text)


SPEC_USERS = [
    lambda spec: count_parameters(spec), lambda spec: kv_cache(spec, seq_len=16),
    lambda spec: weight_memory(spec), lambda spec: memory_plan(spec, seq_len=16, gpu="H100"),
    lambda spec: recommend(spec, seq_len=16), lambda spec: training_memory(spec, method="lora"),
]


@pytest.mark.parametrize("use", SPEC_USERS)
@pytest.mark.parametrize("spec", [None, 5, "meta-llama/Llama-3.1-8B", {}, [1]])
def test_a_wrong_spec_names_the_field(use, spec):
    with pytest.raises(CalculatorError, match="^spec: expected a ModelSpec"):
        use(spec)


@settings(max_examples=200, deadline=None)
@given(
    weights=st.one_of(st.none(), st.integers(), st.text(max_size=50), st.sampled_from(["bf16", "mxfp4", "nf4-dq"])),
    kv=st.one_of(st.integers(), st.text(max_size=10), st.sampled_from(["fp8", "bf16"])),
    gpu=st.one_of(st.none(), st.integers(), st.text(max_size=10), st.sampled_from(["H100", "l4"])),
    gib=st.one_of(st.none(), st.floats(allow_nan=True), st.integers(-5, 5000), st.text(max_size=4)),
    version=st.one_of(st.none(), st.text(max_size=12), st.floats(), st.sampled_from(["0.6.4", "0.10.1", "0.34"])),
    count=st.one_of(st.integers(-2, 16), st.floats(), st.text(max_size=2)),
    entrypoint=st.one_of(st.text(max_size=6), st.sampled_from(["serve", "llm"])),
    gpus=st.one_of(st.none(), st.integers(), st.lists(st.text(max_size=6), max_size=3)),
    counts=st.one_of(st.none(), st.lists(st.integers(-1, 9), max_size=3), st.text(max_size=3)),
)
def test_fuzzed_planner_arguments_raise_only_calculator_error(weights, kv, gpu, gib, version, count, entrypoint,
                                                              gpus, counts):
    spec = load_spec("Qwen/Qwen2.5-0.5B")
    for call in (
        lambda: memory_plan(spec, weights=weights, kv_dtype=kv, gpu=gpu, gpu_memory_gib=gib, vllm_version=version,
                            count=count, entrypoint=entrypoint, seq_len=512, inverse=False),
        lambda: recommend(spec, weights=weights, seq_len=512, vllm_version=version, gpus=gpus, counts=counts),
    ):
        with contextlib.suppress(CalculatorError):
            call()
