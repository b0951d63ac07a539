"""On the 繁體中文 pages every term description, note and error is in Chinese (calculators.messages, zh-TW catalog).

A grid of real CLI invocations (every preset, both engines, TP degrees, weight and KV formats, training methods and
optimizers, crafted configs): on each zh-TW page every note and term description is Chinese and keeps the English
one's numbers and identifiers, and the grid reaches every note and term code. Bad inputs derived from the raise
sites, through ``page_result(..., "zh-TW")`` and the Python API: each error is Chinese after exactly the same
``FIELD: ``, and the cases reach every error code. The JSON result is the same in both languages.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from html import escape, unescape

import pytest

from calculators.cli import run_json, run_localized
from calculators.errors import CalculatorError
from calculators.messages import en, zh_tw
from calculators.model.families import model_spec
from calculators.model.presets import PRESETS
from calculators.web import page_result

CJK = re.compile(r"[\u3400-\u9fff]")
NUMBER = re.compile(r"\d[\d,.]*")
IDENTIFIER = re.compile(r"[A-Za-z_][\w.-]*")
L = "meta-llama/Llama-3.2-1B"

# ----------------------------------------------------------------------------------------------------------------
# every note and term description of a grid of invocations, on the zh-TW page


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
    argvs += [
        ["recommend", "meta-llama/Llama-3.1-8B", "--seq-len", "8192"],
        ["recommend", "tiiuae/falcon-7b", "--seq-len", "8192"],  # skips TP degrees 71 heads cannot split into
        ["recommend", "microsoft/Phi-3-medium-4k-instruct", "--seq-len", "8192"],  # and 10 KV heads
        ["recommend", "Qwen/Qwen2.5-72B", "--seq-len", "32768", "--weights", "awq-int4"],
        ["recommend", "meta-llama/Llama-3.1-405B", "--seq-len", "131072", "--batch", "64"],
    ]
    return argvs


class _RecordingCatalog(dict):
    """A catalog that remembers which codes were rendered."""

    def __init__(self, catalog: dict):
        super().__init__(catalog)
        self.rendered: set[str] = set()

    def __getitem__(self, code: str) -> str:
        self.rendered.add(code)
        return super().__getitem__(code)


def _shown_sentences(page: dict) -> list[str]:
    """The notes and the "how it is computed" cells of a page's HTML, in order, as text."""
    html = page["html"]
    how = []
    if page["command"] in ("plan", "train"):
        breakdown = re.search(r'<div class="calc-breakdown">(.*?)</div>', html, re.S)[1]
        how = [unescape(cells[-1]) for cells in (re.findall(r"<td>(.*?)</td>", row, re.S)
                                                 for row in re.findall(r"<tr>(.*?)</tr>", breakdown, re.S)) if cells]
    notes = re.search(r'<ul class="calc-notes">(.*?)</ul>', html, re.S)
    return how + [unescape(item) for item in re.findall(r"<li>(.*?)</li>", notes[1] if notes else "", re.S)]


#: The weights command has no page; its notes are checked in the result the pages' dict would be.
WEIGHTS = [*(["weights", model, "--weights", "gptq-int4"] for model in PRESETS),
           ["weights", "deepseek-ai/DeepSeek-V3", "--weights", "fp8"]]


@pytest.fixture(scope="module")
def grid_pages(tmp_path_factory) -> tuple[list[tuple[list[str], dict]], set[str]]:
    """([(argv, its zh-TW page)], the codes the pages rendered, with the notes of the weights command)."""
    folder = tmp_path_factory.mktemp("crafted")
    for name, config in CRAFTED.items():
        (folder / name).write_text(json.dumps(config), encoding="utf-8")
    catalog = _RecordingCatalog(zh_tw.MESSAGES)
    pages = []
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setattr(zh_tw, "MESSAGES", catalog)
        for argv in _grid():
            page = page_result(argv, "zh-TW")
            if page["ok"]:
                pages.append((argv, page))
            else:  # only TP degrees a model refuses
                assert page["field"] in ("count", "tp"), (argv, page["message"])
        for argv in WEIGHTS:
            result = run_localized(argv)
            for english, chinese in zip(result("en")["notes"], result("zh-TW")["notes"], strict=True):
                _assert_translated(english, chinese)
    return pages, catalog.rendered


def _assert_translated(english: str, chinese: str) -> None:
    assert chinese != english and CJK.search(chinese), english
    for number in NUMBER.findall(english):  # numbers come through unchanged
        assert number.rstrip(".,") in chinese, (number, english, chinese)
    for word in IDENTIFIER.findall(english):  # so do dtypes, field names and other identifiers
        if "_" in word or any(c.isdigit() for c in word):
            assert word.rstrip(".-") in chinese, (word, english, chinese)
    assert chinese.count("{") == english.count("{") and chinese.count("}") == english.count("}"), chinese


def test_every_note_and_term_description_on_a_zh_page_is_chinese(grid_pages):
    pages, _ = grid_pages
    seen = set()
    for argv, page in pages:
        result = page["result"]
        english = [term.get("model") or term["formula"] for term in result.get("terms", {}).values()]
        english += result.get("notes", [])
        shown = _shown_sentences(page)
        assert len(shown) == len(english), argv
        for text, chinese in zip(english, shown, strict=True):
            try:
                _assert_translated(text, chinese)
            except AssertionError as error:
                raise AssertionError(f"{argv}: {error}") from None
            assert f">{escape(text)}<" not in page["html"], (argv, text)  # not as a whole cell or item
            seen.add(text)
    assert len(seen) > 300


def test_the_markdown_shows_the_same_sentences(grid_pages):
    pages, _ = grid_pages
    for argv, page in pages[::25]:
        for chinese in _shown_sentences(page)[:len(page["result"].get("terms", {}))]:
            assert chinese.replace("|", "\\|") in page["markdown"], argv


def test_the_grid_reaches_every_note_and_term_code(grid_pages):
    _, rendered = grid_pages
    sentences = [code for code in en.MESSAGES if code.split(".")[0] in ("note", "term", "formula", "vllm_rule", "and")]
    assert not [code for code in sentences if code not in rendered]
    assert {"kv_dtype.per_token_head", "kv_dtype.per_elements"} <= rendered  # the descriptions notes quote


# ----------------------------------------------------------------------------------------------------------------
# errors: the zh-TW page says the same thing in Chinese, after the same "FIELD: "

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
    (["params", "config.json"], '{"a" 1}'),
    (["params", "config.json"], '{"a": 1,}'),
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
    (["params", "config.json"], _config("deepseek-ai/DeepSeek-V3", num_nextn_predict_layers=1, num_mtp_layers=2)),
]


def _api_errors() -> list[Callable[[], object]]:
    """Raise sites no page reaches (the Python API's own argument checks), called directly."""
    from calculators.errors import non_negative_int, positive_int
    from calculators.memory.formats import linear_bytes, parse_format
    from calculators.memory.kv import kv_cache
    from calculators.memory.weights import _size_group, weight_memory
    from calculators.model.configs import load_config, parse_config_json, preset_config, preset_spec
    from calculators.model.params import count_parameters
    from calculators.model.spec import TensorGroup
    from calculators.plan.gpus import get_gpu
    from calculators.plan.inference import memory_curve, memory_plan, recommend
    from calculators.plan.training import lora_parameters

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
        lambda: recommend(spec, seq_len=1, gpus="H100"),
        lambda: recommend(spec, seq_len=1, counts=(3,)),
        lambda: weight_memory(spec, "bf16", loader="tgi"),
        lambda: weight_memory(spec, "bf16", high_precision_dtype="fp8"),
        lambda: linear_bytes(4, 4, parse_format("bf16")),
        lambda: _size_group(TensorGroup("mlp", "linear", (4,), 1, 1, "up_proj", split="column"),
                            parse_format("int8"), 2, "bf16"),
        lambda: get_gpu(None),
        lambda: lora_parameters(spec, 8, 5),
    ]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the error cases name these files by relative paths
    (tmp_path / "bad-utf8.json").write_bytes(b'{"a": "\xff"}')
    (tmp_path / "empty-folder").mkdir()
    return tmp_path


def _assert_error_translated(english: str, chinese: str) -> None:
    field = english.split(": ", 1)[0] + ": "
    assert chinese.startswith(field), (english, chinese)
    _assert_translated(english, chinese)


def test_page_errors_are_chinese_after_the_same_field(in_tmp, capsys):
    for argv, text in PAGE_ERRORS:
        en_page, zh_page = page_result(argv, "en", text), page_result(argv, "zh-TW", text)
        assert not en_page["ok"] and not zh_page["ok"], (argv, (text or "")[:60])
        assert zh_page["field"] == en_page["field"]
        try:  # the English page is the engine's message, untouched
            run_json(argv)
        except CalculatorError as error:
            if text is None:
                assert en_page["message"] == str(error) and en_page["field"] == error.field
        _assert_error_translated(en_page["message"], zh_page["message"])
    capsys.readouterr()  # --help printed its text


def test_api_errors_are_chinese_after_the_same_field():
    for call in _api_errors():
        with pytest.raises(CalculatorError) as raised:
            call()
        assert str(raised.value) == raised.value.render("en")
        _assert_error_translated(str(raised.value), raised.value.render("zh-TW"))


BAD_VALUES = [None, -1, 0, "x", 1.5, True, [1], {}, 10**7, 2**40]


@pytest.mark.parametrize("hf_id", ["meta-llama/Llama-3.1-8B", "deepseek-ai/DeepSeek-V3", "google/gemma-3-27b-pt",
                                   "ai21labs/Jamba-v0.1", "Qwen/Qwen3-Next-80B-A3B-Instruct", "tiiuae/falcon-7b"])
def test_every_bad_config_field_is_refused_in_chinese_after_its_name(hf_id):
    """Each field of a preset's config (of its text model's, for a multimodal one), set to each of a few bad values
    or removed."""
    refused = 0
    text_model = "text_config" in PRESETS[hf_id]
    for key in PRESETS[hf_id]["text_config"] if text_model else PRESETS[hf_id]:
        for value in [*BAD_VALUES, "<removed>"]:
            changed = copy.deepcopy(PRESETS[hf_id])
            fields = changed["text_config"] if text_model else changed
            if value == "<removed>":
                del fields[key]
            else:
                fields[key] = value
            try:
                model_spec(changed)
            except CalculatorError as error:
                refused += 1
                assert str(error).startswith(f"{error.field}: ")
                _assert_error_translated(str(error), error.render("zh-TW"))
    assert refused > 50


def test_the_error_cases_reach_every_error_code(in_tmp, capsys):
    """Every error code but Python's own messages (found by their text) and argparse's newer suggestion."""
    catalog = _RecordingCatalog(zh_tw.MESSAGES)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(zh_tw, "MESSAGES", catalog)
        for argv, text in PAGE_ERRORS:
            page_result(argv, "zh-TW", text)
        for call in _api_errors():
            with pytest.raises(CalculatorError) as raised:
                call()
            raised.value.render("zh-TW")
    capsys.readouterr()
    errors = [code for code in en.MESSAGES if code.split(".")[0] not in
              ("note", "term", "formula", "vllm_rule", "and", "kv_dtype", "python")]
    unreached = {"arguments.invalid_choice_suggested", "arguments.other"}
    assert not [code for code in errors if code not in catalog.rendered and code not in unreached]


# ----------------------------------------------------------------------------------------------------------------
# the JSON result does not depend on the page's language


@pytest.mark.parametrize("argv", [
    ["plan", "Qwen/Qwen3-30B-A3B", "--weights", "fp8", "--seq-len", "8192", "--gpu", "A100-80GB", "--count", "2"],
    ["kv", "deepseek-ai/DeepSeek-V2-Lite", "--seq-len", "8192", "--kv-dtype", "int4"],
    ["train", L, "--method", "qlora", "--grad-accumulation-steps", "2", "--gpu", "L4"],
    ["recommend", "tiiuae/falcon-40b", "--seq-len", "8192", "--weights", "awq-int4"],
    ["params", "google/gemma-3-4b-pt"],
], ids=lambda argv: argv[0])
def test_the_result_is_the_same_json_in_both_languages(argv):
    zh, en_page = page_result(argv, "zh-TW"), page_result(argv, "en")
    assert zh["ok"] and en_page["ok"]
    assert zh["result"] == en_page["result"] == run_json(argv)
    assert json.dumps(zh["result"]) == json.dumps(en_page["result"])
