"""GPTQ, 4-bit weights and 16-bit activations (W4A16), with llm-compressor.

Calibrate on a few hundred texts, quantize every Linear layer except `lm_head` with GPTQ (int4, symmetric, one scale
per group of 128 input channels), save in the compressed-tensors format, reload with plain transformers.
The same checkpoint serves in vLLM with no flag: see vllm_commands.py.

    python -m snippets.recipes.gptq_llmcompressor MODEL_DIR_OR_ID [SAVE_DIR]
"""

import sys

from llmcompressor import oneshot
from llmcompressor.modifiers.gptq import GPTQModifier
from transformers import AutoModelForCausalLM, AutoTokenizer

from snippets.recipes.common import calibration_dataset, reload_and_generate, stdlib_docstrings

PIP_INSTALL = """
# --8<-- [start:install]
pip install "llmcompressor==0.14.0.1"
# --8<-- [end:install]
"""
SAVE_DIR = "out/llama-w4a16"


def quantize_gptq_w4a16(model_dir, save_dir=SAVE_DIR, texts=None, num_samples: int = 512, max_seq_length: int = 2048):
    """Quantize the model in `model_dir` (a local folder or a Hub id) and save it to `save_dir`; returns save_dir.

    oneshot reads `model.name_or_path` again from disk, so the model must come from `from_pretrained`, not be built
    from a config in memory.
    """
    texts = stdlib_docstrings() if texts is None else texts
    # --8<-- [start:load]
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype="auto")  # on CPU: oneshot moves layers to the GPU
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    # --8<-- [end:load]

    # --8<-- [start:calibrate]
    dataset = calibration_dataset(tokenizer, texts[:num_samples], max_seq_length)
    # --8<-- [end:calibrate]

    # --8<-- [start:quantize]
    recipe = GPTQModifier(targets="Linear", scheme="W4A16", ignore=["lm_head"])
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
    model.save_pretrained(save_dir, save_compressed=True)  # int4 codes packed 8 per int32, plus scales
    tokenizer.save_pretrained(save_dir)
    # --8<-- [end:save]
    return save_dir


if __name__ == "__main__":
    out = quantize_gptq_w4a16(sys.argv[1], *sys.argv[2:3])
    _, new_tokens = reload_and_generate(out)
    print(f"saved to {out}; generated {len(new_tokens)} tokens after reload")
