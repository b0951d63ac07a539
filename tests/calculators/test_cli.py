"""The command line: the JSON contract other tools rely on, tables with labelled units, and clean errors.

A handful of tests run ``python -m calculators`` in a subprocess; the rest (and the fuzzing) call
``main(argv)`` in-process, which is what the console script runs.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from calculators.cli import main, run_json

ROOT = Path(__file__).resolve().parents[2]
LLAMA = "meta-llama/Llama-3.1-8B"


def cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "calculators", *argv], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---- the contract, through a real subprocess ----------------------------------------------------------


def test_subprocess_params_kv_plan_recommend_json_contract():
    params = cli("params", LLAMA, "--json")
    assert params.returncode == 0, params.stderr
    data = json.loads(params.stdout)
    assert data["total"] == 8_030_261_248 and isinstance(data["total"], int)
    assert {"active", "breakdown", "checkpoint_only", "approximate", "notes"} <= set(data)

    kv = cli("kv", LLAMA, "--seq-len", "8192", "--batch", "4", "--kv-dtype", "fp8", "--json")
    assert kv.returncode == 0, kv.stderr
    assert json.loads(kv.stdout)["kv_cache_bytes"] == 2 * 32 * 8 * 128 * 8192 * 4 * 1

    plan = cli("plan", LLAMA, "--weights", "fp8", "--seq-len", "8192", "--batch", "8", "--kv-dtype", "bf16",
               "--gpu", "H100", "--count", "1", "--json")
    assert plan.returncode == 0, plan.stderr
    data = json.loads(plan.stdout)
    assert isinstance(data["fits"], bool) and isinstance(data["per_gpu_bytes"], int)
    assert isinstance(data["gpu_usable_bytes"], int) and isinstance(data["breakdown"], dict)
    assert {"max_seq_len", "max_batch", "decode_tokens_per_s_bound"} <= set(data)

    rec = cli("recommend", LLAMA, "--weights", "bf16", "--seq-len", "8192", "--batch", "4", "--json")
    assert rec.returncode == 0, rec.stderr
    options = json.loads(rec.stdout)["options"]
    assert options and set(options[0]) >= {"gpu", "count", "per_gpu_bytes", "headroom_bytes"}


def test_subprocess_bad_input_exits_2_without_traceback(tmp_path):
    not_json = tmp_path / "config.json"
    not_json.write_text("{not json")
    result = cli("params", str(not_json), "--json")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    result = cli("plan", LLAMA, "--seq-len", "1024", "--gpu", "H900")
    assert result.returncode == 2 and "unknown GPU" in result.stderr and "Traceback" not in result.stderr
    result = cli("plan", LLAMA, "--seq-len")  # argparse error
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_subprocess_table_labels_gib_and_gb():
    result = cli("plan", LLAMA, "--seq-len", "4096", "--gpu", "RTX 4090", "--weights", "gptq-int4")
    assert result.returncode == 0, result.stderr
    assert "GiB" in result.stdout and " GB)" in result.stdout


# ---- every command in-process -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["params", LLAMA],
        ["kv", LLAMA, "--seq-len", "4096", "--tp", "2", "--block-size", "16"],
        ["weights", "mistralai/Mixtral-8x7B-v0.1", "--weights", "nf4-dq"],
        ["plan", LLAMA, "--seq-len", "4096", "--gpu", "L4", "--count", "2", "--engine", "transformers"],
        ["plan", LLAMA, "--seq-len", "4096", "--gpu", "H100", "--gpu-memory-utilization", "0.8", "--enforce-eager"],
        ["recommend", "Qwen/Qwen3-30B-A3B", "--weights", "fp8", "--seq-len", "4096"],
        ["train", LLAMA, "--method", "qlora", "--gradient-checkpointing", "--gpu", "rtx 4090"],
        ["train", LLAMA, "--method", "lora", "--lora-targets", "q_proj,v_proj", "--lora-rank", "8"],
        ["train", LLAMA, "--method", "full", "--grad-dtype", "fp32"],
        ["presets"],
        ["gpus"],
    ],
)
def test_every_command_prints_a_table_and_json_that_equals_run_json(capsys, argv):
    code, out, err = run_main(capsys, *argv)
    assert code == 0, err
    assert out.strip()
    code, out, err = run_main(capsys, *argv, "--json")
    assert code == 0, err
    assert json.loads(out) == run_json([*argv, "--json"]) == run_json(argv)


def test_presets_and_gpus_lists():
    assert LLAMA in run_json(["presets"])["presets"]
    gpus = run_json(["gpus"])["gpus"]
    h100 = next(g for g in gpus if g["key"] == "h100-sxm")
    assert h100["memory_bytes"] == 80 * 2**30 and h100["source_url"].startswith("https://")


def test_a_config_file_and_a_directory_work_and_an_existing_path_wins(tmp_path, capsys):
    config = run_json(["params", LLAMA])
    assert config["total"] == 8_030_261_248
    folder = tmp_path / "meta-llama" / "Llama-3.1-8B"
    folder.mkdir(parents=True)
    small = {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100}
    (folder / "config.json").write_text(json.dumps(small))
    import os

    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        from_dir = run_json(["params", "meta-llama/Llama-3.1-8B"])  # the local folder, not the preset
    finally:
        os.chdir(old)
    assert from_dir["total"] < 10**6
    assert run_json(["params", str(folder / "config.json")])["total"] == from_dir["total"]


# ---- errors: status 2, "error: <message>", no traceback ------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["kv", LLAMA, "--seq-len", "1024", "--kv-dtype", "fp7"], "kv_dtype"),
        (["plan", LLAMA, "--seq-len", "1024", "--gpu", "H900"], "unknown GPU"),
        (["plan", LLAMA, "--seq-len", "-5", "--gpu", "H100"], "seq_len"),
        (["kv", LLAMA, "--seq-len", "0"], "seq_len"),
        (["plan", LLAMA, "--seq-len", "1024", "--gpu", "H100", "--count", "3"], "count"),
        (["plan", LLAMA, "--seq-len", "1024", "--gpu", "H100", "--weights", "int3"], "weights"),
        (["plan", LLAMA, "--seq-len", "1024", "--gpu", "H100", "--gpu-memory-utilization", "2"], "utilization"),
        (["params", "meta-llama/Llama-9-8B"], "unknown preset"),
        (["train", LLAMA, "--method", "lora", "--lora-targets", "wq"], "lora_targets"),
    ],
)
def test_bad_values_exit_2_with_the_field_named(capsys, argv, fragment):
    code, out, err = run_main(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and fragment in err and "Traceback" not in err


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.json"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2, 3]", "JSON object"),
        ('{"model_type": "llama", "hidden_size": 64}', "config."),  # a missing field
        ('{"model_type": "llama", "hidden_size": "big", "num_hidden_layers": 2}', "hidden_size"),
        ("", "JSON"),
    ],
)
def test_bad_config_files_exit_2(tmp_path, capsys, text, fragment):
    code, out, err = run_main(capsys, "params", write(tmp_path, text), "--json")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and fragment in err


def test_argument_errors_exit_2(capsys):
    for argv in ([], ["plan"], ["plan", LLAMA], ["kv", LLAMA, "--seq-len", "x"], ["frobnicate"],
                 ["plan", LLAMA, "--seq-len", "10", "--gpu", "H100", "--engine", "tgi"]):
        code, out, err = run_main(capsys, *argv)
        assert code == 2, argv
        assert "error:" in err and "Traceback" not in err


def test_run_json_raises_calculator_error_for_argument_errors():
    from calculators.errors import CalculatorError

    with pytest.raises(CalculatorError):
        run_json(["plan", LLAMA])
    with pytest.raises(CalculatorError):
        run_json(["--help"])


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "plan" in capsys.readouterr().out


# ---- fuzzing the parser: only CalculatorError escapes, no NaN, no negative bytes ---------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TOKENS = st.sampled_from(
    ["params", "kv", "plan", "recommend", "train", "weights", "presets", "gpus", LLAMA, "Qwen/Qwen3-30B-A3B",
     "deepseek-ai/DeepSeek-V2-Lite", "--seq-len", "--batch", "--kv-dtype", "--gpu", "--count", "--weights",
     "--engine", "--tp", "--block-size", "--method", "--json", "--gpu-memory-utilization", "--lora-rank",
     "--gradient-checkpointing", "H100", "L4", "rtx 4090", "mi300x", "fp8", "bf16", "int4", "gptq-int4",
     "nf4", "bpw:3.5", "vllm", "transformers", "lora", "qlora", "full", "0", "1", "2", "4", "8", "-1", "16",
     "4096", "0.5", "nan", "1e309", "inf", "", "{}", "[]", "--vllm-version", "--gpu-memory-gib", "0.6.4",
     "0.10.1", "0.34", "23.5"]
)


def _check_numbers(value) -> None:
    if isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        pass
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, int) and not isinstance(item, bool) and key.endswith("bytes") and key not in (
                "headroom_bytes", "available_kv_cache_bytes",  # negative when nothing is left, as vLLM prints it
            ):
                assert item >= 0, key
            _check_numbers(item)
    elif isinstance(value, list):
        for item in value:
            _check_numbers(item)


@settings(max_examples=150)
@given(st.lists(st.one_of(_TOKENS, st.text(max_size=8)), max_size=10))
def test_fuzzed_argv_gives_json_or_a_calculator_error(argv):
    from calculators.errors import CalculatorError

    try:
        payload = run_json(argv)
    except CalculatorError:
        return
    json.dumps(payload, allow_nan=False)
    _check_numbers(payload)


@settings(max_examples=60)
@given(
    seq=st.integers(-10, 1 << 27),
    batch=st.integers(-2, 1 << 21),
    gpu=st.sampled_from(["H100", "L4", "rtx 4090", "mi300x", "m3 max", "b200", "a100-40gb"]),
    count=st.sampled_from(["1", "2", "4", "8", "3"]),
    engine=st.sampled_from(["vllm", "transformers"]),
    weights=st.sampled_from(["bf16", "fp8", "gptq-int4", "nf4-dq", "bpw:2.5", "awq-int4"]),
    kv=st.sampled_from(["bf16", "fp8", "int4", "fp32"]),
)
def test_fuzzed_plans_are_consistent(seq, batch, gpu, count, engine, weights, kv):
    from calculators.errors import CalculatorError

    argv = ["plan", "Qwen/Qwen3-30B-A3B", "--seq-len", str(seq), "--batch", str(batch), "--gpu", gpu,
            "--count", count, "--engine", engine, "--weights", weights, "--kv-dtype", kv]
    try:
        plan = run_json(argv)
    except CalculatorError:
        return
    _check_numbers(plan)
    assert plan["headroom_bytes"] == plan["gpu_usable_bytes"] - plan["per_gpu_bytes"]
    if plan["per_gpu_bytes"] > plan["gpu_usable_bytes"]:
        assert not plan["fits"]
    if plan["fits"]:
        assert plan["max_batch"] >= batch and plan["max_seq_len"] >= min(seq, 40960)
    else:
        assert plan["max_batch"] < batch or plan["max_seq_len"] < seq
