"""Every option is declared once (calculators/options.py): the command line's parser, the calculator pages' fields,
the data the page script builds its argv from and the command line a page shows all come from that declaration."""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import types
from html.parser import HTMLParser
from pathlib import Path

import pytest

from calculators import cli
from calculators.model.dtypes import KV_DTYPES
from calculators.model.presets import PRESETS
from calculators.options import COMMANDS, PAGES, PASTED_CONFIG, command_line, page_argv, page_defaults
from calculators.plan.gpus import CATALOG
from calculators.web import page_result
from tests.mkdocs_hooks import load_hook

ROOT = Path(__file__).resolve().parents[2]
calculator_widget = load_hook("calculator_widget")


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli._parser()
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def test_the_parser_has_each_declared_command_and_option_as_declared():
    parsers = subparsers()
    assert list(parsers) == list(COMMANDS)
    for name, command in COMMANDS.items():
        actions = {a.option_strings[0]: a for a in parsers[name]._actions if a.option_strings}
        positional = [a.dest for a in parsers[name]._actions if not a.option_strings]
        assert positional == (["config"] if command.takes_config else []), name
        assert list(actions) == ["-h", "--json", *(f"--{option.flag}" for option in command.options)], name
        for option in command.options:
            action = actions[f"--{option.flag}"]
            assert action.dest == option.flag.replace("-", "_") and action.help == option.help, (name, option.flag)
            if option.type is bool:
                assert isinstance(action, argparse._StoreTrueAction) and action.default is False
                continue
            assert action.default == option.default and action.required == option.required, (name, option.flag)
            assert tuple(action.choices or ()) == option.choices, (name, option.flag)
            assert (action.type or str) is option.type, (name, option.flag)


def test_choices_and_offered_values_come_from_the_packages_tables():
    plan, train = COMMANDS["plan"], COMMANDS["train"]
    assert plan.option("gpu").page_values == ("", *(gpu.key for gpu in CATALOG))
    assert plan.option("kv-dtype").page_values == tuple(KV_DTYPES)
    assert train.option("gpu").page_values == ("", *(gpu.key for gpu in CATALOG))
    assert train.option("method").page_values == ("full", "lora", "qlora")  # required: no empty choice
    assert train.option("optimizer").page_values[0] == ""  # no CLI default: the empty choice leaves the flag out
    for version in plan.option("vllm-version").page_values:
        assert page_result(["plan", "meta-llama/Llama-3.2-1B", "--seq-len", "1024", "--gpu", "H100",
                            "--vllm-version", version])["ok"], version


def test_recommend_shares_the_plan_options():
    """The planner runs `recommend` on the plan's form: each of its options is a plan option."""
    plan = COMMANDS["plan"]
    for option in COMMANDS["recommend"].options:
        shared = plan.option(option.flag)
        assert (shared.type, shared.default, shared.choices, shared.required) == \
            (option.type, option.default, option.choices, option.required), option.flag


def test_page_argv_follows_the_declared_order_and_leaves_out_empty_values():
    values = {"enforce-eager": True, "gpu": "H100", "weights": "", "seq-len": " 4096 ", "max-num-seqs": None,
              "engine": "vllm", "batch": "2", "kv-dtype": "fp8", "unknown-flag": "x"}
    assert page_argv("plan", "m", values) == ["plan", "m", "--seq-len", "4096", "--batch", "2", "--kv-dtype", "fp8",
                                              "--gpu", "H100", "--engine", "vllm", "--enforce-eager"]
    assert page_argv("kv", "m", {"mla-decompressed": False, "seq-len": "1"}) == ["kv", "m", "--seq-len", "1"]


def test_each_pages_starting_argv_runs():
    for page, also in PAGES.items():
        for name in (page, *also):
            argv = calculator_widget.default_argv(name, page)
            assert argv == page_argv(name, calculator_widget.DEFAULT_MODEL, page_defaults(page))
            assert page_result(argv)["ok"], argv
    assert [argv for argv, lang in calculator_widget.warmup_calls() if lang == "en"] == [
        calculator_widget.default_argv(name, page) for page, also in PAGES.items() for name in (page, *also)]


# ------------------------------------------------------------------------------------------------------------
# the rendered page


class _Form(HTMLParser):
    """The option fields of a rendered calculator (name -> kind, starting value, offered values) and its root's
    attributes."""

    def __init__(self):
        super().__init__()
        self.root, self.fields, self._select, self._in_options = {}, {}, None, False
        self.datalists, self._datalist = {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and "calc" in (a.get("class") or "").split():
            self.root = a
        elif tag == "fieldset" and a.get("class") == "calc-options":
            self._in_options = True
        elif tag == "datalist":
            self._datalist = self.datalists.setdefault(a["id"], [])
        elif tag == "option" and self._datalist is not None:
            self._datalist.append(a["value"])
        elif not self._in_options:
            return
        elif tag == "select":
            self._select = self.fields[a["name"]] = {"kind": "select", "value": None, "values": []}
        elif tag == "option" and self._select is not None:
            self._select["values"].append(a["value"])
            if "selected" in a:
                self._select["value"] = a["value"]
        elif tag == "input":
            kind = a["type"] if a["type"] in ("checkbox", "number") else "text"
            self.fields[a["name"]] = {"kind": kind, "value": "checked" in a if kind == "checkbox" else a["value"],
                                      "list": a.get("list"), "step": a.get("step")}

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "datalist":
            self._datalist = None
        elif tag == "fieldset":
            self._in_options = False


@pytest.fixture(scope="module")
def pages() -> dict[tuple[str, str], str]:
    with pytest.MonkeyPatch.context() as patch:  # the page's markup, without building the wheel and snapshot
        patch.setattr(calculator_widget, "wheel_name", lambda: "calculators.whl")
        patch.setattr(calculator_widget, "snapshot_name", lambda: "snapshot.bin.gz")
        config = types.SimpleNamespace(extra={})
        return {(command, lang): calculator_widget.render(lang, command, f"calculators/{command}/index.html", config)
                for command in PAGES for lang in calculator_widget.UI}


@pytest.mark.parametrize("command", PAGES)
def test_every_field_is_a_declared_option_with_its_kind_start_and_choices(pages, command):
    assert calculator_widget.CALCULATORS[command] == COMMANDS[command].options
    for lang in calculator_widget.UI:
        form = _Form()
        form.feed(pages[command, lang])
        options = COMMANDS[command].options
        assert list(form.fields) == [option.flag for option in options], (command, lang)
        for option in options:
            field = form.fields[option.flag]
            assert field["kind"] == option.widget and field["value"] == option.start_value, (command, option.flag)
            if option.widget == "select":
                assert tuple(field["values"]) == option.page_values, (command, option.flag)
            elif option.widget != "checkbox":
                listed = form.datalists.get(field["list"], []) if field["list"] else []
                assert tuple(listed) == option.page_values, (command, option.flag)


def test_labels_are_kept_for_declared_flags_only():
    declared = {option.flag for page in PAGES for option in COMMANDS[page].options}
    for lang, labels in calculator_widget.FIELD_LABELS.items():
        assert set(labels) == declared, lang
    for lang, by_flag in calculator_widget.CHOICE_LABELS.items():
        for flag, labels in by_flag.items():
            offered = {value for page in PAGES for option in COMMANDS[page].options if option.flag == flag
                       for value in option.page_values}
            assert offered and set(labels) <= offered, (lang, flag)


@pytest.mark.parametrize("command", PAGES)
def test_the_page_script_gets_the_declared_flags(pages, command):
    form = _Form()
    form.feed(pages[command, "en"])
    rule = json.loads(form.root["data-argv-rule"])
    assert rule["pasted"] == PASTED_CONFIG
    assert list(rule["flags"]) == [command, *PAGES[command]]
    for name, flags in rule["flags"].items():
        assert flags == [[option.flag, option.type is bool] for option in COMMANDS[name].options], name
    if command == "plan":  # the GPU sets the planner lists: `recommend`, on the plan options it shares
        assert [flag for flag, _ in rule["flags"]["recommend"]] == [o.flag for o in COMMANDS["recommend"].options]


def test_the_page_script_declares_no_flag_of_its_own():
    """calculator.js reads flags from the page's data: no flag name or shell quoting is written in it."""
    script = (ROOT / "docs" / "assets" / "javascripts" / "calculator.js").read_text(encoding="utf-8")
    flags = {option.flag for command in COMMANDS.values() for option in command.options}
    assert not [flag for flag in flags if re.search(rf"[\"'`]-*{re.escape(flag)}[\"'`]", script)]
    assert "'\\\\''" not in script and "shellQuote" not in script


# ------------------------------------------------------------------------------------------------------------
# the command line a page shows


CONFIG = dict(PRESETS["Qwen/Qwen2.5-7B"], num_hidden_layers=7, model_type="qwen2")


@pytest.mark.parametrize("argv", [
    ["plan", "meta-llama/Llama-3.1-8B", "--seq-len", "8192", "--gpu", "RTX 4090", "--weights", "awq-int4"],
    ["train", "meta-llama/Llama-3.2-1B", "--method", "lora", "--lora-targets", "q_proj, v_proj", "--gpu", "L4"],
    ["kv", "Qwen/Qwen3-8B", "--seq-len", "4096", "--mla-decompressed"],
], ids=lambda argv: argv[0])
def test_the_command_line_is_shlex_join_of_the_argv_and_splits_back(argv):
    page = page_result(argv)
    assert page["ok"] and page["command_line"] == command_line(argv)
    assert page["command_line"] == shlex.join(["python", "-m", "calculators", *argv, "--json"])
    assert shlex.split(page["command_line"]) == ["python", "-m", "calculators", *argv, "--json"]


def test_the_command_line_of_a_pasted_config_prints_the_same_json(tmp_path, monkeypatch):
    """Run as a shell would run it, on a file holding the pasted text under the name the argv gives it."""
    monkeypatch.chdir(tmp_path)
    argv = ["plan", PASTED_CONFIG, "--seq-len", "4096", "--gpu", "RTX 4090", "--weights", "bpw:4.5"]
    page = page_result(argv, "en", json.dumps(CONFIG))
    assert page["ok"] and not (tmp_path / PASTED_CONFIG).exists()
    (tmp_path / PASTED_CONFIG).write_text(json.dumps(CONFIG))
    words = shlex.split(page["command_line"])
    out = subprocess.run([sys.executable, *words[1:]], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert json.loads(out.stdout) == page["result"]
