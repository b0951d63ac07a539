"""GPTQ W4A16 recipe: tiny on CPU (format, codes, reload), real size on GPU (time, memory)."""

import pytest
import torch

from snippets.recipes.common import generate_tokens, load_checkpoint
from snippets.recipes.gptq_llmcompressor import quantize_gptq_w4a16
from snippets.recipes.tiny_llama import TINY_LLAMA
from tests.recipes.checkpoints import int4_codes, quantization_config, saved_tensors
from tests.recipes.conftest import measure_cuda, measure_load_and_generate, requires_cuda

GROUP_SIZE = 128
LINEARS = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
           "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")


@pytest.fixture(scope="module")
def gptq_dir(tiny_llama_dir, calibration_texts, tmp_path_factory):
    save_dir = tmp_path_factory.mktemp("gptq") / "w4a16"
    return quantize_gptq_w4a16(tiny_llama_dir, save_dir, calibration_texts, num_samples=16, max_seq_length=64)


def test_config_declares_compressed_tensors_int4_groups(gptq_dir):
    config = quantization_config(gptq_dir)
    assert config["quant_method"] == "compressed-tensors"
    assert config["format"] == "pack-quantized"
    assert config["ignore"] == ["lm_head"]
    (group,) = config["config_groups"].values()
    assert group["targets"] == ["Linear"]
    assert group["input_activations"] is None  # A16: activations stay in 16/32-bit
    weights = group["weights"]
    assert (weights["num_bits"], weights["type"], weights["symmetric"]) == (4, "int", True)
    assert (weights["strategy"], weights["group_size"]) == ("group", GROUP_SIZE)


def test_every_linear_is_stored_as_packed_int4_codes_with_group_scales(gptq_dir):
    tensors = saved_tensors(gptq_dir)
    for layer in range(TINY_LLAMA["num_hidden_layers"]):
        for linear in LINEARS:
            module = f"model.layers.{layer}.{linear}"
            assert f"{module}.weight" not in tensors  # no full-precision copy left
            out_features, in_features = tensors[f"{module}.weight_shape"].tolist()
            assert tensors[f"{module}.weight_packed"].dtype == torch.int32
            assert tensors[f"{module}.weight_packed"].shape == (out_features, in_features * 4 // 32)  # 8 codes/word
            assert tensors[f"{module}.weight_scale"].shape == (out_features, in_features // GROUP_SIZE)
            codes = int4_codes(tensors, module)
            assert codes.min() >= -8 and codes.max() <= 7
            assert len(codes.unique()) > 8  # the codes use the 4-bit range, not a constant
    assert "lm_head.weight_packed" not in tensors  # ignored; tied to the (unquantized) embeddings


def test_reload_with_transformers_loads_packed_weights_and_generates(gptq_dir):
    model, tokenizer = load_checkpoint(gptq_dir)
    q_proj = model.model.layers[0].self_attn.q_proj
    assert dict(q_proj.named_parameters())["weight_packed"].dtype == torch.int32
    assert q_proj.quantization_scheme.weights.num_bits == 4
    assert len(generate_tokens(model, tokenizer)) >= 1
    # the first forward pass decompressed the model in place: transformers checks int4 checkpoints, vLLM serves them
    assert "weight_packed" not in dict(q_proj.named_parameters())


@pytest.mark.gpu
@requires_cuda
def test_gptq_real_size_on_gpu(llama_1b_dir, calibration_texts, bf16_baseline, tmp_path):
    save_dir, quantize_s, quantize_peak_gib = measure_cuda(
        lambda: quantize_gptq_w4a16(llama_1b_dir, tmp_path / "w4a16", calibration_texts, num_samples=64,
                                    max_seq_length=512)
    )
    result = measure_load_and_generate("gptq-w4a16", save_dir, quantize_s=round(quantize_s, 1),
                                       quantize_peak_gib=round(quantize_peak_gib, 3))
    assert result["new_tokens"] >= 1
    assert result["disk_gib"] < 0.6 * bf16_baseline["disk_gib"]  # int4 Linear layers, bf16 embeddings (tied head)
    assert result["load_peak_gib"] < 0.6 * bf16_baseline["load_peak_gib"]
