"""AWQ W4A16 (asymmetric) recipe: tiny on CPU (format, codes, zero points, reload), real size on GPU."""

import contextlib

import pytest
import torch
from compressed_tensors.compressors.pack_quantized.helpers import unpack_from_int32
from llmcompressor.pipelines.cache import IntermediatesCache

from snippets.recipes.awq_llmcompressor import cpu_only_workaround, quantize_awq_w4a16_asym
from snippets.recipes.common import generate_tokens, load_checkpoint
from tests.recipes.checkpoints import int4_codes, quantization_config, saved_tensors
from tests.recipes.conftest import measure_cuda, measure_load_and_generate, requires_cuda

GROUP_SIZE = 128


@pytest.fixture(scope="module")
def awq_dir(tiny_llama_dir, calibration_texts, tmp_path_factory):
    save_dir = tmp_path_factory.mktemp("awq") / "w4a16-asym"
    return quantize_awq_w4a16_asym(
        tiny_llama_dir, save_dir, calibration_texts, num_samples=8, max_seq_length=64, n_grid=4
    )


def test_config_declares_asymmetric_int4_groups(awq_dir):
    config = quantization_config(awq_dir)
    assert (config["quant_method"], config["format"]) == ("compressed-tensors", "pack-quantized")
    (group,) = config["config_groups"].values()
    weights = group["weights"]
    assert (weights["num_bits"], weights["type"], weights["symmetric"]) == (4, "int", False)
    assert (weights["strategy"], weights["group_size"]) == ("group", GROUP_SIZE)


def test_weights_have_int4_codes_scales_and_packed_zero_points(awq_dir):
    tensors = saved_tensors(awq_dir)
    module = "model.layers.1.mlp.down_proj"  # in_features 256: two groups per row
    out_features, in_features = tensors[f"{module}.weight_shape"].tolist()
    groups = in_features // GROUP_SIZE
    assert tensors[f"{module}.weight_scale"].shape == (out_features, groups)
    # zero points are int4 too, packed 8 per int32 along the output dimension
    zero_points = tensors[f"{module}.weight_zero_point"]
    assert zero_points.dtype == torch.int32 and zero_points.shape == (out_features * 4 // 32, groups)
    unpacked = unpack_from_int32(zero_points, num_bits=4, shape=torch.Size([out_features, groups]), packed_dim=0)
    assert unpacked.min() >= -8 and unpacked.max() <= 7
    codes = int4_codes(tensors, module)
    assert codes.min() >= -8 and codes.max() <= 7 and len(codes.unique()) > 8


def test_reload_with_transformers_and_generate(awq_dir):
    model, tokenizer = load_checkpoint(awq_dir)
    v_proj = model.model.layers[0].self_attn.v_proj
    assert {"weight_packed", "weight_scale", "weight_zero_point"} <= set(dict(v_proj.named_parameters()))
    assert len(generate_tokens(model, tokenizer)) >= 1


def test_workaround_skips_pinning_only_without_accelerator(monkeypatch):
    original = IntermediatesCache.pin_memory
    monkeypatch.setattr(torch.accelerator, "is_available", lambda: True)
    assert isinstance(cpu_only_workaround(), contextlib.nullcontext)
    monkeypatch.setattr(torch.accelerator, "is_available", lambda: False)
    with cpu_only_workaround():
        assert IntermediatesCache.pin_memory is not original
    assert IntermediatesCache.pin_memory is original  # restored on exit


@pytest.mark.skipif(torch.accelerator.is_available(), reason="the failure exists only without an accelerator")
def test_pinning_host_memory_fails_without_accelerator():
    """The reason for the workaround: torch refuses pin_memory() when no accelerator exists."""
    with pytest.raises(RuntimeError, match="accelerator"):
        torch.zeros(4).pin_memory()


@pytest.mark.gpu
@requires_cuda
def test_awq_real_size_on_gpu(llama_1b_dir, calibration_texts, bf16_baseline, tmp_path):
    save_dir, quantize_s, quantize_peak_gib = measure_cuda(
        lambda: quantize_awq_w4a16_asym(llama_1b_dir, tmp_path / "awq", calibration_texts, num_samples=32,
                                        max_seq_length=512)
    )
    result = measure_load_and_generate("awq-w4a16-asym", save_dir, quantize_s=round(quantize_s, 1),
                                       quantize_peak_gib=round(quantize_peak_gib, 3))
    assert result["new_tokens"] >= 1
    assert result["disk_gib"] < 0.6 * bf16_baseline["disk_gib"]
    assert result["load_peak_gib"] < 0.6 * bf16_baseline["load_peak_gib"]
