"""calculators.messages_zh: on the 繁體中文 pages every term description, note and error is in Chinese.

The shapes are not guessed: a grid of real CLI invocations (every preset, both engines, TP degrees, weight and
KV formats, training methods and optimizers, crafted configs) collects the English text the engine produces,
and every message must translate, keep its numbers and identifiers, and every shape in the table must be
reached. Bad inputs derived from the raise sites go through ``page_result(..., "zh-TW")``; the few errors no
page can reach are raised through the Python API. The JSON result is the same in both languages.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable

import pytest

from calculators.cli import run_json
from calculators.errors import CalculatorError
from calculators.messages_zh import ERRORS, KV_DESCRIPTIONS, MESSAGES, NOTES, TERMS, to_zh
from calculators.presets import PRESETS
from calculators.web import page_result

CJK = re.compile(r"[\u3400-\u9fff]")
NUMBER = re.compile(r"\d[\d,.]*")
IDENTIFIER = re.compile(r"[A-Za-z_][\w.-]*")
L = "meta-llama/Llama-3.2-1B"


def _config(base: str = L, **changes) -> str:
    return json.dumps({**PRESETS[base], **changes})


# Configs whose readers write notes no preset produces.
CRAFTED = {
    "generic.json": {"model_type": "mystery", "n_embd": 64, "n_layer": 2, "n_head": 4, "intermediate_size": 128,
                     "vocab_size": 100, "sliding_window": 16, "layer_types": ["full_attention"] * 2,
                     "num_local_experts": 4, "num_experts_per_tok": 2},
    "no-type.json": {k: v for k, v in PRESETS[L].items() if k != "model_type"},
    "llama-layer-types.json": {**PRESETS[L], "layer_types": ["full_attention"] * PRESETS[L]["num_hidden_layers"]},
    "deepseek-freq.json": {**PRESETS["deepseek-ai/DeepSeek-V2-Lite"], "moe_layer_freq": 2},
}
GRID_MODELS = ["meta-llama/Llama-3.1-8B", "Qwen/Qwen3-30B-A3B", "deepseek-ai/DeepSeek-V2-Lite",
               "Qwen/Qwen3-Next-80B-A3B-Instruct", "google/gemma-3-27b-pt", "ai21labs/Jamba-v0.1", "tiiuae/falcon-40b"]


def _grid() -> list[list[str]]:
    argvs = []
    for model in PRESETS:
        argvs += [
            ["params", model],
            ["kv", model, "--seq-len", "4096", "--kv-dtype", "int8"],
            ["weights", model, "--weights", "gptq-int4"],
            ["plan", model, "--weights", "awq-int4", "--seq-len", "4096", "--gpu", "H100"],
            ["plan", model, "--seq-len", "4096", "--gpu", "L40S", "--vllm-version", "0.8.5"],
            ["plan", model, "--weights", "nf4", "--seq-len", "4096", "--gpu", "H100", "--count", "2",
             "--engine", "transformers"],
            ["train", model, "--method", "qlora", "--gradient-checkpointing"],
        ]
    for model in [*GRID_MODELS, *CRAFTED]:
        for engine in ("vllm", "transformers"):
            for count in ("1", "2", "8"):
                for weights in ("bf16", "fp8", "gptq-int4", "awq-int4", "nf4"):
                    version = ["--vllm-version", "0.27"] if weights == "nf4" and engine == "vllm" else []
                    argvs.append(["plan", model, "--weights", weights, "--seq-len", "8192", "--batch", "2",
                                  "--gpu", "H100", "--count", count, "--engine", engine, *version])
        for kv_dtype in ("bf16", "fp8", "fp8_e5m2", "fp8_per_token_head", "int8", "int4", "nvfp4"):
            argvs.append(["kv", model, "--seq-len", "8192", "--kv-dtype", kv_dtype])
        for version in ("0.5", "0.6.4", "0.7", "0.8.0", "0.8.4", "0.9.0", "0.10", "0.11.0", "0.17", "0.20", "0.25"):
            argvs.append(["plan", model, "--seq-len", "300000", "--gpu", "A100-80GB", "--vllm-version", version])
        argvs += [
            ["kv", model, "--seq-len", "8192", "--block-size", "16", "--tp", "2", "--mla-decompressed"],
            ["plan", model, "--weights", "fp8", "--seq-len", "8192", "--gpu", "A100-80GB", "--kv-dtype", "int8",
             "--enforce-eager", "--block-size", "32", "--max-num-seqs", "64"],
            ["plan", model, "--seq-len", "8192", "--gpu", "M4 Max", "--engine", "transformers"],
            ["train", model, "--method", "full", "--grad-dtype", "fp32", "--grad-accumulation-steps", "4",
             "--attention", "eager", "--gpu", "H100"],
        ]
        for method in ("full", "lora", "qlora"):
            for optimizer in ("adamw", "adamw-8bit", "paged-adamw", "paged-adamw-8bit", "sgd"):
                argvs.append(["train", model, "--method", method, "--optimizer", optimizer, "--seq-len", "1024"])
            argvs.append(["train", model, "--method", method, "--gradient-checkpointing", "--adapter-dtype", "bf16"])
        argvs.append(["weights", model, "--weights", "gptq-int4-g64"])
    argvs += [
        ["recommend", "meta-llama/Llama-3.1-8B", "--seq-len", "8192"],
        ["recommend", "tiiuae/falcon-7b", "--seq-len", "8192"],  # skips TP degrees 71 heads cannot split into
        ["recommend", "microsoft/Phi-3-medium-4k-instruct", "--seq-len", "8192"],  # and 10 KV heads
        ["recommend", "Qwen/Qwen2.5-72B", "--seq-len", "32768", "--weights", "awq-int4"],
        ["recommend", "meta-llama/Llama-3.1-405B", "--seq-len", "131072", "--batch", "64"],
        ["weights", "deepseek-ai/DeepSeek-V3", "--weights", "fp8"],
    ]
    return argvs


@pytest.fixture(scope="module")
def engine_texts(tmp_path_factory) -> dict[str, dict[str, list[str]]]:
    """{"term" | "note": {English text: the argv that produced it}}, from running the grid."""
    import os

    folder = tmp_path_factory.mktemp("crafted")
    for name, config in CRAFTED.items():
        (folder / name).write_text(json.dumps(config), encoding="utf-8")
    texts: dict[str, dict[str, list[str]]] = {"term": {}, "note": {}}
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for argv in _grid():
            try:
                result = run_json(argv)
            except CalculatorError as error:
                assert error.field in ("count", "tp"), (argv, str(error))  # only TP degrees a model refuses
                continue
            for term in result.get("terms", {}).values():
                texts["term"].setdefault(term.get("model") or term["formula"], argv)
            for note in result.get("notes", []):
                texts["note"].setdefault(note, argv)
    finally:
        os.chdir(cwd)
    return texts


def _assert_translated(english: str, chinese: str) -> None:
    assert chinese != english and CJK.search(chinese), english
    for number in NUMBER.findall(english):  # numbers come through unchanged
        assert number.rstrip(".,") in chinese, (number, english, chinese)
    for word in IDENTIFIER.findall(english):  # so do dtypes, field names and other identifiers
        if "_" in word or any(c.isdigit() for c in word):
            assert word.rstrip(".-") in chinese, (word, english, chinese)
    assert chinese.count("{") == english.count("{") and chinese.count("}") == english.count("}"), chinese


# ----------------------------------------------------------------------------------------------------------------
# (a) every term description and note the grid produces translates, and the grid reaches every shape


@pytest.mark.parametrize("kind", ["term", "note"])
def test_every_engine_text_translates(engine_texts, kind):
    assert len(engine_texts[kind]) > 20
    for english, argv in engine_texts[kind].items():
        try:
            _assert_translated(english, to_zh(english))
        except AssertionError as error:
            raise AssertionError(f"{argv}: {error}") from None


@pytest.mark.parametrize("kind,table", [("term", TERMS), ("note", NOTES)])
def test_the_grid_reaches_every_shape(engine_texts, kind, table):
    unused = [p.pattern for p, _ in table if not any(p.fullmatch(text) for text in engine_texts[kind])]
    assert not unused


def test_zh_pages_show_translated_descriptions_and_notes():
    argv = ["plan", "Qwen/Qwen3-30B-A3B", "--weights", "fp8", "--seq-len", "8192", "--gpu", "A100-80GB",
            "--count", "2"]
    zh, en = page_result(argv, "zh-TW"), page_result(argv, "en")
    assert zh["ok"] and en["ok"]
    for term in en["result"]["terms"].values():
        assert term["model"] in en["html"] and term["model"] in en["markdown"]
        assert term["model"] not in zh["html"] and term["model"] not in zh["markdown"]
        assert to_zh(term["model"]) in zh["html"] and to_zh(term["model"]) in zh["markdown"]
    assert en["result"]["notes"]
    for note in en["result"]["notes"]:
        assert note in en["html"] and note not in zh["html"] and to_zh(note) in zh["html"]
    train = page_result(["train", L, "--method", "qlora"], "zh-TW")
    for term in train["result"]["terms"].values():
        assert term["formula"] not in train["html"] and to_zh(term["formula"]) in train["html"]


# ----------------------------------------------------------------------------------------------------------------
# (b) errors: the zh-TW page says the same thing in Chinese, after the same "FIELD: " prefix

PLAN = ["plan", L, "--seq-len", "4096", "--gpu", "H100"]
GENERIC = {"model_type": "mystery", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
           "intermediate_size": 128, "vocab_size": 100}
KV = ["kv", L, "--seq-len", "4096"]
QWEN_NEXT_12 = _config("Qwen/Qwen3-Next-80B-A3B-Instruct", linear_num_value_heads=12, linear_num_key_heads=6)

PAGE_ERRORS: list[tuple[list[str], str | None]] = [
    # numbers and flags
    (["kv", L, "--seq-len", "-5"], None),
    (["kv", L, "--seq-len", "0"], None),
    (["kv", L, "--seq-len", "999999999999"], None),
    (["kv", L, "--seq-len", "abc"], None),
    ([*KV, "--batch", "0"], None),
    ([*KV, "--batch", "99999999"], None),
    ([*KV, "--batch", "two"], None),
    ([*KV, "--block-size", "0"], None),
    (["kv", L], None),
    (["kv", L, "--seq-len"], None),
    ([*KV, "--bogus"], None),
    ([*KV, "--mla-decompressed=yes"], None),
    ([*PLAN, "--m", "3"], None),
    (["bogus"], None),
    ([], None),
    ("kv", None),  # not a list
    # formats
    ([*KV, "--kv-dtype", "fp9"], None),
    ([*PLAN, "--weights", "int3"], None),
    ([*PLAN, "--weights", "bpw:40"], None),
    ([*PLAN, "--weights", "awq-int8"], None),
    ([*PLAN, "--weights", "gptq-int5"], None),
    ([*PLAN, "--weights", "gptq-int4-g0"], None),
    ([*PLAN, "--weights", "awq-int4-sym"], None),
    # GPUs, counts, engines
    ([*PLAN[:-2], "--gpu", "H999"], None),
    ([*PLAN[:-2], "--gpu", " "], None),
    ([*PLAN, "--count", "3"], None),
    ([*PLAN, "--count", "x"], None),
    (["plan", "Qwen/Qwen2.5-0.5B", "--seq-len", "4096", "--gpu", "H100", "--count", "8"], None),
    (["plan", "Qwen/Qwen2.5-7B", "--seq-len", "4096", "--gpu", "H100", "--count", "8"], None),
    (["plan", "microsoft/Phi-3-medium-4k-instruct", "--seq-len", "4096", "--gpu", "H100", "--count", "4"], None),
    (["plan", "config.json", "--seq-len", "4096", "--gpu", "H100", "--count", "4"], _config(intermediate_size=8190)),
    (["plan", "config.json", "--seq-len", "4096", "--gpu", "H100", "--count", "8"], QWEN_NEXT_12),
    (["kv", "tiiuae/falcon-7b", "--seq-len", "4096", "--tp", "2"], None),
    (["kv", "Qwen/Qwen2.5-7B", "--seq-len", "4096", "--tp", "14"], None),
    (["kv", "config.json", "--seq-len", "4096", "--tp", "8"], QWEN_NEXT_12),
    ([*PLAN, "--gpu-memory-utilization", "1.5"], None),
    ([*PLAN, "--gpu-memory-utilization", "0"], None),
    ([*PLAN, "--gpu-memory-utilization", "abc"], None),
    ([*PLAN, "--engine", "transformers", "--gpu-memory-utilization", "0.8"], None),
    ([*PLAN, "--engine", "tgi"], None),
    ([*PLAN, "--max-num-seqs", "0"], None),
    ([*PLAN, "--max-num-batched-tokens", "-1"], None),
    (["plan", L, "--seq-len", "4096", "--gpu", "M4 Max"], None),
    (["plan", L, "--seq-len", "4096", "--gpu", "M4 Max", "--engine", "transformers", "--count", "2"], None),
    (["recommend", L, "--seq-len", "4096", "--gpu-memory-utilization", "2"], None),
    ([*PLAN, "--vllm-version", "latest"], None),
    ([*PLAN, "--vllm-version", "0.3"], None),
    ([*PLAN, "--vllm-version", "0.34"], None),
    ([*PLAN, "--weights", "nf4"], None),
    ([*PLAN, "--gpu-memory-gib", "0"], None),
    (["plan", L, "--seq-len", "4096"], None),
    ([*PLAN, "--engine", "transformers", "--vllm-version", "0.10"], None),
    ([*PLAN, "--entrypoint", "python"], None),
    # training
    (["train", L, "--method", "lora", "--lora-targets", "foo_proj"], None),
    (["train", L, "--method", "lora", "--lora-targets", ","], None),
    (["train", L, "--method", "lora", "--lora-rank", "0"], None),
    (["train", L, "--method", "sft"], None),
    (["train", L, "--method", "full", "--grad-accumulation-steps", "0"], None),
    (["train", L, "--method", "full", "--gpu", "Z80"], None),
    (["params", "--help"], None),
    # where the model comes from
    (["params", "nope/not-a-model"], None),
    (["params", "meta-llama/Llama-3.1-8b-xx"], None),
    (["params", "nothing-here.json"], None),
    (["params", "bad-utf8.json"], None),
    (["params", "empty-folder"], None),
    # pasted configs
    (["params", "config.json"], "{not json"),
    (["params", "config.json"], "[1, 2]"),
    (["params", "config.json"], '{"a": 1} x'),
    (["params", "config.json"], "[" * 100_000 + "]" * 100_000),
    (["params", "config.json"], " " * 10_000_001),
    (["params", "config.json"], '{"model_type": "llama"}'),
    (["params", "config.json"], '{"model_type": 5}'),
    (["params", "config.json"], '{"model_type": "mystery", "hidden_size": 64}'),
    (["params", "config.json"], '{"model_type": "llava", "text_config": 3}'),
    (["params", "config.json"], '{"text_config": {}}'),
    (["params", "config.json"], _config(hidden_size="big")),
    (["params", "config.json"], _config(hidden_size=0)),
    (["params", "config.json"], _config(tie_word_embeddings="yes")),
    (["params", "config.json"], _config(num_key_value_heads=3)),
    (["params", "config.json"], _config(hidden_size=16, num_attention_heads=32, head_dim=None)),
    (["params", "config.json"], _config(num_hidden_layers=20_000)),
    (["params", "config.json"], _config("Qwen/Qwen3-8B", use_sliding_window=True, sliding_window=None)),
    (["params", "config.json"], _config("Qwen/Qwen3-8B", layer_types="full")),
    (["params", "config.json"], _config("Qwen/Qwen3-8B", layer_types=["full_attention"])),
    (["params", "config.json"], _config("Qwen/Qwen3-8B", layer_types=["full_attention"] * 35 + ["x"])),
    (["params", "config.json"], _config("Qwen/Qwen3-8B", layer_types=["full_attention"] * 35 + ["sliding_attention"],
                                        sliding_window=None)),
    (["params", "config.json"], _config("Qwen/Qwen3-30B-A3B", mlp_only_layers="0")),
    (["params", "config.json"], _config("Qwen/Qwen3-30B-A3B", mlp_only_layers=[-1])),
    (["params", "config.json"], _config("mistralai/Mixtral-8x7B-v0.1", num_experts_per_tok=9)),
    (["plan", "config.json", "--seq-len", "64", "--gpu", "H100"], json.dumps(GENERIC | {"num_key_value_heads": 3})),
    (["plan", "config.json", "--seq-len", "64", "--gpu", "H100"],
     json.dumps(GENERIC | {"num_local_experts": 4, "num_experts_per_tok": 9})),
    (["params", "config.json"], _config("ai21labs/Jamba-v0.1", attn_layer_offset=9)),
    (["params", "config.json"], _config("ai21labs/Jamba-v0.1", mamba_dt_rank="big")),
    (["params", "config.json"], _config("openai-community/gpt2", n_head=7)),
    (["params", "config.json"], _config("openai-community/gpt2", add_cross_attention=True)),
    (["params", "config.json"], _config("openai-community/gpt2", hidden_size=999)),
    (["params", "config.json"], _config("tiiuae/falcon-40b", num_kv_heads=7)),
    (["params", "config.json"], _config("Qwen/Qwen3-Next-80B-A3B-Instruct", linear_num_key_heads=5)),
]


def _api_errors() -> list[Callable[[], object]]:
    """Raise sites no page reaches (the Python API's own argument checks), called directly."""
    from calculators.configs import load_config, parse_config_json, preset_config, preset_spec
    from calculators.errors import non_negative_int, positive_int
    from calculators.families import model_spec
    from calculators.gpus import get_gpu
    from calculators.kv import kv_cache
    from calculators.params import count_parameters
    from calculators.plan import memory_curve, memory_plan
    from calculators.spec import TensorGroup
    from calculators.training import lora_parameters
    from calculators.weights import _size_group, linear_bytes, parse_format, weight_memory

    spec = preset_spec(L)
    return [
        lambda: non_negative_int("n", -1),
        lambda: non_negative_int("n", 5, 3),
        lambda: positive_int("n", "5"),
        lambda: parse_config_json(b'{"a": "\xff"}'),
        lambda: parse_config_json(5),
        lambda: parse_config_json('{"a": 1' + "0" * 5000 + "}"),
        lambda: preset_config(5),
        lambda: load_config(5),
        lambda: count_parameters("spec"),
        lambda: kv_cache("spec", seq_len=1),
        lambda: kv_cache(spec, seq_len=1, mla_decompressed="yes"),
        lambda: kv_cache(spec, seq_len=1, conv_state_dtype="fp8"),
        lambda: model_spec([]),
        lambda: model_spec({}, source=5),
        lambda: memory_curve(spec, []),
        lambda: memory_plan(spec, seq_len=1, cuda_graphs="yes"),
        lambda: weight_memory(spec, "bf16", loader="tgi"),
        lambda: weight_memory(spec, "bf16", high_precision_dtype="fp8"),
        lambda: linear_bytes(4, 4, parse_format("bf16")),
        lambda: _size_group(TensorGroup("mlp", "linear", (4,), 1, 1, "up_proj"), parse_format("int8"), 2, "bf16"),
        lambda: get_gpu(None),
        lambda: lora_parameters(spec, 8, 5),
    ]


# Shapes that neither a page nor the API of this CPython produces: argparse's suggestion (Python >= 3.14 with
# suggest_on_error); the test feeds it as text.
SYNTHETIC_ERRORS = [
    "arguments: argument --engine: invalid choice: 'vlm', maybe you meant 'vllm'? (choose from vllm, transformers)",
]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # pasted configs are written to config.json in the working directory
    (tmp_path / "bad-utf8.json").write_bytes(b'{"a": "\xff"}')
    (tmp_path / "empty-folder").mkdir()
    return tmp_path


def _assert_error_translated(english: str, chinese: str) -> None:
    field = english.split(": ", 1)[0] + ": "
    assert chinese.startswith(field), (english, chinese)
    _assert_translated(english, chinese)


def test_page_errors_are_chinese_after_the_same_field(in_tmp, capsys):
    for argv, text in PAGE_ERRORS:
        en = page_result(argv, "en", text)
        zh = page_result(argv, "zh-TW", text)
        assert not en["ok"] and not zh["ok"], (argv, (text or "")[:60])
        assert zh["field"] == en["field"]
        try:  # the English page is the engine's message, untouched
            run_json(argv)
        except CalculatorError as error:
            if text is None:
                assert en["message"] == str(error) and en["field"] == error.field
        _assert_error_translated(en["message"], zh["message"])
    capsys.readouterr()  # --help printed its text


def test_api_errors_translate():
    for call in _api_errors():
        with pytest.raises(CalculatorError) as raised:
            call()
        _assert_error_translated(str(raised.value), to_zh(str(raised.value)))
    for english in SYNTHETIC_ERRORS:
        _assert_error_translated(english, to_zh(english))


def test_the_error_cases_reach_every_error_shape(in_tmp, capsys):
    messages = list(SYNTHETIC_ERRORS)
    for argv, text in PAGE_ERRORS:
        messages.append(page_result(argv, "en", text)["message"])
    for call in _api_errors():
        try:
            call()
        except CalculatorError as error:
            messages.append(str(error))
    capsys.readouterr()
    unused = [p.pattern for p, _ in ERRORS if not any(p.fullmatch(m) for m in messages)]
    assert not unused


# ----------------------------------------------------------------------------------------------------------------
# (c) the JSON result does not depend on the page's language


@pytest.mark.parametrize("argv", [
    ["plan", "Qwen/Qwen3-30B-A3B", "--weights", "fp8", "--seq-len", "8192", "--gpu", "A100-80GB", "--count", "2"],
    ["kv", "deepseek-ai/DeepSeek-V2-Lite", "--seq-len", "8192", "--kv-dtype", "int4"],
    ["train", L, "--method", "qlora", "--grad-accumulation-steps", "2", "--gpu", "L4"],
    ["recommend", "tiiuae/falcon-40b", "--seq-len", "8192", "--weights", "awq-int4"],
    ["params", "google/gemma-3-4b-pt"],
], ids=lambda argv: argv[0])
def test_the_result_is_the_same_json_in_both_languages(argv):
    zh, en = page_result(argv, "zh-TW"), page_result(argv, "en")
    assert zh["ok"] and en["ok"]
    assert zh["result"] == en["result"] == run_json(argv)
    assert json.dumps(zh["result"]) == json.dumps(en["result"])


# ----------------------------------------------------------------------------------------------------------------
# (d) the table itself


@pytest.mark.parametrize("pattern,template", MESSAGES + KV_DESCRIPTIONS, ids=lambda x: getattr(x, "pattern", x)[:40])
def test_every_placeholder_is_a_group_and_every_group_is_used(pattern, template):
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    assert fields == set(pattern.groupindex), (pattern.pattern, template)
    assert CJK.search(template)
    if (pattern, template) in ERRORS:
        assert template.startswith("{field}: ")


def test_every_shape_is_listed_once_and_unknown_text_is_unchanged():
    patterns = [p.pattern for p, _ in MESSAGES]
    assert len(patterns) == len(set(patterns))
    for text in ("", "something the engine never says", "seq_len: something new"):
        assert to_zh(text) == text


def test_values_with_braces_and_group_names_are_inserted_as_text():
    english = "config.hidden_size: expected an integer, got '{field} {value}'"
    assert to_zh(english) == "config.hidden_size: 應為整數，但收到 '{field} {value}'"
    assert to_zh("config-json: expected a JSON object ({...}), got a JSON list").count("{...}") == 1
