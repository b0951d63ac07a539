"""vLLM's accounting by release (calculators.plan.vllm_releases): each rule as the release's source has it."""

from __future__ import annotations

import pytest

from calculators.errors import CalculatorError
from calculators.memory.formats import parse_format
from calculators.model.configs import load_spec
from calculators.plan.gpus import get_gpu
from calculators.plan.inference import memory_plan
from calculators.plan.vllm_releases import DEFAULT_VLLM_VERSION, RELEASES, parse_version, vllm_release


@pytest.mark.parametrize(("text", "parsed"), [
    ("0.10.1.1", (0, 10, 1)), ("v0.6.4.post1", (0, 6, 4)), ("0.7.3.dev233+gad5a35c2", (0, 7, 3)),
    ("0.33", (0, 33, 0)), ("0.14.0rc1.dev2+g7d9f6663a.d20260121", (0, 14, 0)), ("0.13.0+faa43dbf.nv26.01", (0, 13, 0)),
])
def test_versions_are_read_as_vllm_prints_them(text, parsed):
    assert parse_version(text) == parsed


@pytest.mark.parametrize("bad", ["latest", "", "1", "0.x", None, True, [0, 10]])
def test_a_bad_version_names_the_field(bad):
    with pytest.raises(CalculatorError, match="^vllm_version: expected a vLLM version"):
        vllm_release(bad)


@pytest.mark.parametrize("outside", ["0.3.3", "0.34", "0.34.0", "1.0"])
def test_releases_outside_the_modelled_range_are_refused(outside):
    with pytest.raises(CalculatorError, match="^vllm_version: this calculator models vLLM 0.4 to 0.33"):
        vllm_release(outside)


def test_the_ranges_are_ordered_and_the_default_is_the_recipes_pin():
    firsts = [r.first for r in RELEASES]
    assert firsts == sorted(firsts) and len(set(firsts)) == len(firsts)
    from snippets.recipes import vllm_commands

    assert f'"vllm=={DEFAULT_VLLM_VERSION}.0"' in vllm_commands.PIP_INSTALL


@pytest.mark.parametrize(("version", "engine", "utilization", "graphs_in_budget", "context_in_budget"), [
    ("0.5.2", "V0", 0.9, False, False),  # worker.py: init_gpu_memory - free after the profile
    ("0.6.4", "V0", 0.9, False, True),  # device-wide non-torch memory
    ("0.7.3", "V0", 0.9, False, False),  # memory_profiling (#10511)
    ("0.8.5", "V1", 0.9, False, True),  # V1's first accounting: device-wide again
    ("0.10.1", "V1", 0.9, False, False),  # init_snapshot
    ("0.19.1", "V1", 0.9, False, False),  # the CUDA graph estimate is opt-in (default 0)
    ("0.20", "V1", 0.92, True, False),  # VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS defaults to 1; util 0.92
    ("0.33", "V1", 0.92, True, False),
])
def test_budget_rules_by_release(version, engine, utilization, graphs_in_budget, context_in_budget):
    release = vllm_release(version)
    assert (release.engine, release.default_gpu_memory_utilization, release.cuda_graphs_in_budget,
            release.context_in_budget) == (engine, utilization, graphs_in_budget, context_in_budget)


@pytest.mark.parametrize(("version", "gpu", "entrypoint", "expected"), [
    ("0.8.2", "H100", "serve", (8192, 1024)),  # "h100" in the device name; 1024 sequences everywhere
    ("0.8.2", "A100-80GB", "serve", (2048, 1024)),
    ("0.8.4", "A100-80GB", "serve", (2048, 256)),
    ("0.8.5", "A100-80GB", "serve", (8192, 1024)),  # >= 70 GiB, A100 included
    ("0.9.0", "A100-80GB", "serve", (2048, 256)),  # ... A100 excluded (#17885)
    ("0.10.1", "H100", "llm", (16384, 1024)),
    ("0.10.1", "L4", "llm", (8192, 256)),
    ("0.27", "H200", "serve", (8192, 1024)),
    ("0.28", "H200", "serve", (8192, 1024)),  # H200's 139.72 GiB is under 160
    ("0.28", "B200", "serve", (16384, 1024)),  # >= 160 GiB
])
def test_v1_batch_defaults_by_release_and_gpu(version, gpu, entrypoint, expected):
    assert vllm_release(version).batch_defaults(get_gpu(gpu), entrypoint, 4096, True) == expected


def test_v0_profiles_the_whole_context_without_chunked_prefill():
    v0 = vllm_release("0.7.3")
    assert not v0.chunked_prefill(32768, "serve") and v0.chunked_prefill(32769, "serve")
    assert v0.batch_defaults(get_gpu("H100"), "serve", 20000, False) == (20000, 256)
    assert v0.batch_defaults(get_gpu("H100"), "serve", 1024, False) == (2048, 256)
    assert v0.batch_defaults(get_gpu("H100"), "serve", 65536, True) == (2048, 256)
    assert vllm_release("0.6.3").batch_defaults(get_gpu("H100"), "serve", 65536, True) == (512, 256)
    assert not vllm_release("0.5.0").chunked_prefill(131072, "serve")  # auto-enabled from 0.5.3
    assert vllm_release("0.10").chunked_prefill(1024, "serve")  # V1 always chunks


def test_capture_sizes_by_release():
    assert vllm_release("0.7").capture_size(256, 8192) == 256
    assert vllm_release("0.9.2").capture_size(256, 2048) == 512
    assert vllm_release("0.10.1").capture_size(256, 2048) == 512
    assert vllm_release("0.10.1").capture_size(64, 8192) == 128
    assert vllm_release("0.10.1").capture_size(1024, 256) == 256  # never above the token budget


def test_bitsandbytes_as_vllm_holds_it():
    dq = parse_format("nf4-dq")
    assert vllm_release("0.9.2").loaded_format(dq).double_quant  # kept as stored
    assert not vllm_release("0.10.0").loaded_format(dq).double_quant  # _dequantize_dq: fp32 absmax
    with pytest.raises(CalculatorError, match="^weights: vLLM 0.28-0.33 does not load bitsandbytes"):
        vllm_release("0.28").loaded_format(dq)
    spec = load_spec("Qwen/Qwen2.5-7B")
    kept = memory_plan(spec, weights="nf4-dq", seq_len=4096, gpu="L4", vllm_version="0.9.2", inverse=False)
    dequantized = memory_plan(spec, weights="nf4-dq", seq_len=4096, gpu="L4", vllm_version="0.10", inverse=False)
    assert dequantized.breakdown["weights"] > kept.breakdown["weights"]


def test_mxfp4_experts_are_padded_for_the_kernel_of_the_gpu():
    spec = load_spec("openai/gpt-oss-120b")  # hidden 2880, expert width 2880: 720 per GPU at TP 4
    marlin = memory_plan(spec, seq_len=16384, gpu="A100-80GB", count=4, inverse=False)
    triton = memory_plan(spec, seq_len=16384, gpu="H100", count=4, inverse=False)
    experts, layers = 128, 36

    def mxfp4(rows, cols):  # e2m1 values two per byte, one e8m0 scale per 32
        return rows * (cols // 2 + cols // 32)

    # Marlin (A100): the expert width per GPU 720 -> 768 (128), the hidden size 2880 -> 3072 (256);
    # Triton (H100): 720 -> 768 (64), the hidden size as it is
    marlin_experts = mxfp4(2 * 768, 3072) + mxfp4(3072, 768) + (2 * 768 + 3072) * 2  # + bf16 biases
    triton_experts = mxfp4(2 * 768, 2880) + mxfp4(2880, 768) + (2 * 768 + 2880) * 2
    assert marlin.breakdown["weights"] - triton.breakdown["weights"] == experts * layers * (
        marlin_experts - triton_experts)
