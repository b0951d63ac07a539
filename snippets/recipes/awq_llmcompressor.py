"""AWQ, 4-bit asymmetric weights (W4A16_ASYM), with llm-compressor.

Since llm-compressor 0.11 (PR #2526), AWQ is a transform: `AWQModifier` only rescales channels (it searches, per
layer, the scale that best protects the channels with large activations), and the `QuantizationModifier` after it
does the rounding. The checkpoint has int4 codes, one scale and one zero point per group of 128 input channels.

    python -m snippets.recipes.awq_llmcompressor MODEL_DIR_OR_ID [SAVE_DIR]
"""

import contextlib
import sys
from unittest import mock

import torch
from llmcompressor import oneshot
from llmcompressor.modifiers.quantization import QuantizationModifier
from llmcompressor.modifiers.transform.awq import AWQModifier
from llmcompressor.pipelines.cache import IntermediatesCache
from transformers import AutoModelForCausalLM, AutoTokenizer

from snippets.recipes.common import calibration_dataset, reload_and_generate, stdlib_docstrings

PIP_INSTALL = """
# --8<-- [start:install]
pip install "llmcompressor==0.14.0.1"
# --8<-- [end:install]
"""
SAVE_DIR = "out/llama-awq-w4a16-asym"


def quantize_awq_w4a16_asym(
    model_dir, save_dir=SAVE_DIR, texts=None, num_samples: int = 256, max_seq_length: int = 512, n_grid: int = 20
):
    """Quantize the model in `model_dir` with AWQ and save it to `save_dir`; returns save_dir.

    `n_grid` is the number of candidate scales AWQ tries per layer (llm-compressor's default is 20).
    """
    texts = stdlib_docstrings() if texts is None else texts
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype="auto")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    dataset = calibration_dataset(tokenizer, texts[:num_samples], max_seq_length)

    # --8<-- [start:quantize]
    recipe = [
        AWQModifier(duo_scaling="both", n_grid=n_grid),  # "both": half the grid with weight-aware scales
        QuantizationModifier(targets=["Linear"], scheme="W4A16_ASYM", ignore=["lm_head"]),
    ]
    with cpu_only_workaround():
        oneshot(
            model=model,
            tokenizer=tokenizer,
            dataset=dataset,
            recipe=recipe,
            max_seq_length=max_seq_length,
            num_calibration_samples=len(dataset),
        )
    # --8<-- [end:quantize]

    # --8<-- [start:save]
    model.save_pretrained(save_dir, save_compressed=True)
    tokenizer.save_pretrained(save_dir)
    # --8<-- [end:save]
    return save_dir


# --8<-- [start:workaround]
def cpu_only_workaround():
    """On a machine with no GPU, stop AWQ from pinning host memory; on a GPU machine, change nothing.

    llmcompressor 0.14.0.1's AWQModifier pins its cached activations (`IntermediatesCache.pin_memory`) to speed up
    copies to the GPU. With no accelerator, torch refuses: "Cannot access accelerator device when none is
    available". Pinning only speeds up transfers, so skipping it does not change the result.
    """
    if torch.accelerator.is_available():
        return contextlib.nullcontext()
    return mock.patch.object(IntermediatesCache, "pin_memory", lambda self, batch_index, input_names=None: None)
# --8<-- [end:workaround]


if __name__ == "__main__":
    out = quantize_awq_w4a16_asym(sys.argv[1], *sys.argv[2:3])
    _, new_tokens = reload_and_generate(out)
    print(f"saved to {out}; generated {len(new_tokens)} tokens after reload")
