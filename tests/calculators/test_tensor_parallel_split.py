"""Each tensor group says how tensor parallelism places it (``TensorGroup.split``, set by the family reader), and
the per-GPU weights follow those labels, as vLLM's parallel layers place the tensors; nothing guesses from names."""

import re
from pathlib import Path

import pytest

from calculators.model.configs import preset_config
from calculators.model.families import model_spec
from calculators.model.presets import PRESETS
from calculators.model.spec import SPLITS, TensorGroup
from calculators.plan.deployment import deployment
from calculators.plan.engines.memory import weights_on_gpu

ENGINE = Path(__file__).resolve().parents[2] / "calculators" / "plan" / "engines" / "memory.py"


def splits(model: str) -> dict[str, str]:
    spec = model_spec(preset_config(model))
    return {group.name: group.split for group in [*spec.tensors, *spec.buffers]}


def test_a_group_without_a_known_split_is_refused():
    with pytest.raises(TypeError):
        TensorGroup("mlp", "linear", (4, 4), 1, 1, "up_proj")
    with pytest.raises(ValueError, match="split"):
        TensorGroup("mlp", "linear", (4, 4), 1, 1, "up_proj", split="sideways")


@pytest.mark.parametrize("model", sorted(PRESETS))
def test_every_preset_labels_every_tensor(model):
    spec = model_spec(preset_config(model))
    groups = [*spec.tensors, *spec.buffers, *spec.checkpoint_only]
    assert all(group.split in SPLITS for group in groups)
    assert all(group.split == "replicated" for group in groups if group.role == "norm")
    weights = {group.name: group.split for group in groups if group.role == "linear"}
    for group in groups:  # the bias of a row-parallel layer is whole on every rank; any other follows its weight
        if group.role == "bias" and group.name.removesuffix(".bias") in weights:
            weight = weights[group.name.removesuffix(".bias")]
            assert group.split == ("replicated" if weight == "row" else weight), group.name


def test_llama_is_placed_as_vllm_places_it():
    """vLLM's llama.py: QKVParallelLinear (k/v by KV heads), RowParallelLinear o_proj and down_proj,
    MergedColumnParallelLinear gate/up, VocabParallelEmbedding and ParallelLMHead, RMSNorm whole."""
    assert splits("meta-llama/Llama-3.1-8B") == {
        "embed_tokens": "vocab", "q_proj": "column", "k_proj": "kv_heads", "v_proj": "kv_heads", "o_proj": "row",
        "gate_proj": "column", "up_proj": "column", "down_proj": "row", "input_layernorm": "replicated",
        "post_attention_layernorm": "replicated", "norm": "replicated", "lm_head": "vocab",
    }


def test_deepseek_v3_keeps_the_latent_down_projections_and_the_router_whole():
    """vLLM's deepseek_v2.py: q_a_proj and kv_a_proj_with_mqa are ReplicatedLinear; the router (gate) and its
    e_score_correction_bias are whole on every rank; kv_b_proj is column-parallel, o_proj row-parallel."""
    placed = splits("deepseek-ai/DeepSeek-V3")
    assert {name: placed[name] for name in ("q_a_proj", "kv_a_proj_with_mqa", "router", "e_score_correction_bias",
                                            "q_b_proj", "kv_b_proj", "o_proj", "experts.gate_up_proj",
                                            "experts.down_proj")} == {
        "q_a_proj": "replicated", "kv_a_proj_with_mqa": "replicated", "router": "replicated",
        "e_score_correction_bias": "replicated", "q_b_proj": "column", "kv_b_proj": "column", "o_proj": "row",
        "experts.gate_up_proj": "column", "experts.down_proj": "row",
    }


def test_gpt2_keeps_row_parallel_biases_and_learned_positions_whole():
    """Bug fixed with the labels: the biases of GPT-2's row-parallel c_proj layers and its learned position table
    (a plain nn.Embedding in vLLM's GPT-style models) were divided by the GPU count; they are whole on each GPU."""
    config = preset_config("openai-community/gpt2")
    spec = model_spec(config)
    hidden, layers, positions = spec.hidden_size, spec.num_hidden_layers, config["n_positions"]
    d1 = deployment(spec, weights="bf16", gpu="H100", count=1, engine="transformers")
    d2 = deployment(spec, weights="bf16", gpu="H100", count=2, engine="transformers")
    whole = 2 * (positions * hidden + 2 * layers * hidden  # wpe, the c_proj biases of attention and MLP
                 + (4 * layers + 2) * hidden)  # ln_1, ln_2 (weight and bias) and ln_f
    total = weights_on_gpu(d1, vllm_layout=False).total
    assert weights_on_gpu(d2, vllm_layout=False).total == (total - whole) // 2 + whole


def test_the_engine_reads_the_labels_not_the_names():
    code = ENGINE.read_text(encoding="utf-8")
    assert not re.search(r"\.name\.(startswith|endswith)\(|\.name\.split\(", code)
