"""Parameter counts equal what transformers builds, for every preset and for random small configs."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculators.errors import CalculatorError
from calculators.model.configs import load_spec, preset_spec
from calculators.model.families import READERS, SUPPORTED_MODEL_TYPES, model_spec
from calculators.model.params import count_parameters
from calculators.model.presets import PRESETS
from calculators.model.spec import (
    COMPONENTS,
    ROLES,
    FullAttention,
    MLAAttention,
    RecurrentMixer,
    SlidingAttention,
)

# ----------------------------------------------------------------------------------------------------
# Presets


@pytest.mark.parametrize("hf_id", list(PRESETS))
def test_preset_total_equals_transformers_meta_build(hf_id, reference):
    config = PRESETS[hf_id]
    assert count_parameters(model_spec(config)).total == reference.param_count(config)


@pytest.mark.parametrize("hf_id", list(PRESETS))
def test_preset_components_equal_transformers_parameter_names(hf_id, reference):
    config = PRESETS[hf_id]
    assert count_parameters(model_spec(config)).by_component == reference.params_by_component(config)


PUBLISHED_TOTALS = {
    "meta-llama/Llama-2-7b-hf": 6_738_415_616,
    "meta-llama/Llama-3.1-8B": 8_030_261_248,
    "meta-llama/Llama-3.2-1B": 1_235_814_400,
    "mistralai/Mistral-7B-v0.1": 7_241_732_096,
    "mistralai/Mixtral-8x7B-v0.1": 46_702_792_704,
    "Qwen/Qwen2.5-7B": 7_615_616_512,
    "Qwen/Qwen2.5-0.5B": 494_032_768,
    "Qwen/Qwen3-Next-80B-A3B-Instruct": 79_674_391_296,
    "openai-community/gpt2": 124_439_808,
}


@pytest.mark.parametrize("hf_id", list(PUBLISHED_TOTALS))
def test_preset_matches_published_total(hf_id):
    assert preset_spec(hf_id).total_params == PUBLISHED_TOTALS[hf_id]


def test_at_least_25_presets_cover_every_family():
    assert len(PRESETS) >= 25
    covered = {config.get("text_config", {}).get("model_type") or config["model_type"] for config in PRESETS.values()}
    assert set(READERS) <= covered


def test_deepseek_v3_total_excludes_the_mtp_layer_and_its_checkpoint_holds_685b():
    spec = preset_spec("deepseek-ai/DeepSeek-V3")
    counts = count_parameters(spec)
    assert counts.total == 671_026_404_352
    # the router's e_score_correction_bias is a buffer (58 MoE layers x 256 experts), not a parameter
    assert sum(group.total_numel for group in spec.buffers) == 58 * 256
    assert counts.total + 58 * 256 == 671_026_419_200
    # the MTP layer: a full MoE decoder layer, eh_proj and its own copies of embedding and output head
    assert counts.checkpoint_only == 13_463_426_304
    assert 684e9 < counts.checkpoint_total + 58 * 256 < 685e9
    assert any("multi-token-prediction" in str(note) for note in counts.notes)
    assert 37e9 < counts.active < 38e9  # "37B activated"


def test_moe_active_parameters_count_only_routed_experts_per_token():
    mixtral = count_parameters(preset_spec("mistralai/Mixtral-8x7B-v0.1"))
    expert = 3 * 4096 * 14336
    assert mixtral.total - mixtral.active == 32 * (8 - 2) * expert
    qwen = count_parameters(preset_spec("Qwen/Qwen3-30B-A3B"))
    assert 3.3e9 < qwen.active < 3.4e9
    assert qwen.active_by_component["experts"] == 48 * 8 * 3 * 2048 * 768


def test_tied_embeddings_are_counted_once():
    tied = preset_spec("meta-llama/Llama-3.2-1B")
    untied = model_spec({**PRESETS["meta-llama/Llama-3.2-1B"], "tie_word_embeddings": False})
    assert "lm_head" not in count_parameters(tied).by_component
    assert untied.total_params - tied.total_params == 128256 * 2048


def test_falcon_multi_query_has_one_kv_head_and_new_architecture_has_num_kv_heads():
    assert {m.num_kv_heads for m in preset_spec("tiiuae/falcon-7b").mixers} == {1}
    assert {m.num_kv_heads for m in preset_spec("tiiuae/falcon-40b").mixers} == {8}
    no_mqa = model_spec({**PRESETS["tiiuae/falcon-7b"], "multi_query": False})
    assert {m.num_kv_heads for m in no_mqa.mixers} == {71}


def test_gemma3_multimodal_counts_the_text_model_and_says_so():
    spec = preset_spec("google/gemma-3-4b-pt")
    assert spec.model_type == "gemma3"
    assert any("vision tower" in str(note) for note in spec.notes)
    # heads, KV heads, head_dim and vocabulary come from Gemma3TextConfig's defaults, and are noted
    assert any("vocab_size not given" in str(note) and "262208" in str(note) for note in spec.notes)


def test_layer_patterns_of_hybrid_and_sliding_models():
    gemma3 = preset_spec("google/gemma-3-1b-pt").mixers
    assert [i for i, m in enumerate(gemma3) if isinstance(m, FullAttention)] == [5, 11, 17, 23]
    assert {m.window for m in gemma3 if isinstance(m, SlidingAttention)} == {512}
    gemma2 = preset_spec("google/gemma-2-9b").mixers
    assert all(isinstance(m, SlidingAttention) == (i % 2 == 0) for i, m in enumerate(gemma2))
    qwen_next = preset_spec("Qwen/Qwen3-Next-80B-A3B-Instruct").mixers
    assert [i for i, m in enumerate(qwen_next) if isinstance(m, FullAttention)] == list(range(3, 48, 4))
    assert qwen_next[3].head_dim == 256 and qwen_next[3].num_kv_heads == 2
    jamba = preset_spec("ai21labs/Jamba-v0.1").mixers
    assert [i for i, m in enumerate(jamba) if isinstance(m, FullAttention)] == [4, 12, 20, 28]
    assert all(isinstance(m, RecurrentMixer) and m.kind == "mamba" for i, m in enumerate(jamba) if i % 8 != 4)
    assert all(isinstance(m, MLAAttention) for m in preset_spec("deepseek-ai/DeepSeek-V3").mixers)
    mistral = preset_spec("mistralai/Mistral-7B-v0.1").mixers
    assert {m.window for m in mistral} == {4096}
    assert all(isinstance(m, FullAttention) for m in preset_spec("mistralai/Mistral-7B-v0.3").mixers)


def test_explicit_head_dim_is_used_not_hidden_over_heads():
    assert preset_spec("Qwen/Qwen3-30B-A3B").mixers[0].head_dim == 128  # 2048 / 32 would be 64
    assert preset_spec("google/gemma-2-27b").mixers[0].head_dim == 128  # 4608 / 32 would be 144
    assert preset_spec("openai/gpt-oss-20b").mixers[0].head_dim == 64  # 2880 / 64 would be 45


def test_every_group_has_a_known_component_and_role_and_positive_shape():
    for hf_id in PRESETS:
        spec = preset_spec(hf_id)
        for group in (*spec.tensors, *spec.checkpoint_only, *spec.buffers):
            assert group.component in COMPONENTS and group.role in ROLES, group
            assert all(dim > 0 for dim in group.shape) and 0 < group.active_count <= group.count, group
            if group.role == "linear":
                assert len(group.shape) == 2, group
        assert len(spec.mixers) == spec.num_hidden_layers


def test_unknown_model_type_is_estimated_approximately_with_notes():
    config = {**PRESETS["meta-llama/Llama-3.1-8B"], "model_type": "my_new_llama"}
    spec = model_spec(config)
    assert spec.approximate and spec.total_params == 8_030_261_248
    assert any("not one of the supported families" in str(note) for note in spec.notes)
    counts = count_parameters(spec)
    assert counts.approximate and counts.to_dict()["approximate"] is True


def test_unknown_model_type_without_standard_fields_names_them():
    with pytest.raises(CalculatorError) as error:
        model_spec({"model_type": "mystery", "hidden_size": 64})
    assert error.value.field == "config.num_hidden_layers"
    assert "config.intermediate_size" in str(error.value) and "config.vocab_size" in str(error.value)


def test_family_defaults_that_change_the_size_are_noted():
    config = {key: value for key, value in PRESETS["mistralai/Mistral-7B-v0.1"].items() if key != "num_key_value_heads"}
    spec = model_spec(config)
    assert spec.mixers[0].num_kv_heads == 8
    assert any("num_key_value_heads not given" in str(note) for note in spec.notes)
    assert not preset_spec("meta-llama/Llama-3.1-8B").notes


def test_load_spec_labels_presets_and_is_case_insensitive():
    assert load_spec("meta-llama/llama-3.1-8b").source == "meta-llama/Llama-3.1-8B"
    assert load_spec(PRESETS["openai-community/gpt2"]).total_params == 124_439_808


def test_supported_model_types_include_the_issue_list():
    wanted = [
        *("llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "qwen3_next", "gemma"),
        *("gemma2", "gemma3", "gemma3_text", "phi3", "gpt2", "gpt_neox", "falcon", "bloom", "deepseek_v2"),
        *("deepseek_v3", "gpt_oss", "jamba", "olmo2", "granite"),
    ]
    assert set(wanted) <= set(SUPPORTED_MODEL_TYPES)


# ----------------------------------------------------------------------------------------------------
# Random small configs, every family: the count equals transformers' meta build


TOKENS = {"pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
EXAMPLES = int(os.environ.get("CALCULATORS_EXAMPLES", "10"))  # raise it for a deeper local run


@st.composite
def attention_dims(draw, explicit_head_dim=False, gqa=True):
    heads = draw(st.sampled_from([1, 2, 4, 8]))
    kv = draw(st.sampled_from([d for d in (1, 2, 4, 8) if heads % d == 0])) if gqa else heads
    head_dim = draw(st.sampled_from([2, 4, 8, 16]))
    dims = {
        "hidden_size": heads * head_dim * draw(st.sampled_from([1, 2])),
        "num_attention_heads": heads,
        "num_key_value_heads": kv,
        "num_hidden_layers": draw(st.integers(1, 5)),
        "vocab_size": draw(st.integers(8, 300)),
        "intermediate_size": draw(st.integers(1, 64)),
        "tie_word_embeddings": draw(st.booleans()),
        **TOKENS,
    }
    if explicit_head_dim and draw(st.booleans()):
        dims["head_dim"] = draw(st.sampled_from([4, 8, 24]))
    return dims


@st.composite
def moe_fields(draw, experts_key="num_experts", allow_zero=False):
    experts = draw(st.integers(0 if allow_zero else 1, 6))
    return {
        experts_key: experts,
        "num_experts_per_tok": draw(st.integers(1, max(1, experts))),
        "moe_intermediate_size": draw(st.integers(1, 32)),
    }


@st.composite
def sparse_layers(draw, layers):
    return {
        "decoder_sparse_step": draw(st.integers(1, 3)),
        "mlp_only_layers": draw(st.lists(st.integers(0, layers - 1), unique=True, max_size=layers)),
    }


@st.composite
def llama_like(draw, model_type):
    config = {"model_type": model_type, **draw(attention_dims(explicit_head_dim=True))}
    if model_type in ("llama", "granite"):
        config["attention_bias"] = draw(st.booleans())
        config["mlp_bias"] = draw(st.booleans())
    if model_type in ("olmo2", "qwen3", "gemma", "gemma2", "gemma3_text"):
        config["attention_bias"] = draw(st.booleans())
    if model_type in ("mistral", "mixtral", "phi3"):
        config["sliding_window"] = draw(st.one_of(st.none(), st.integers(2, 64)))
    if model_type == "mixtral":
        config.update(draw(moe_fields("num_local_experts")))
        config.pop("moe_intermediate_size")
    if model_type in ("gemma2", "gemma3_text"):
        config["sliding_window"] = draw(st.integers(2, 64))
    if model_type == "gemma3_text":
        config["sliding_window_pattern"] = draw(st.integers(1, 4))
    if model_type in ("qwen2", "qwen3"):
        config["use_sliding_window"] = draw(st.booleans())
        config["sliding_window"] = draw(st.integers(2, 64))
        config["max_window_layers"] = draw(st.integers(0, 5))
    if model_type in ("qwen2_moe", "qwen3_moe", "qwen3_next"):
        config.update(draw(moe_fields(allow_zero=True)))
        config.update(draw(sparse_layers(config["num_hidden_layers"])))
    if model_type == "qwen2_moe":
        config["qkv_bias"] = draw(st.booleans())
        config["shared_expert_intermediate_size"] = draw(st.integers(1, 32))
    if model_type == "qwen3_moe":
        config["attention_bias"] = draw(st.booleans())
    if model_type == "qwen3_next":
        k_heads = draw(st.sampled_from([1, 2, 4]))
        config.update(
            {
                "attention_bias": draw(st.booleans()),
                "shared_expert_intermediate_size": draw(st.integers(1, 32)),
                "linear_num_key_heads": k_heads,
                "linear_num_value_heads": k_heads * draw(st.sampled_from([1, 2])),
                "linear_key_head_dim": draw(st.sampled_from([2, 4, 8])),
                "linear_value_head_dim": draw(st.sampled_from([2, 4, 6])),
                "linear_conv_kernel_dim": draw(st.integers(2, 4)),
                "full_attention_interval": draw(st.integers(1, 3)),
            }
        )
    return config


@st.composite
def deepseek(draw, model_type):
    dims = draw(attention_dims(gqa=False))
    experts = draw(st.integers(1, 6))
    config = {
        "model_type": model_type,
        **dims,
        "kv_lora_rank": draw(st.integers(1, 16)),
        "q_lora_rank": draw(st.one_of(st.none(), st.integers(1, 16))),
        "qk_rope_head_dim": draw(st.sampled_from([2, 4, 8])),
        "qk_nope_head_dim": draw(st.integers(1, 8)),
        "v_head_dim": draw(st.integers(1, 8)),
        "n_routed_experts": experts,
        "n_shared_experts": draw(st.integers(0, 2)),
        "num_experts_per_tok": draw(st.integers(1, experts)),
        "moe_intermediate_size": draw(st.integers(1, 16)),
        "first_k_dense_replace": draw(st.integers(0, 3)),
        "attention_bias": draw(st.booleans()),
        "n_group": 1,
        "topk_group": 1,
    }
    if model_type == "deepseek_v2":
        config["mlp_bias"] = draw(st.booleans())
    else:
        config["num_nextn_predict_layers"] = draw(st.integers(0, 1))
    return config


@st.composite
def gpt_oss(draw):
    config = {"model_type": "gpt_oss", **draw(attention_dims(explicit_head_dim=True))}
    config.update(draw(moe_fields("num_local_experts")))
    config.pop("moe_intermediate_size")
    config["sliding_window"] = draw(st.integers(2, 64))
    config["attention_bias"] = draw(st.booleans())
    return config


@st.composite
def jamba(draw):
    config = {"model_type": "jamba", **draw(attention_dims()), "use_mamba_kernels": False}
    attn_period = draw(st.integers(1, 4))
    expert_period = draw(st.integers(1, 3))
    config.update(
        {
            "attn_layer_period": attn_period,
            "attn_layer_offset": draw(st.integers(0, attn_period - 1)),
            "expert_layer_period": expert_period,
            "expert_layer_offset": draw(st.integers(0, expert_period - 1)),
            "num_experts": draw(st.integers(1, 4)),
            "mamba_d_state": draw(st.integers(1, 8)),
            "mamba_d_conv": draw(st.integers(2, 4)),
            "mamba_expand": draw(st.integers(1, 2)),
            "mamba_dt_rank": draw(st.one_of(st.just("auto"), st.integers(1, 8))),
            "mamba_conv_bias": draw(st.booleans()),
            "mamba_proj_bias": draw(st.booleans()),
        }
    )
    config["num_experts_per_tok"] = draw(st.integers(1, config["num_experts"]))
    return config


@st.composite
def classic(draw, model_type):
    dims = draw(attention_dims(gqa=False))
    hidden, heads, layers = dims["hidden_size"], dims["num_attention_heads"], dims["num_hidden_layers"]
    config = {"model_type": model_type, "vocab_size": dims["vocab_size"], **TOKENS}
    config["tie_word_embeddings"] = dims["tie_word_embeddings"]
    if model_type == "gpt2":
        config.update(n_embd=hidden, n_head=heads, n_layer=layers, n_positions=draw(st.integers(1, 64)))
        config["n_inner"] = draw(st.one_of(st.none(), st.integers(1, 64)))
    elif model_type == "bloom":
        config.update(hidden_size=hidden, n_head=heads, n_layer=layers)
    elif model_type == "gpt_neox":
        config.update(dims, attention_bias=draw(st.booleans()))
    else:  # falcon
        new_architecture = draw(st.booleans())
        config.update(
            hidden_size=hidden,
            num_attention_heads=heads,
            num_hidden_layers=layers,
            new_decoder_architecture=new_architecture,
            multi_query=draw(st.booleans()),
            parallel_attn=draw(st.booleans()),
            bias=draw(st.booleans()),
            alibi=draw(st.booleans()),
            ffn_hidden_size=draw(st.one_of(st.none(), st.integers(1, 64))),
            num_ln_in_parallel_attn=draw(st.sampled_from([None, 1, 2])),
        )
        if new_architecture:
            config["num_kv_heads"] = draw(st.sampled_from([d for d in (1, 2, 4, 8) if heads % d == 0]))
    return config


FAMILY_CONFIGS = {
    **{
        t: llama_like(t)
        for t in (
            "llama",
            "granite",
            "mistral",
            "mixtral",
            "olmo2",
            "phi3",
            "qwen2",
            "qwen2_moe",
            "qwen3",
            "qwen3_moe",
            "qwen3_next",
            "gemma",
            "gemma2",
            "gemma3_text",
        )
    },
    "deepseek_v2": deepseek("deepseek_v2"),
    "deepseek_v3": deepseek("deepseek_v3"),
    "gpt_oss": gpt_oss(),
    "jamba": jamba(),
    **{t: classic(t) for t in ("gpt2", "gpt_neox", "falcon", "bloom")},
}


def test_every_reader_has_a_random_config_strategy():
    assert set(FAMILY_CONFIGS) == set(READERS)


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
@pytest.mark.parametrize("model_type", sorted(FAMILY_CONFIGS))
def test_random_small_config_count_equals_transformers(model_type, reference):
    @settings(max_examples=EXAMPLES)
    @given(FAMILY_CONFIGS[model_type])
    def check(config):
        spec = model_spec(config)
        counts = count_parameters(spec)
        assert counts.total == reference.param_count(config), config
        assert counts.by_component == reference.params_by_component(config), config
        assert counts.active <= counts.total
        assert sum(counts.by_component.values()) == counts.total

    check()
