"""Every invalid input raises CalculatorError naming the field; fuzzed inputs let nothing else escape."""

from __future__ import annotations

import copy
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculators.errors import LIMITS, CalculatorError, choice, non_negative_int, positive_int
from calculators.memory.kv import kv_cache
from calculators.model.configs import load_config, load_spec, parse_config_json, preset_config
from calculators.model.dtypes import kv_dtype
from calculators.model.families import model_spec
from calculators.model.params import count_parameters
from calculators.model.presets import PRESETS

LLAMA = PRESETS["meta-llama/Llama-3.1-8B"]
BAD_LENGTHS = [0, -3, 1.5, 2.0, True, False, "8", None, [8], float("nan"), float("inf")]


def raises_on(field: str, call, *args, **kwargs) -> CalculatorError:
    with pytest.raises(CalculatorError) as error:
        call(*args, **kwargs)
    assert error.value.field == field, str(error.value)
    assert str(error.value).startswith(f"{field}: ")
    return error.value


# ----------------------------------------------------------------------------------------------------
# Lengths, sizes, dtypes


@pytest.mark.parametrize("argument", ["seq_len", "batch", "tp", "block_size"])
@pytest.mark.parametrize("value", BAD_LENGTHS[:-3] + [float("nan")])
def test_bad_lengths_are_refused_naming_the_argument(argument, value):
    spec = model_spec(LLAMA)
    if argument == "block_size" and value is None:
        return  # None means "not paged"
    kwargs = {"seq_len": 128, argument: value}
    error = raises_on(argument, kv_cache, spec, **kwargs)
    assert "integer" in str(error)


@pytest.mark.parametrize("argument", ["seq_len", "batch", "tp", "block_size"])
def test_absurd_sizes_over_the_documented_maximum_are_refused(argument):
    kwargs = {"seq_len": 128, argument: LIMITS[argument] + 1}
    error = raises_on(argument, kv_cache, model_spec(LLAMA), **kwargs)
    assert f"{LIMITS[argument]:,}" in str(error)
    assert kv_cache(model_spec(LLAMA), **{**kwargs, argument: LIMITS[argument] if argument != "tp" else 8})


@pytest.mark.parametrize("dtype", ["int3", "fp64", "", None, 8, "bf 16"])
def test_unknown_kv_dtype_lists_the_accepted_ones(dtype):
    error = raises_on("kv_dtype", kv_cache, model_spec(LLAMA), seq_len=8, kv_dtype=dtype)
    assert "bf16" in str(error) and "int4" in str(error)


@pytest.mark.parametrize("argument", ["conv_state_dtype", "ssm_state_dtype"])
def test_unknown_state_dtype_is_refused(argument):
    raises_on(argument, kv_cache, model_spec(LLAMA), seq_len=8, **{argument: "int8"})


def test_mla_decompressed_must_be_a_boolean():
    raises_on("mla_decompressed", kv_cache, model_spec(LLAMA), seq_len=8, mla_decompressed="yes")


def test_spec_must_be_a_model_spec():
    raises_on("spec", kv_cache, LLAMA, seq_len=8)
    raises_on("spec", count_parameters, LLAMA)


def test_validators_name_the_field_and_what_is_accepted():
    assert str(raises_on("n", positive_int, "n", -3)) == "n: expected a positive integer, got -3"
    raises_on("n", positive_int, "n", 11, 10)
    raises_on("n", non_negative_int, "n", -1)
    assert "a, b" in str(raises_on("c", choice, "c", "z", ["a", "b"]))
    assert kv_dtype("BF16").name == "bf16"


# ----------------------------------------------------------------------------------------------------
# Config fields


def without(config: dict, key: str) -> dict:
    return {k: v for k, v in config.items() if k != key}


REQUIRED = {
    "meta-llama/Llama-3.1-8B": [
        "hidden_size",
        "num_hidden_layers",
        "num_attention_heads",
        "vocab_size",
        "intermediate_size",
    ],
    "deepseek-ai/DeepSeek-V3": ["hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"],
    "openai-community/gpt2": ["n_embd", "n_layer", "n_head", "vocab_size"],
    "tiiuae/falcon-7b": ["hidden_size", "num_attention_heads", "num_hidden_layers"],
    "ai21labs/Jamba-v0.1": ["intermediate_size", "vocab_size"],
}


@pytest.mark.parametrize(("hf_id", "key"), [(hf_id, key) for hf_id, keys in REQUIRED.items() for key in keys])
def test_missing_required_field_is_named(hf_id, key):
    error = raises_on(f"config.{key}", model_spec, without(PRESETS[hf_id], key))
    assert "missing" in str(error)


def test_missing_field_inside_text_config_is_named_with_its_path():
    config = copy.deepcopy(PRESETS["google/gemma-3-4b-pt"])
    del config["text_config"]["hidden_size"]
    raises_on("config.text_config.hidden_size", model_spec, config)
    config["text_config"] = "oops"
    raises_on("config.text_config", model_spec, config)


@pytest.mark.parametrize("value", ["4096", 4096.0, True, -1, 0, [4096], {"a": 1}, float("nan"), 1 << 40])
@pytest.mark.parametrize("key", ["hidden_size", "num_key_value_heads", "head_dim", "sliding_window"])
def test_ill_typed_or_out_of_range_field_is_named(key, value):
    config = {**PRESETS["mistralai/Mistral-7B-v0.1"], key: value}
    raises_on(f"config.{key}", model_spec, config)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("tie_word_embeddings", "no"),
        ("attention_bias", 1),
        ("layer_types", "full"),
        ("rope_parameters", None),  # null is accepted: checked below that nothing raises
    ],
)
def test_ill_typed_flags_and_lists(key, value):
    config = {**PRESETS["Qwen/Qwen3-8B"], key: value}
    if value is None:
        model_spec(config)
        return
    raises_on(f"config.{key}", model_spec, config)


def test_layer_types_must_have_one_known_entry_per_layer():
    config = {**PRESETS["openai/gpt-oss-20b"], "layer_types": ["full_attention"] * 3}
    assert "24" in str(raises_on("config.layer_types", model_spec, config))
    config["layer_types"] = ["full_attention"] * 23 + ["mamba_attention"]
    raises_on("config.layer_types[23]", model_spec, config)


def test_inconsistent_dimensions_are_refused():
    raises_on("config.num_key_value_heads", model_spec, {**LLAMA, "num_key_value_heads": 5})
    raises_on(
        "config.num_experts_per_tok", model_spec, {**PRESETS["mistralai/Mixtral-8x7B-v0.1"], "num_experts_per_tok": 9}
    )
    raises_on("config.attn_layer_offset", model_spec, {**PRESETS["ai21labs/Jamba-v0.1"], "attn_layer_offset": 8})
    raises_on("config.n_head", model_spec, {**PRESETS["openai-community/gpt2"], "n_head": 7})
    raises_on(
        "config.num_hidden_layers",
        model_spec,
        {**PRESETS["openai-community/gpt2"], "n_layer": 12, "num_hidden_layers": 11},
    )
    raises_on("config.model_type", model_spec, {**LLAMA, "model_type": 3})
    raises_on("config.sliding_window", model_spec, {**PRESETS["google/gemma-2-2b"], "sliding_window": None})


def test_config_that_is_not_a_dict_is_refused():
    for value in (None, [], "{}", 3):
        raises_on("config", model_spec, value)


# ----------------------------------------------------------------------------------------------------
# Loading config.json


@pytest.mark.parametrize("text", ["", "not json", "{'single': 'quotes'}", '{"a": 1', "[1, 2]", '"text"', "3", "null"])
def test_text_that_is_not_a_json_object_is_refused(text):
    error = raises_on("config", parse_config_json, text)
    assert "JSON" in str(error)


def test_load_config_accepts_presets_paths_folders_and_text(tmp_path):
    assert load_config("meta-llama/Llama-3.1-8B") == LLAMA
    assert load_config("META-LLAMA/llama-3.1-8b") is not PRESETS["meta-llama/Llama-3.1-8B"]
    (tmp_path / "config.json").write_text(json.dumps(LLAMA))
    assert load_config(str(tmp_path)) == LLAMA
    assert load_config(tmp_path / "config.json") == LLAMA
    assert load_config(json.dumps(LLAMA)) == LLAMA
    assert load_config(json.dumps(LLAMA).encode()) == LLAMA
    assert load_spec(str(tmp_path / "config.json")).source == str(tmp_path / "config.json")
    assert load_spec(json.dumps(LLAMA)).total_params == 8_030_261_248


def test_load_config_errors_name_the_input(tmp_path):
    assert "did you mean meta-llama/Llama-3.1-8B" in str(raises_on("model", load_config, "meta-llama/Llama-3.1-8C"))
    raises_on("model", load_config, "no-such-model")
    raises_on("model", load_config, 42)
    raises_on("model", preset_config, "x/y")
    (tmp_path / "config.json").write_text("[]")
    raises_on(str(tmp_path / "config.json"), load_config, str(tmp_path))
    (tmp_path / "config.json").write_bytes(b"\xff\xfe{")
    raises_on(str(tmp_path / "config.json"), load_config, str(tmp_path / "config.json"))
    raises_on("config", parse_config_json, "[" * 100_000 + "]" * 100_000)
    raises_on("config", parse_config_json, " " * (LIMITS["config_text_chars"] + 1))


# ----------------------------------------------------------------------------------------------------
# Fuzzing: only CalculatorError escapes, and every number that comes out is a non-negative integer

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70) | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=8,
)
INTERESTING_KEYS = sorted({key for config in PRESETS.values() for key in config} | {"text_config", "model_type"})


@st.composite
def mutated_configs(draw):
    config = copy.deepcopy(PRESETS[draw(st.sampled_from(sorted(PRESETS)))])
    target = config["text_config"] if "text_config" in config and draw(st.booleans()) else config
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from(INTERESTING_KEYS) | st.text(max_size=6))
        if draw(st.booleans()) and key in target:
            del target[key]
        else:
            target[key] = draw(JSON_VALUES | st.integers(1, 9))
    return config


def check_all_outputs(spec, seq_len, batch, dtype, block_size, tp, decompressed):
    counts = count_parameters(spec)
    assert counts.total >= 0 and counts.active >= 0 and counts.checkpoint_only >= 0
    kv = kv_cache(
        spec, seq_len=seq_len, batch=batch, kv_dtype=dtype, block_size=block_size, tp=tp, mla_decompressed=decompressed
    )
    data = kv.to_dict()
    json.dumps(data, allow_nan=False)
    for key, value in data.items():
        if key.endswith("_bytes"):
            assert isinstance(value, int) and value >= 0, (key, value)


@settings(max_examples=300)
@given(
    config=mutated_configs(),
    seq_len=st.integers(1, 100_000),
    batch=st.integers(1, 64),
    dtype=st.sampled_from(["bf16", "fp8", "int8", "int4", "nvfp4", "fp32"]),
    block_size=st.none() | st.integers(1, 64),
    tp=st.sampled_from([1, 2, 4, 8, 3]),
    decompressed=st.booleans(),
)
def test_fuzzed_configs_raise_only_calculator_errors(config, seq_len, batch, dtype, block_size, tp, decompressed):
    try:
        spec = model_spec(config)
        check_all_outputs(spec, seq_len, batch, dtype, block_size, tp, decompressed)
    except CalculatorError as error:
        assert error.field and str(error).startswith(error.field)


@settings(max_examples=200)
@given(
    seq_len=JSON_VALUES | st.integers(),
    batch=JSON_VALUES | st.integers(),
    tp=JSON_VALUES | st.integers(),
    block_size=JSON_VALUES,
    dtype=JSON_VALUES,
)
def test_fuzzed_kv_arguments_raise_only_calculator_errors(seq_len, batch, tp, block_size, dtype):
    spec = model_spec(PRESETS["Qwen/Qwen3-Next-80B-A3B-Instruct"])
    try:
        kv = kv_cache(spec, seq_len=seq_len, batch=batch, tp=tp, block_size=block_size, kv_dtype=dtype)
    except CalculatorError:
        return
    assert kv.kv_cache_bytes >= 0 and not math.isnan(kv.kv_cache_bytes)


@settings(max_examples=200)
@given(st.text(max_size=200) | st.binary(max_size=100) | JSON_VALUES.map(json.dumps))
def test_fuzzed_config_text_raises_only_calculator_errors(text):
    try:
        config = parse_config_json(text)
        spec = model_spec(config)
        check_all_outputs(spec, 100, 1, "bf16", None, 1, False)
    except CalculatorError:
        pass
