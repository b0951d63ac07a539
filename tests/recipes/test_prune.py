"""Pruning recipes: SparseGPT and Wanda, unstructured and 2:4, on CPU; SparseGPT 2:4 at real size on GPU."""

import pytest
import torch
from llmcompressor.modifiers.pruning import WandaPruningModifier

from snippets.recipes.common import generate_tokens, load_checkpoint
from snippets.recipes.prune_llmcompressor import follows_n_m, linear_sparsity, prune, sparsegpt_recipe, wanda_recipe
from tests.recipes.checkpoints import quantization_config
from tests.recipes.conftest import measure_cuda, measure_load_and_generate, requires_cuda

RECIPES = {"sparsegpt": sparsegpt_recipe, "wanda": wanda_recipe}
CASES = [("sparsegpt", "0:0"), ("sparsegpt", "2:4"), ("wanda", "0:0"), ("wanda", "2:4")]


@pytest.fixture(scope="module", params=CASES, ids=[f"{m}-{s.replace(':', 'of')}" for m, s in CASES])
def pruned(request, tiny_llama_dir, calibration_texts, tmp_path_factory):
    method, mask_structure = request.param
    save_dir = tmp_path_factory.mktemp("pruned") / f"{method}-{mask_structure.replace(':', 'of')}"
    prune(tiny_llama_dir, save_dir, RECIPES[method](0.5, mask_structure), calibration_texts, num_samples=8,
          max_seq_length=64)
    model, tokenizer = load_checkpoint(save_dir)
    return mask_structure, save_dir, model, tokenizer


def test_every_pruned_linear_reaches_half_sparsity_after_reload(pruned):
    mask_structure, _, model, _ = pruned
    sparsity = linear_sparsity(model)
    pruned_layers = {name: s for name, s in sparsity.items() if name != "lm_head"}
    assert len(pruned_layers) == 14  # 7 Linear layers in each of the 2 decoder layers
    for name, fraction in pruned_layers.items():
        assert fraction == pytest.approx(0.5, abs=0.01 if mask_structure == "0:0" else 1e-9), name


def test_lm_head_is_left_dense(pruned):
    _, _, model, _ = pruned
    assert linear_sparsity(model)["lm_head"] < 0.01


def test_semi_structured_masks_keep_two_of_every_four(pruned):
    mask_structure, _, model, _ = pruned
    weights = [m.weight for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and n != "lm_head"]
    if mask_structure == "2:4":
        assert all(follows_n_m(w, 2, 4) for w in weights)
    else:  # unstructured: the same 50%, but not in a 2:4 pattern
        assert not all(follows_n_m(w, 2, 4) for w in weights)


def test_checkpoint_is_plain_dense_and_generates(pruned):
    _, save_dir, model, tokenizer = pruned
    assert quantization_config(save_dir) is None  # no sparse compression format: zeros stored densely
    assert len(generate_tokens(model, tokenizer)) >= 1


def test_plain_lm_head_name_does_not_exclude_it(tiny_llama_dir, calibration_texts, tmp_path):
    """Why the recipes write ignore=["re:.*lm_head"]: in llmcompressor 0.14.0.1, with targets=["Linear"], the
    pruning modifiers match `ignore` against names like "lm_head." and a plain "lm_head" prunes the head anyway."""
    recipe = WandaPruningModifier(sparsity=0.5, targets=["Linear"], ignore=["lm_head"])
    save_dir = prune(tiny_llama_dir, tmp_path / "wanda", recipe, calibration_texts, num_samples=4, max_seq_length=32)
    model, _ = load_checkpoint(save_dir)
    assert linear_sparsity(model)["lm_head"] == pytest.approx(0.5, abs=0.01)


def test_follows_n_m_reads_groups_along_the_input_dimension():
    two_of_four = torch.tensor([[1.0, 0.0, 2.0, 0.0, 0.0, 3.0, 0.0, 4.0]])
    assert follows_n_m(two_of_four, 2, 4)
    assert not follows_n_m(torch.tensor([[1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0]]), 2, 4)  # 50%, but 3 in a group


@pytest.mark.gpu
@requires_cuda
def test_sparsegpt_2of4_real_size_on_gpu(llama_1b_dir, calibration_texts, tmp_path):
    save_dir, prune_s, prune_peak_gib = measure_cuda(
        lambda: prune(llama_1b_dir, tmp_path / "sparsegpt-2of4", sparsegpt_recipe(0.5, "2:4"), calibration_texts,
                      num_samples=64, max_seq_length=512)
    )
    result = measure_load_and_generate("sparsegpt-2of4", save_dir, prune_s=round(prune_s, 1),
                                       prune_peak_gib=round(prune_peak_gib, 3))
    assert result["new_tokens"] >= 1
    model, _ = load_checkpoint(save_dir)
    layer = model.model.layers[0].mlp.down_proj.weight
    assert follows_n_m(layer, 2, 4) and (layer == 0).float().mean().item() == pytest.approx(0.5)
