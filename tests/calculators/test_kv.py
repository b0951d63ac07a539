"""KV-cache and recurrent-state sizes: equal to transformers' real caches, and to hand-worked figures."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calculators.errors import CalculatorError
from calculators.memory.kv import kv_cache
from calculators.model.configs import preset_spec
from calculators.model.dtypes import KV_DTYPES
from calculators.model.families import model_spec
from calculators.model.spec import cached_tokens, per_rank_kv_heads

GiB = 1 << 30
TOKENS = {"pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
SMALL = {
    "hidden_size": 64,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "intermediate_size": 48,
    "vocab_size": 128,
    "tie_word_embeddings": False,
    **TOKENS,
}
MOE = {"num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16}

# Tiny models whose real caches are measured: (config, what the case protects)
TINY = {
    "llama_gqa": {"model_type": "llama", **SMALL},
    "qwen3_explicit_head_dim": {"model_type": "qwen3", **SMALL, "head_dim": 24},
    "mistral_sliding_window": {"model_type": "mistral", **SMALL, "sliding_window": 5},
    "gemma2_alternating_sliding": {"model_type": "gemma2", **SMALL, "head_dim": 12, "sliding_window": 4},
    "gemma3_sliding_pattern": {
        "model_type": "gemma3_text",
        **SMALL,
        "head_dim": 8,
        "sliding_window": 6,
        "sliding_window_pattern": 3,
    },
    "qwen2_sliding_upper_layers": {
        "model_type": "qwen2",
        **SMALL,
        "use_sliding_window": True,
        "sliding_window": 3,
        "max_window_layers": 2,
    },
    "phi3_sliding_window": {"model_type": "phi3", **SMALL, "sliding_window": 7},
    "gpt_oss_sinks_sliding": {
        "model_type": "gpt_oss",
        **SMALL,
        "head_dim": 16,
        "sliding_window": 4,
        "num_local_experts": 4,
        "num_experts_per_tok": 2,
    },
    "mixtral_moe": {"model_type": "mixtral", **SMALL, "num_local_experts": 4, "num_experts_per_tok": 2},
    "qwen2_moe_shared_expert": {"model_type": "qwen2_moe", **SMALL, **MOE, "shared_expert_intermediate_size": 16},
    "qwen3_moe": {"model_type": "qwen3_moe", **SMALL, **MOE, "head_dim": 20},
    "olmo2": {"model_type": "olmo2", **SMALL},
    "granite": {"model_type": "granite", **SMALL},
    "gemma": {"model_type": "gemma", **SMALL, "head_dim": 16},
    "gpt2": {"model_type": "gpt2", "n_embd": 64, "n_layer": 3, "n_head": 4, "vocab_size": 128, **TOKENS},
    "bloom": {"model_type": "bloom", "hidden_size": 64, "n_layer": 3, "n_head": 4, "vocab_size": 128, **TOKENS},
    "gpt_neox": {"model_type": "gpt_neox", **{k: v for k, v in SMALL.items() if k != "num_key_value_heads"}},
    "falcon_multi_query": {
        "model_type": "falcon",
        "hidden_size": 64,
        "num_hidden_layers": 3,
        "num_attention_heads": 4,
        "vocab_size": 128,
        "multi_query": True,
        **TOKENS,
    },
    "deepseek_v3_mla": {
        "model_type": "deepseek_v3",
        **SMALL,
        "num_key_value_heads": 4,
        "kv_lora_rank": 24,
        "q_lora_rank": 16,
        "qk_rope_head_dim": 8,
        "qk_nope_head_dim": 12,
        "v_head_dim": 10,
        "n_routed_experts": 4,
        "num_experts_per_tok": 2,
        "moe_intermediate_size": 16,
        "first_k_dense_replace": 1,
        "n_group": 1,
        "topk_group": 1,
    },
    "deepseek_v2_mla_no_q_lora": {
        "model_type": "deepseek_v2",
        **SMALL,
        "num_key_value_heads": 4,
        "kv_lora_rank": 16,
        "q_lora_rank": None,
        "qk_rope_head_dim": 4,
        "qk_nope_head_dim": 8,
        "v_head_dim": 6,
        "n_routed_experts": 4,
        "num_experts_per_tok": 2,
        "moe_intermediate_size": 16,
        "first_k_dense_replace": 1,
    },
    "qwen3_next_gated_deltanet": {
        "model_type": "qwen3_next",
        **SMALL,
        "head_dim": 16,
        **MOE,
        "shared_expert_intermediate_size": 16,
        "linear_num_key_heads": 2,
        "linear_num_value_heads": 4,
        "linear_key_head_dim": 8,
        "linear_value_head_dim": 12,
        "linear_conv_kernel_dim": 3,
        "full_attention_interval": 2,
    },
    "jamba_mamba": {
        "model_type": "jamba",
        **SMALL,
        "attn_layer_period": 2,
        "attn_layer_offset": 1,
        "num_experts": 4,
        "num_experts_per_tok": 2,
        "mamba_d_state": 6,
        "mamba_d_conv": 3,
        "use_mamba_kernels": False,
    },
}
BATCH, PROMPT, NEW_TOKENS = 2, 9, 4


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", list(TINY))
def test_kv_bytes_equal_the_real_cache_after_prefill_and_after_generate(case, reference):
    config = TINY[case]
    spec = model_spec(config)
    model = reference.tiny_model(config, "bfloat16")
    prefill, generated = reference.prefill_and_generate(model, config["vocab_size"], BATCH, PROMPT, NEW_TOKENS)
    # generate() feeds back all but the last new token: the cache then holds PROMPT + NEW_TOKENS - 1 tokens
    for cache, seq_len in ((prefill, PROMPT), (generated, PROMPT + NEW_TOKENS - 1)):
        real_kv, real_recurrent = reference.cache_bytes(cache)
        ours = kv_cache(
            spec, seq_len=seq_len, batch=BATCH, kv_dtype="bf16", conv_state_dtype="bf16", ssm_state_dtype="fp32"
        )
        assert (ours.kv_cache_bytes, ours.recurrent_state_bytes) == (real_kv, real_recurrent), seq_len
        assert ours.kv_cache_bytes > 0


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_sliding_window_layers_keep_window_minus_one_tokens(reference):
    config = TINY["gemma2_alternating_sliding"]
    model = reference.tiny_model(config)
    cache, _ = reference.prefill_and_generate(model, config["vocab_size"], 1, PROMPT, 1)
    kept = [layer.keys.shape[-2] for layer in cache.layers]
    assert kept == [3, PROMPT, 3, PROMPT]  # window 4: sliding layers (even) keep 3 tokens
    assert cached_tokens(PROMPT, 4, None) == 3


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_mla_cache_is_the_latent_and_decompressed_option_matches_expand_kv(reference):
    config = TINY["deepseek_v3_mla"]
    spec = model_spec(config)
    model = reference.tiny_model(config)
    cache, _ = reference.prefill_and_generate(model, config["vocab_size"], BATCH, PROMPT, 1)
    layer = cache.layers[0]
    # transformers 5.x caches the normalized latent as "keys" and the rotary key as "values", one head
    assert tuple(layer.keys.shape) == (BATCH, 1, PROMPT, 24)
    assert tuple(layer.values.shape) == (BATCH, 1, PROMPT, 8)
    decompressed = 0
    for index, cache_layer in enumerate(cache.layers):
        keys, values = model.model.layers[index].self_attn.expand_kv(cache_layer.keys, cache_layer.values)
        decompressed += keys.nbytes + values.nbytes
    ours = kv_cache(spec, seq_len=PROMPT, batch=BATCH, mla_decompressed=True)
    assert ours.kv_cache_bytes == decompressed


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_falcon_new_architecture_transformers_broadcasts_kv_to_all_heads(reference):
    config = {**TINY["falcon_multi_query"], "new_decoder_architecture": True, "num_kv_heads": 2}
    spec = model_spec(config)
    model = reference.tiny_model(config)
    cache, _ = reference.prefill_and_generate(model, config["vocab_size"], BATCH, PROMPT, 1)
    real_kv, _ = reference.cache_bytes(cache)
    ours = kv_cache(spec, seq_len=PROMPT, batch=BATCH)
    assert real_kv == ours.kv_cache_bytes * 4 // 2  # transformers stores 4 heads, the model has 2 KV heads
    assert any("num_kv_heads" in str(note) for note in ours.notes)


# ----------------------------------------------------------------------------------------------------
# Hand-worked figures for well-known models


def test_llama_31_8b_at_8k_tokens_is_exactly_one_gib():
    kv = kv_cache(preset_spec("meta-llama/Llama-3.1-8B"), seq_len=8192)
    assert kv.kv_cache_bytes == 32 * 2 * 8 * 128 * 2 * 8192 == GiB


def test_gqa_uses_kv_heads_not_attention_heads():
    kv = kv_cache(preset_spec("meta-llama/Llama-3.1-70B"), seq_len=1)
    assert kv.kv_cache_bytes == 80 * 2 * 8 * 128 * 2  # 327,680 bytes per token, not 8x that


def test_explicit_head_dim_and_sliding_layers_of_gemma2_27b():
    kv = kv_cache(preset_spec("google/gemma-2-27b"), seq_len=8192)
    per_token = 2 * 16 * 128 * 2  # K and V, 16 KV heads, head_dim 128 (not 4608 / 32 = 144)
    assert kv.kv_cache_bytes == 23 * per_token * 8192 + 23 * per_token * 4095


def test_mla_latent_cache_of_deepseek_v3():
    spec = preset_spec("deepseek-ai/DeepSeek-V3")
    kv = kv_cache(spec, seq_len=1)
    assert kv.kv_cache_bytes == 61 * (512 + 64) * 2 == 70_272  # no factor 2 for K and V
    decompressed = kv_cache(spec, seq_len=1, mla_decompressed=True).kv_cache_bytes
    assert decompressed == 61 * 128 * ((128 + 64) + 128) * 2
    assert 25 < decompressed / kv.kv_cache_bytes < 85
    tp8 = kv_cache(spec, seq_len=1000, tp=8)
    assert tp8.per_gpu_kv_cache_bytes == tp8.kv_cache_bytes  # the latent is replicated on every rank
    assert kv_cache(spec, seq_len=1, tp=8, mla_decompressed=True).per_gpu_kv_cache_bytes == decompressed // 8


def test_sliding_window_caps_mistral_and_gemma3():
    mistral = kv_cache(preset_spec("mistralai/Mistral-7B-v0.1"), seq_len=32768)
    assert mistral.kv_cache_bytes == 32 * 2 * 8 * 128 * 2 * 4095
    gemma3 = kv_cache(preset_spec("google/gemma-3-1b-pt"), seq_len=32768)
    per_token = 2 * 1 * 256 * 2
    assert gemma3.by_kind["sliding_attention"]["layers"] == 22
    assert gemma3.kv_cache_bytes == 22 * per_token * 511 + 4 * per_token * 32768
    gpt_oss = kv_cache(preset_spec("openai/gpt-oss-20b"), seq_len=100_000)
    assert gpt_oss.kv_cache_bytes == 12 * 2 * 8 * 64 * 2 * (127 + 100_000)


def test_hybrid_models_report_recurrent_state_apart():
    qwen_next = kv_cache(preset_spec("Qwen/Qwen3-Next-80B-A3B-Instruct"), seq_len=4096, batch=3)
    assert qwen_next.kv_cache_bytes == 12 * 2 * 2 * 256 * 2 * 4096 * 3
    conv = (2 * 16 * 128 + 32 * 128) * 4 * 2  # q, k, v channels x kernel 4, bf16
    ssm = 32 * 128 * 128 * 4  # value heads x key dim x value dim, fp32
    assert qwen_next.recurrent_state_bytes == 36 * (conv + ssm) * 3
    assert qwen_next.by_kind["gated_deltanet"]["layers"] == 36
    jamba = kv_cache(preset_spec("ai21labs/Jamba-v0.1"), seq_len=1)
    assert jamba.recurrent_state_bytes == 28 * (8192 * 4 * 2 + 8192 * 16 * 4)
    assert jamba.kv_cache_bytes == 4 * 2 * 8 * 128 * 2
    vllm_like = kv_cache(preset_spec("ai21labs/Jamba-v0.1"), seq_len=1, ssm_state_dtype="bf16")
    assert vllm_like.recurrent_state_bytes == 28 * (8192 * 4 + 8192 * 16) * 2


def test_recurrent_state_does_not_grow_with_sequence_length():
    spec = preset_spec("Qwen/Qwen3-Next-80B-A3B-Instruct")
    assert kv_cache(spec, seq_len=10).recurrent_state_bytes == kv_cache(spec, seq_len=100_000).recurrent_state_bytes


# ----------------------------------------------------------------------------------------------------
# Tensor parallelism


def test_tp_splits_kv_heads_then_replicates_them():
    spec = preset_spec("meta-llama/Llama-3.1-70B")  # 64 heads, 8 KV heads
    total = kv_cache(spec, seq_len=4096).kv_cache_bytes
    for tp, per_gpu in ((1, total), (2, total // 2), (4, total // 4), (8, total // 8), (16, total // 8)):
        assert kv_cache(spec, seq_len=4096, tp=tp).per_gpu_kv_cache_bytes == per_gpu
    qwen = preset_spec("Qwen/Qwen2.5-7B")  # 28 heads, 4 KV heads: tp 4 -> 1 head per rank
    assert per_rank_kv_heads(28, 4, 4) == 1
    assert kv_cache(qwen, seq_len=1, tp=4).per_gpu_kv_cache_bytes * 4 == kv_cache(qwen, seq_len=1).kv_cache_bytes
    assert per_rank_kv_heads(64, 8, 32) == 1
    assert per_rank_kv_heads(128, 1, 8) == 1


@pytest.mark.parametrize(
    ("hf_id", "tp", "reason"),
    [
        ("meta-llama/Llama-3.1-70B", 3, "attention heads (64)"),
        ("microsoft/Phi-3-medium-4k-instruct", 4, "KV heads (10)"),
        ("tiiuae/falcon-7b", 2, "attention heads (71)"),
        ("Qwen/Qwen3-Next-80B-A3B-Instruct", 32, "gated_deltanet heads/channels (16)"),
    ],
)
def test_tp_that_vllm_refuses_is_an_error(hf_id, tp, reason):
    with pytest.raises(CalculatorError) as error:
        kv_cache(preset_spec(hf_id), seq_len=1, tp=tp)
    assert error.value.field == "tp" and reason in str(error.value)


def test_recurrent_state_splits_across_ranks():
    spec = preset_spec("Qwen/Qwen3-Next-80B-A3B-Instruct")
    one, four = kv_cache(spec, seq_len=1), kv_cache(spec, seq_len=1, tp=4)
    assert four.per_gpu_recurrent_state_bytes * 4 == one.recurrent_state_bytes
    assert four.per_gpu_kv_cache_bytes * 2 == one.kv_cache_bytes  # 2 KV heads: replicated beyond tp 2


# ----------------------------------------------------------------------------------------------------
# Cache dtypes and their scales


def test_dtype_widths_and_per_token_scales():
    spec = preset_spec("meta-llama/Llama-3.1-8B")  # head_dim 128, 8 KV heads, 32 layers
    heads_layers = 8 * 32

    def per_token(dtype):
        return kv_cache(spec, seq_len=1, kv_dtype=dtype).kv_cache_bytes

    assert per_token("bf16") == per_token("fp16") == per_token("bfloat16") == heads_layers * 2 * 256
    assert per_token("fp32") == 2 * per_token("bf16")
    assert per_token("fp8") == per_token("fp8_e4m3") == per_token("fp8_e5m2") == heads_layers * 2 * 128
    assert per_token("fp8_per_token_head") == per_token("int8") == heads_layers * 2 * (128 + 4)
    assert per_token("int4") == heads_layers * 2 * (64 + 4)
    assert per_token("nvfp4") == heads_layers * 2 * (64 + 8)
    int8 = kv_cache(spec, seq_len=1, kv_dtype="int8")
    assert int8.scale_granularity == "per-token-head" and int8.to_dict()["scale_granularity"] == "per-token-head"
    assert kv_cache(spec, seq_len=1, kv_dtype="fp8").scale_granularity == "per-tensor"
    mla = kv_cache(preset_spec("deepseek-ai/DeepSeek-V3"), seq_len=1, kv_dtype="int8")
    assert mla.kv_cache_bytes == 61 * (576 + 4)  # one latent vector per token: one scale


def test_odd_head_dim_int4_rounds_up_to_whole_bytes():
    spec = model_spec({"model_type": "llama", **SMALL, "head_dim": 5})
    assert kv_cache(spec, seq_len=1, kv_dtype="int4").kv_cache_bytes == 4 * 2 * 2 * (3 + 4)


# ----------------------------------------------------------------------------------------------------
# Paged allocation


def test_paged_full_attention_rounds_up_to_whole_blocks():
    spec = preset_spec("meta-llama/Llama-3.1-8B")
    per_token = kv_cache(spec, seq_len=1).kv_cache_bytes
    assert kv_cache(spec, seq_len=1000, block_size=16).kv_cache_bytes == 1008 * per_token
    assert kv_cache(spec, seq_len=1024, block_size=16).kv_cache_bytes == 1024 * per_token
    assert kv_cache(spec, seq_len=1000).kv_cache_bytes == 1000 * per_token


@given(seq_len=st.integers(1, 400), window=st.integers(2, 100), block=st.integers(1, 40))
def test_paged_sliding_window_keeps_the_blocks_holding_the_last_window_minus_one_tokens(seq_len, window, block):
    needed = range(max(0, seq_len - (window - 1)), seq_len)  # positions the next token attends to
    blocks = {position // block for position in needed}
    assert cached_tokens(seq_len, window, block) == len(blocks) * block
    assert cached_tokens(seq_len, window, block) <= (-(-(window - 1) // block) + 1) * block


def test_batch_scales_linearly_and_result_is_json_ready():
    spec = preset_spec("Qwen/Qwen3-Next-80B-A3B-Instruct")
    one = kv_cache(spec, seq_len=777, block_size=16, tp=2)
    five = kv_cache(spec, seq_len=777, block_size=16, tp=2, batch=5)
    assert five.kv_cache_bytes == 5 * one.kv_cache_bytes
    assert five.recurrent_state_bytes == 5 * one.recurrent_state_bytes
    data = json.loads(json.dumps(five.to_dict()))
    for key in ("kv_cache_bytes", "per_gpu_kv_cache_bytes", "recurrent_state_bytes", "per_gpu_bytes"):
        assert isinstance(data[key], int) and data[key] >= 0
    assert sum(kind["kv_cache_bytes"] for kind in data["by_kind"].values()) == data["kv_cache_bytes"]
    assert five.per_gpu_bytes == five.per_gpu_kv_cache_bytes + five.per_gpu_recurrent_state_bytes


def test_every_preset_and_dtype_gives_non_negative_integers():
    from calculators.model.presets import PRESETS

    for hf_id in PRESETS:
        for dtype in KV_DTYPES:
            kv = kv_cache(preset_spec(hf_id), seq_len=5000, batch=2, kv_dtype=dtype, block_size=16)
            assert kv.kv_cache_bytes > 0 and kv.per_gpu_kv_cache_bytes > 0 and kv.recurrent_state_bytes >= 0


def test_bytes_per_token_is_the_whole_model_and_times_tokens_gives_the_total():
    # Llama-3.1-8B: 32 layers x 8 KV heads x 128 x 2 (K and V) x 2 bytes = 131,072 bytes per token in bf16
    for dtype, per_token in (("bf16", 131_072), ("fp8", 65_536)):
        result = kv_cache(preset_spec("meta-llama/Llama-3.1-8B"), seq_len=32768, batch=8, kv_dtype=dtype)
        assert result.bytes_per_token == per_token == result.to_dict()["bytes_per_token"]
        assert result.kv_cache_bytes == per_token * 32768 * 8
