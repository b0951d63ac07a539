"""FP8 weights and activations (W8A8, float8 e4m3), with llm-compressor.

Two schemes:

- `FP8_DYNAMIC`: one scale per output channel for the weights, and activation scales computed per token at run time.
  Needs no calibration data: rounding to FP8 (round-to-nearest) is accurate enough.
- `FP8`: one scale per tensor for the weights and a static activation scale per tensor, measured on calibration data.

Saving works anywhere. Fast FP8 inference needs a GPU with FP8 tensor cores (compute capability 8.9 or higher: Ada,
Hopper, Blackwell); vLLM runs the same checkpoint as weight-only FP8 (Marlin kernels) on older GPUs. transformers can
also reload it (it keeps the FP8 weights and dequantizes in forward), which is what the CPU test checks: it shows the
file is right, not that it is fast.

    python -m snippets.recipes.fp8_llmcompressor MODEL_DIR_OR_ID [SAVE_DIR]
"""

import sys

import torch
from llmcompressor import oneshot
from llmcompressor.modifiers.quantization import QuantizationModifier
from transformers import AutoModelForCausalLM, AutoTokenizer, CompressedTensorsConfig

from snippets.recipes.common import calibration_dataset, reload_and_generate, stdlib_docstrings

PIP_INSTALL = """
# --8<-- [start:install]
pip install "llmcompressor==0.14.0.1"
# --8<-- [end:install]
"""
SAVE_DIR = "out/llama-fp8-dynamic"
FP8_MIN_COMPUTE_CAPABILITY = (8, 9)  # Ada Lovelace; from vLLM's FP8 W8A8 documentation


def quantize_fp8_dynamic(model_dir, save_dir=SAVE_DIR):
    """FP8 weights (per channel) and dynamic per-token FP8 activations; no calibration data. Returns save_dir."""
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype="auto")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    # --8<-- [start:dynamic]
    recipe = QuantizationModifier(targets="Linear", scheme="FP8_DYNAMIC", ignore=["lm_head"])
    oneshot(model=model, recipe=recipe)
    model.save_pretrained(save_dir, save_compressed=True)
    tokenizer.save_pretrained(save_dir)
    # --8<-- [end:dynamic]
    return save_dir


def quantize_fp8_static(model_dir, save_dir, texts=None, num_samples: int = 512, max_seq_length: int = 2048):
    """FP8 weights and static FP8 activation scales, both per tensor, calibrated on `texts`. Returns save_dir."""
    texts = stdlib_docstrings() if texts is None else texts
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype="auto")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    # --8<-- [start:static]
    dataset = calibration_dataset(tokenizer, texts[:num_samples], max_seq_length)
    recipe = QuantizationModifier(targets="Linear", scheme="FP8", ignore=["lm_head"])
    oneshot(
        model=model,
        tokenizer=tokenizer,
        dataset=dataset,
        recipe=recipe,
        max_seq_length=max_seq_length,
        num_calibration_samples=len(dataset),
    )
    model.save_pretrained(save_dir, save_compressed=True)
    tokenizer.save_pretrained(save_dir)
    # --8<-- [end:static]
    return save_dir


# --8<-- [start:fp8-inference]
def load_fp8_for_inference(save_dir):
    """Reload an FP8 checkpoint in transformers keeping FP8 weights, with FP8 matmuls (`torch._scaled_mm`).

    transformers 5.17 does this only on request (`use_optimized_inference=True`) and only on FP8 hardware
    (CUDA compute capability >= 8.9, or Intel XPU); elsewhere it warns and falls back to the default route
    (FP8 weights decompressed on the first forward pass).
    """
    return AutoModelForCausalLM.from_pretrained(
        save_dir, quantization_config=CompressedTensorsConfig(use_optimized_inference=True), device_map="auto"
    )
# --8<-- [end:fp8-inference]


# --8<-- [start:gpu-check]
def has_fp8_tensor_cores() -> bool:
    """True on a CUDA GPU that computes in FP8 (compute capability >= 8.9)."""
    return torch.cuda.is_available() and torch.cuda.get_device_capability() >= FP8_MIN_COMPUTE_CAPABILITY
# --8<-- [end:gpu-check]


if __name__ == "__main__":
    out = quantize_fp8_dynamic(sys.argv[1], *sys.argv[2:3])
    _, new_tokens = reload_and_generate(out)
    print(f"saved to {out}; generated {len(new_tokens)} tokens; FP8 tensor cores: {has_fp8_tensor_cores()}")
