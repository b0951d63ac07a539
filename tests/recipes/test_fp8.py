"""FP8 recipes: tiny on CPU (format, dtypes, scales, reload), real size on GPU (FP8 kernels where supported)."""

import pytest
import torch
from transformers import AutoTokenizer

from snippets.recipes.common import generate_tokens, load_checkpoint
from snippets.recipes.fp8_llmcompressor import (
    has_fp8_tensor_cores,
    load_fp8_for_inference,
    quantize_fp8_dynamic,
    quantize_fp8_static,
)
from tests.recipes.checkpoints import quantization_config, saved_tensors
from tests.recipes.conftest import measure_cuda, measure_load_and_generate, record_gpu_result, requires_cuda

MODULE = "model.layers.0.self_attn.q_proj"


@pytest.fixture(scope="module")
def fp8_dynamic_dir(tiny_llama_dir, tmp_path_factory):
    return quantize_fp8_dynamic(tiny_llama_dir, tmp_path_factory.mktemp("fp8") / "dynamic")


@pytest.fixture(scope="module")
def fp8_static_dir(tiny_llama_dir, calibration_texts, tmp_path_factory):
    return quantize_fp8_static(
        tiny_llama_dir, tmp_path_factory.mktemp("fp8") / "static", calibration_texts, num_samples=8, max_seq_length=64
    )


def test_dynamic_scheme_stores_fp8_weights_with_channel_scales(fp8_dynamic_dir):
    config = quantization_config(fp8_dynamic_dir)
    assert (config["quant_method"], config["format"]) == ("compressed-tensors", "float-quantized")
    (group,) = config["config_groups"].values()
    weights, activations = group["weights"], group["input_activations"]
    assert (weights["num_bits"], weights["type"], weights["strategy"]) == (8, "float", "channel")
    assert (activations["num_bits"], activations["dynamic"], activations["strategy"]) == (8, True, "token")
    tensors = saved_tensors(fp8_dynamic_dir)
    assert tensors[f"{MODULE}.weight"].dtype == torch.float8_e4m3fn
    assert tensors[f"{MODULE}.weight_scale"].shape == (tensors[f"{MODULE}.weight"].shape[0], 1)
    assert f"{MODULE}.input_scale" not in tensors  # dynamic: activation scales are computed per token at run time


def test_static_scheme_stores_calibrated_activation_scale(fp8_static_dir):
    (group,) = quantization_config(fp8_static_dir)["config_groups"].values()
    assert (group["weights"]["strategy"], group["input_activations"]["strategy"]) == ("tensor", "tensor")
    assert group["input_activations"]["dynamic"] is False
    tensors = saved_tensors(fp8_static_dir)
    assert tensors[f"{MODULE}.weight"].dtype == torch.float8_e4m3fn
    assert tensors[f"{MODULE}.weight_scale"].numel() == 1
    assert tensors[f"{MODULE}.input_scale"].numel() == 1 and tensors[f"{MODULE}.input_scale"].item() > 0


@pytest.mark.parametrize("scheme", ["dynamic", "static"])
def test_transformers_reloads_fp8_checkpoint_on_cpu(scheme, request):
    save_dir = request.getfixturevalue(f"fp8_{scheme}_dir")
    model, tokenizer = load_checkpoint(save_dir)
    assert model.model.layers[0].self_attn.q_proj.weight.dtype == torch.float8_e4m3fn  # loaded as FP8
    assert len(generate_tokens(model, tokenizer)) >= 1


def test_optimized_fp8_loader_falls_back_without_fp8_hardware(fp8_dynamic_dir):
    if has_fp8_tensor_cores():
        pytest.skip("this machine has FP8 tensor cores; the GPU test covers it")
    model = load_fp8_for_inference(fp8_dynamic_dir)
    assert type(model.model.layers[0].self_attn.q_proj).__name__ != "CompressedTensorsFP8Linear"


@pytest.mark.gpu
@requires_cuda
def test_fp8_real_size_on_gpu(llama_1b_dir, bf16_baseline, tmp_path):
    save_dir, quantize_s, _ = measure_cuda(lambda: quantize_fp8_dynamic(llama_1b_dir, tmp_path / "fp8"))
    result = measure_load_and_generate("fp8-dynamic", save_dir, quantize_s=round(quantize_s, 1))
    assert result["new_tokens"] >= 1
    assert result["disk_gib"] < 0.75 * bf16_baseline["disk_gib"]  # 1-byte Linear weights, bf16 embeddings
    if not has_fp8_tensor_cores():
        pytest.skip(f"compute capability {torch.cuda.get_device_capability()} < 8.9: no FP8 matmuls to check")
    model, fp8_load_s, fp8_load_peak_gib = measure_cuda(lambda: load_fp8_for_inference(save_dir))
    q_proj = model.model.layers[0].self_attn.q_proj
    assert type(q_proj).__name__ == "CompressedTensorsFP8Linear" and q_proj.weight.dtype == torch.float8_e4m3fn
    tokenizer = AutoTokenizer.from_pretrained(save_dir)
    new_tokens, generate_s, generate_peak_gib = measure_cuda(lambda: generate_tokens(model, tokenizer))
    assert q_proj.weight.dtype == torch.float8_e4m3fn  # still FP8 after a forward pass: no decompression
    record_gpu_result("fp8-dynamic-fp8-kernels", load_s=round(fp8_load_s, 2), load_peak_gib=round(fp8_load_peak_gib, 3),
                      generate_s=round(generate_s, 2), generate_peak_gib=round(generate_peak_gib, 3),
                      new_tokens=len(new_tokens))
    assert len(new_tokens) >= 1
    assert fp8_load_peak_gib < 0.75 * bf16_baseline["load_peak_gib"]
