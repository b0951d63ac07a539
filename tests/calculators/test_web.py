"""calculators.web / report / chart: what the calculator pages show is the CLI's JSON, rendered safely."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from calculators.cli import run_json
from calculators.model.configs import load_spec
from calculators.model.families import model_spec
from calculators.model.params import count_parameters
from calculators.model.presets import PRESETS
from calculators.presentation.chart import context_points, memory_chart_svg
from calculators.web import page_result

PLAN = ["plan", "meta-llama/Llama-3.1-8B", "--weights", "awq-int4", "--seq-len", "16384", "--batch", "2",
        "--kv-dtype", "fp8", "--gpu", "RTX 4090", "--count", "1"]
COMMANDS = [
    ["params", "Qwen/Qwen3-30B-A3B"],
    ["kv", "google/gemma-3-27b-pt", "--seq-len", "65536", "--batch", "3", "--kv-dtype", "int8"],
    PLAN,
    ["recommend", "meta-llama/Llama-3.1-70B", "--weights", "gptq-int4", "--seq-len", "8192", "--batch", "4"],
    ["train", "meta-llama/Llama-3.2-3B", "--method", "lora", "--gradient-checkpointing", "--gpu", "L4"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: argv[0])
@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_page_result_is_the_cli_json_with_tables(argv, lang):
    assert argv[1] in PRESETS
    page = page_result(argv, lang)
    assert page["ok"] and page["command"] == argv[0]
    assert page["result"] == run_json(argv)
    assert "<table>" in page["html"] and page["markdown"].startswith("| ")
    assert bool(page["svg"]) == (argv[0] == "plan")


def test_page_result_equals_the_cli_process_output():
    out = subprocess.run([sys.executable, "-m", "calculators", *PLAN, "--json"], capture_output=True, text=True,
                         check=True).stdout
    assert page_result(PLAN)["result"] == json.loads(out)


def test_a_pasted_config_runs_as_a_dict_and_equals_the_cli_on_config_json(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = dict(PRESETS["Qwen/Qwen2.5-7B"], num_hidden_layers=7, model_type="qwen2")
    for argv in (["params", "config.json"], ["plan", "config.json", "--seq-len", "4096", "--gpu", "L4"]):
        page = page_result(argv, "en", json.dumps(config))
        assert page["ok"] and bool(page["svg"]) == (argv[0] == "plan")
        assert list(tmp_path.iterdir()) == []  # nothing written to the working directory
        (tmp_path / "config.json").write_text(json.dumps(config))
        out = subprocess.run([sys.executable, "-m", "calculators", *argv, "--json"],
                             capture_output=True, text=True, check=True, cwd=tmp_path).stdout
        assert page["result"] == json.loads(out)
        (tmp_path / "config.json").unlink()


def test_a_pasted_config_wins_over_a_file_of_its_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.json").write_text("not the pasted one")
    pasted = dict(PRESETS["meta-llama/Llama-3.2-1B"], num_hidden_layers=3)
    page = page_result(["params", "config.json"], "en", json.dumps(pasted))
    assert page["ok"] and page["result"]["source"] == "config.json"
    assert page["result"]["total"] == count_parameters(model_spec(pasted)).total


@pytest.mark.parametrize("text,field", [("{not json", "config-json"), ("[1, 2]", "config-json"),
                                        ('{"model_type": "llama"}', "config.hidden_size")])
def test_bad_pasted_configs_name_the_field(tmp_path, monkeypatch, text, field):
    monkeypatch.chdir(tmp_path)
    page = page_result(["params", "config.json"], "en", text)
    assert page == {"ok": False, "field": field, "message": page["message"]}
    assert page["message"].startswith(field)


def test_bad_flags_name_the_field():
    page = page_result(["kv", "meta-llama/Llama-3.1-8B", "--seq-len", "-5"])
    assert not page["ok"] and page["field"] == "seq_len" and "-5" in page["message"]


def test_markup_in_a_config_is_shown_as_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = dict(PRESETS["meta-llama/Llama-3.2-1B"], model_type="<img src=x onerror=alert(1)>")
    page = page_result(["params", "config.json"], "en", json.dumps(config))
    assert page["ok"] and page["result"]["approximate"]
    assert "<img" not in page["html"] and "&lt;img src=x onerror=alert(1)&gt;" in page["html"]


def test_chart_is_well_formed_svg_with_escaped_labels():
    spec = load_spec("meta-llama/Llama-3.1-8B")
    svg = memory_chart_svg(spec, labels={"budget": "<b>&"}, weights="bf16", gpu="H100")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "&lt;b&gt;&amp;" in svg
    assert len(root.findall("{http://www.w3.org/2000/svg}polygon")) == 3


@pytest.mark.parametrize("deployment", [
    {"engine": "transformers", "count": 2, "gpu": "H100"},  # nccl and gemm_workspace
    {"gpu": "H200"},  # Jamba's recurrent state
])
def test_chart_stacks_every_term_of_the_plan(deployment):
    from calculators.plan.inference import memory_curve
    from calculators.presentation.chart import LAYERS, _layer_bytes

    spec = load_spec("ai21labs/Jamba-v0.1")
    breakdowns, _, _ = memory_curve(spec, [4096, 65536], **deployment)
    for breakdown in breakdowns:
        assert sum(_layer_bytes(breakdown, keys) for keys, _, _ in LAYERS) == sum(breakdown.values())
        assert breakdown.get("recurrent_state") or breakdown.get("nccl")


def test_context_points_double_up_to_the_maximum():
    assert context_points(131_072) == [512 * 2**k for k in range(9)]
    assert context_points(5000) == [512, 1024, 2048, 4096, 5000]


@pytest.mark.parametrize("model, deployment", [
    ("meta-llama/Llama-3.1-8B", {"weights": "bf16", "gpu": "H100"}),
    ("Qwen/Qwen3-30B-A3B", {"weights": "fp8", "gpu": "A100-80GB", "count": 2, "kv_dtype": "fp8", "batch": 4}),
    ("google/gemma-3-27b-pt", {"weights": "awq-int4", "gpu": "RTX 4090", "engine": "transformers"}),
    ("meta-llama/Llama-3.1-70B", {"weights": "gptq-int4", "gpu": "H100", "count": 4, "cuda_graphs": False,
                                  "max_num_seqs": 64, "block_size": 32}),
])
def test_memory_curve_is_memory_plan_at_each_context_length(model, deployment):
    """The chart's one-setup curve equals memory_plan's breakdown, budget and capacity at every point."""
    from calculators.plan.inference import memory_curve, memory_plan

    spec = load_spec(model)
    xs = context_points(131_072)
    breakdowns, budget, gpu_bytes = memory_curve(spec, xs, **deployment)
    for x, breakdown in zip(xs, breakdowns, strict=True):
        plan = memory_plan(spec, seq_len=x, inverse=False, **deployment)
        assert breakdown == plan.breakdown
        assert (budget, gpu_bytes) == (plan.gpu_usable_bytes, plan.gpu_total_bytes)


def test_memory_curve_rejects_bad_context_lengths():
    from calculators.errors import CalculatorError
    from calculators.plan.inference import memory_curve

    spec = load_spec("meta-llama/Llama-3.1-8B")
    for bad in ([], [1024, 0], [1024, "2048"]):
        with pytest.raises(CalculatorError) as error:
            memory_curve(spec, bad)
        assert error.value.field == "seq_len"
