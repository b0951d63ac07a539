"""bitsandbytes loading: the configs on any machine; NF4 and INT8 loading only on a CUDA GPU with bitsandbytes."""

import importlib.util

import pytest
import torch

from snippets.recipes.bnb_load import INT8_CONFIG, NF4_CONFIG, load_int8, load_nf4
from snippets.recipes.common import generate_tokens
from tests.recipes.conftest import measure_cuda, record_gpu_result, requires_cuda

requires_bitsandbytes = pytest.mark.skipif(
    importlib.util.find_spec("bitsandbytes") is None, reason="bitsandbytes is not installed"
)


def test_nf4_config_is_4bit_normalfloat_with_double_quant_and_bf16_compute():
    assert NF4_CONFIG.load_in_4bit and not NF4_CONFIG.load_in_8bit
    assert NF4_CONFIG.bnb_4bit_quant_type == "nf4"
    assert NF4_CONFIG.bnb_4bit_use_double_quant is True
    assert NF4_CONFIG.bnb_4bit_compute_dtype == torch.bfloat16


def test_int8_config_is_llm_int8():
    assert INT8_CONFIG.load_in_8bit and not INT8_CONFIG.load_in_4bit
    assert INT8_CONFIG.llm_int8_threshold == 6.0  # outlier threshold: larger activations stay in 16-bit


@pytest.mark.gpu
@requires_cuda
@requires_bitsandbytes
@pytest.mark.parametrize("bits", [4, 8])
def test_bitsandbytes_load_on_gpu(bits, llama_1b_dir, bf16_baseline, tiny_tokenizer):
    import bitsandbytes as bnb

    loader, layer_type = (load_nf4, bnb.nn.Linear4bit) if bits == 4 else (load_int8, bnb.nn.Linear8bitLt)
    model, load_s, load_peak_gib = measure_cuda(lambda: loader(llama_1b_dir))
    assert isinstance(model.model.layers[0].self_attn.q_proj, layer_type)
    new_tokens, generate_s, generate_peak_gib = measure_cuda(lambda: generate_tokens(model, tiny_tokenizer))
    record_gpu_result(f"bitsandbytes-{'nf4' if bits == 4 else 'int8'}", load_s=round(load_s, 2),
                      load_peak_gib=round(load_peak_gib, 3), generate_s=round(generate_s, 2),
                      generate_peak_gib=round(generate_peak_gib, 3), new_tokens=len(new_tokens),
                      footprint_gib=round(model.get_memory_footprint() / 2**30, 3))
    assert len(new_tokens) >= 1
    assert model.get_memory_footprint() / 2**30 < (0.6 if bits == 4 else 0.8) * bf16_baseline["disk_gib"]
