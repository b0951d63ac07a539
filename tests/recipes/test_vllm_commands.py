"""The vLLM commands the docs show: documented flags only, and folders the recipes really write."""

import shlex

import pytest

from snippets.labs import distillation as lab_distillation
from snippets.labs import gptq as lab_gptq
from snippets.labs import wanda as lab_wanda
from snippets.recipes import awq_llmcompressor, fp8_llmcompressor, gptq_llmcompressor
from snippets.recipes.vllm_commands import DOCUMENTED_FLAGS, SERVE_COMMANDS

RECIPE_SAVE_DIRS = {m.SAVE_DIR for m in (gptq_llmcompressor, awq_llmcompressor, fp8_llmcompressor)}
LAB_COMMANDS = {f"{lab.__name__.rsplit('.', 1)[1]}.{name}": value for lab in (lab_gptq, lab_wanda, lab_distillation)
                for name, value in vars(lab).items() if name.startswith("SERVE_") and isinstance(value, str)}
ALL_COMMANDS = {**SERVE_COMMANDS, **LAB_COMMANDS}


@pytest.mark.parametrize("name", sorted(ALL_COMMANDS))
def test_command_uses_only_documented_flags_with_values(name):
    words = shlex.split(ALL_COMMANDS[name])
    assert words[:2] == ["vllm", "serve"]
    flags = words[3::2]
    values = words[4::2]
    assert len(flags) == len(values) and flags, words
    assert set(flags) <= set(DOCUMENTED_FLAGS), flags
    for flag, value in zip(flags, values, strict=True):
        if flag == "--kv-cache-dtype":
            assert value == "fp8"
        if flag == "--gpu-memory-utilization":
            assert 0 < float(value) <= 1
        if flag == "--max-model-len":
            assert int(value) > 0


@pytest.mark.parametrize("name", sorted(LAB_COMMANDS))
def test_a_lab_serves_the_folder_its_notebooks_write(name):
    model = shlex.split(LAB_COMMANDS[name])[2].removeprefix("./")
    assert model.startswith(f".cache/labs/{name.split('.')[0]}/real/"), model


@pytest.mark.parametrize("name", sorted(SERVE_COMMANDS))
def test_local_model_paths_are_folders_a_recipe_writes(name):
    model = shlex.split(SERVE_COMMANDS[name])[2]
    if model.startswith("./"):
        assert model.removeprefix("./") in RECIPE_SAVE_DIRS


def test_llm_compressor_checkpoints_need_no_quantization_flag():
    """vLLM reads quantization_config from config.json; only online FP8 (no checkpoint) passes --quantization."""
    for name, command in SERVE_COMMANDS.items():
        assert ("--quantization" in command) == (name == "online_fp8")


def test_every_vllm_serve_line_on_the_site_is_one_of_these_commands():
    """The recipe and lab pages show the serve commands as shell text; each such line, in both languages, must be one of
    the constants checked above, so a page cannot drift from them."""
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs"
    shown = {}
    for page in sorted(docs.rglob("*.md")):
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("vllm serve"):
                shown.setdefault(line.strip(), []).append(str(page.relative_to(docs)))
    assert shown, "the recipe pages show vLLM serve commands"
    unknown = {line: pages for line, pages in shown.items() if line not in ALL_COMMANDS.values()}
    assert not unknown, unknown
    # The labs print their commands from the constants, so only the recipes' commands must appear as page text.
    assert set(SERVE_COMMANDS.values()) <= set(shown), "every recipe command is shown somewhere"
