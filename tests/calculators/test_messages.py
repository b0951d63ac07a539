"""calculators.messages: every sentence the calculators say is a code and its values, with a template per language.

The catalogs have the same codes in both languages, quoting the same values; every code the source names is in
them, and every code in them is used. Values that are messages themselves render in the same language, and
argparse's English errors are read back into codes exactly. tests/calculators/test_zh_pages.py checks what the
繁體中文 pages show.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from calculators.errors import CalculatorError
from calculators.messages import Message, en, python_text, render, zh_tw
from calculators.messages.arguments import argparse_message

PACKAGE = Path(__file__).resolve().parents[2] / "calculators"
CJK = re.compile(r"[\u3400-\u9fff]")

#: Codes whose zh-TW text is the English one: names and symbols, not words.
SAME_IN_BOTH = {"kv_dtype.bf16", "kv_dtype.fp16", "arguments.other", "note.tp_skipped_item", "python.type.NoneType"}


def _placeholders(template: str) -> list[tuple[str, str]]:
    return sorted((name, spec) for _, name, spec, _ in string.Formatter().parse(template) if name is not None)


def test_both_catalogs_have_every_code_with_the_same_placeholders():
    assert en.MESSAGES.keys() == zh_tw.MESSAGES.keys()
    differ = [code for code in en.MESSAGES if _placeholders(en.MESSAGES[code]) != _placeholders(zh_tw.MESSAGES[code])]
    assert not differ
    english = [code for code, zh in zh_tw.MESSAGES.items() if not CJK.search(zh) and code not in SAME_IN_BOTH]
    assert not english


def _source() -> tuple[set[str], set[str]]:
    """(every string constant in calculators/ outside the catalogs, the codes given literally to Message and
    CalculatorError)."""
    constants, named = set(), set()
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "messages" and path.stem in ("en", "zh_tw"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
            elif isinstance(node, ast.Call):
                position = {"Message": 0, "CalculatorError": 1}.get(getattr(node.func, "id", ""))
                if position is not None and len(node.args) > position and isinstance(node.args[position], ast.Constant):
                    named.add(node.args[position].value)
    return constants, named


def test_every_code_the_source_names_is_in_the_catalogs():
    _, named = _source()
    assert len(named) > 150
    assert not named - en.MESSAGES.keys()


def test_every_code_in_the_catalogs_is_used():
    """``python.*`` codes are found by their English text (Python's own messages), not named in the source."""
    constants, _ = _source()
    assert not [code for code in en.MESSAGES if code not in constants and not code.startswith("python.")]


def test_a_message_renders_its_values_and_nested_messages_in_each_language():
    description = Message("kv_dtype.per_token_head", base="int8", scale="fp32")
    note = Message("note.scales_counted", dtype="int8", description=description)
    assert str(note) == "int8: int8 + one fp32 scale per token per head; scales are counted"
    assert render(note, "zh-TW") == "int8：int8，每個詞元的每個頭各有一個 fp32 縮放因子；縮放因子已計入"
    rules = (Message("vllm_rule.v1"), Message("vllm_rule.sampler_sorts"))
    assert render(rules) == "V1; the sampler sorts the vocabulary"
    assert render(rules, "zh-TW") == "V1 引擎；取樣器會對整個詞彙表排序"
    assert str(Message("value.int_range", minimum=1, maximum=1 << 26, value=10**8)) == \
        "expected an integer from 1 to 67,108,864, got 100,000,000"
    assert render("a note a caller wrote", "zh-TW") == "a note a caller wrote"
    with pytest.raises(KeyError):
        Message("no.such.code")


def test_values_with_braces_are_inserted_as_text():
    error = CalculatorError("config.hidden_size", "value.integer", value="'{field} {value}'")
    assert str(error) == "config.hidden_size: expected an integer, got '{field} {value}'"
    assert error.render("zh-TW") == "config.hidden_size: 應為整數，但收到 '{field} {value}'"
    assert isinstance(error, ValueError) and error.field == "config.hidden_size"
    assert error.message == Message("value.integer", value="'{field} {value}'")
    assert str(Message("config.not_an_object", type=python_text("type", "list"))) == \
        "expected a JSON object ({...}), got a JSON list"


def test_python_messages_are_found_by_their_english_and_others_kept():
    assert render(python_text("json", "Expecting value"), "zh-TW") == "此處應為一個值"
    assert python_text("json", "Expecting a miracle") == "Expecting a miracle"


ARGPARSE = [  # argparse's shapes; the suggestion is Python >= 3.14's (suggest_on_error)
    "argument --seq-len: invalid int value: 'abc'",
    "argument --gpu-memory-utilization: invalid float value: 'x'",
    "argument --engine: invalid choice: 'tgi' (choose from 'vllm', 'transformers')",
    "argument --engine: invalid choice: 'vlm', maybe you meant 'vllm'? (choose from vllm, transformers)",
    "argument --seq-len: expected one argument",
    "argument --mla-decompressed: ignored explicit argument 'yes'",
    "the following arguments are required: --seq-len",
    "unrecognized arguments: --bogus",
    "ambiguous option: --m could match --method, --max-num-seqs",
]


@pytest.mark.parametrize("text", ARGPARSE)
def test_argparse_errors_are_read_back_exactly(text):
    message = argparse_message(text)
    assert message.code != "arguments.other" and str(message) == text
    chinese = render(message, "zh-TW")
    assert CJK.search(chinese) and all(value in chinese for value in message.values.values() if isinstance(value, str))


def test_other_argparse_text_is_kept_whole():
    assert argparse_message("argument X: something new").code == "arguments.other"
