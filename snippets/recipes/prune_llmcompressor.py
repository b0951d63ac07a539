"""Pruning to 50% sparsity with llm-compressor: SparseGPT and Wanda, unstructured or 2:4.

Both prune one layer at a time from calibration activations: Wanda keeps the weights with the largest |W| * ||x||,
SparseGPT also updates the kept weights to compensate (the GPTQ machinery, with a mask). `mask_structure="2:4"`
keeps 2 of every 4 consecutive input weights, the pattern NVIDIA's sparse tensor cores accelerate.

What you get on disk: a dense checkpoint whose pruned weights are zeros. llm-compressor stopped writing compressed
2:4 checkpoints in 0.11 (llm-compressor PR #2452) after vLLM dropped its 2:4 sparse kernels (vLLM PR #36799; since
v0.19.1 such models raise "Sparse24 models are no longer supported by vLLM"). So the file is as large as the
original and runs at the same speed; the zeros are a starting point for research or further compression.

    python -m snippets.recipes.prune_llmcompressor MODEL_DIR_OR_ID [SAVE_DIR]
"""

import sys

import torch
from llmcompressor import oneshot
from llmcompressor.modifiers.pruning import SparseGPTModifier, WandaPruningModifier
from transformers import AutoModelForCausalLM, AutoTokenizer

from snippets.recipes.common import calibration_dataset, reload_and_generate, stdlib_docstrings

PIP_INSTALL = """
# --8<-- [start:install]
pip install "llmcompressor==0.14.0.1"
# --8<-- [end:install]
"""
SAVE_DIR = "out/llama-sparsegpt-2of4"


# --8<-- [start:recipes]
def sparsegpt_recipe(sparsity: float = 0.5, mask_structure: str = "2:4") -> SparseGPTModifier:
    """SparseGPT; `mask_structure="0:0"` means unstructured."""
    # `ignore` needs the regex form here: with targets=["Linear"], a plain "lm_head" does not match (0.14.0.1).
    return SparseGPTModifier(
        sparsity=sparsity, mask_structure=mask_structure, targets=["Linear"], ignore=["re:.*lm_head"]
    )


def wanda_recipe(sparsity: float = 0.5, mask_structure: str = "0:0") -> WandaPruningModifier:
    """Wanda; `mask_structure="2:4"` for the semi-structured pattern."""
    return WandaPruningModifier(
        sparsity=sparsity, mask_structure=mask_structure, targets=["Linear"], ignore=["re:.*lm_head"]
    )
# --8<-- [end:recipes]


def prune(model_dir, save_dir=SAVE_DIR, recipe=None, texts=None, num_samples: int = 512, max_seq_length: int = 2048):
    """Prune the model in `model_dir` with `recipe` (default: SparseGPT 2:4) and save it; returns save_dir."""
    recipe = sparsegpt_recipe() if recipe is None else recipe
    texts = stdlib_docstrings() if texts is None else texts
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype="auto")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    # --8<-- [start:prune]
    dataset = calibration_dataset(tokenizer, texts[:num_samples], max_seq_length)
    oneshot(
        model=model,
        tokenizer=tokenizer,
        dataset=dataset,
        recipe=recipe,
        max_seq_length=max_seq_length,
        num_calibration_samples=len(dataset),
    )
    model.save_pretrained(save_dir)  # dense safetensors; no quantization_config
    tokenizer.save_pretrained(save_dir)
    # --8<-- [end:prune]
    return save_dir


# --8<-- [start:check]
def linear_sparsity(model) -> dict[str, float]:
    """Fraction of exactly-zero weights in each Linear layer, by module name."""
    return {
        name: (module.weight == 0).float().mean().item()
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
    }


def follows_n_m(weight: torch.Tensor, n: int = 2, m: int = 4) -> bool:
    """True if every run of m consecutive input weights (a row, in groups of m) has at most n non-zeros."""
    groups = weight.reshape(weight.shape[0], -1, m)
    return bool(((groups != 0).sum(dim=-1) <= n).all())
# --8<-- [end:check]


if __name__ == "__main__":
    out = prune(sys.argv[1], *sys.argv[2:3])
    model, new_tokens = reload_and_generate(out)
    sparsities = [s for name, s in linear_sparsity(model).items() if not name.endswith("lm_head")]
    print(f"saved to {out}; mean sparsity {sum(sparsities) / len(sparsities):.3f}; generated {len(new_tokens)} tokens")
