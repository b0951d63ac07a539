"""The KV-cache chapter's first-principles sizes against the calculators package (which reads the presets'
config.json fields itself): every model of the page, several lengths, batch sizes, dtypes, paging and
tensor-parallel degrees; plus the config fields the snippet copied, and the formula's special cases."""

import pytest

from calculators.errors import CalculatorError
from calculators.memory.kv import kv_cache
from calculators.model.configs import preset_config, preset_spec

LENGTHS = [1, 15, 16, 17, 1_000, 1_023, 1_024, 1_025, 4_095, 4_096, 4_097, 8_192, 32_768, 131_072]
DTYPE_BYTES = {"bf16": 2, "fp8": 1}  # fp8: vLLM's default per-tensor scales live outside the per-token cache


@pytest.fixture(scope="module")
def specs(kv):
    return {name: preset_spec(name) for name in kv.MODELS}


def test_every_model_is_a_preset(kv):
    from calculators.model.presets import PRESETS

    assert set(kv.MODELS) <= set(PRESETS)


@pytest.mark.parametrize("dtype", sorted(DTYPE_BYTES))
@pytest.mark.parametrize("block_size", [None, 16])
def test_sizes_match_the_calculators(kv, specs, dtype, block_size):
    for name, kinds in kv.MODELS.items():
        for seq_len in LENGTHS:
            for batch in (1, 3):
                mine = kv.kv_cache_bytes(kinds, seq_len, batch, DTYPE_BYTES[dtype], block_size)
                theirs = kv_cache(specs[name], seq_len=seq_len, batch=batch, kv_dtype=dtype, block_size=block_size)
                assert mine["kv_cache_bytes"] == theirs.kv_cache_bytes, (name, seq_len, batch)
                assert mine["recurrent_state_bytes"] == theirs.recurrent_state_bytes, name


@pytest.mark.parametrize("tp", [1, 2, 4, 8, 16, 32])
def test_per_gpu_sizes_match_the_calculators(kv, specs, tp):
    checked = 0
    for name, kinds in kv.MODELS.items():
        try:
            theirs = kv_cache(specs[name], seq_len=32_768, batch=2, tp=tp)
        except CalculatorError:
            continue  # a degree vLLM refuses for this model (does not divide the heads)
        mine = kv.kv_cache_bytes(kinds, 32_768, 2, tp=tp)
        assert mine["per_gpu_kv_cache_bytes"] == theirs.per_gpu_kv_cache_bytes, (name, tp)
        assert mine["per_gpu_recurrent_state_bytes"] == theirs.per_gpu_recurrent_state_bytes, (name, tp)
        checked += 1
    assert checked >= 2


def text_config(name):
    config = preset_config(name)
    return {**config, **config.get("text_config", {})}


def test_copied_config_fields(kv):
    for name, kinds in kv.MODELS.items():
        config = text_config(name)
        assert sum(k.layers for k in kinds) == config["num_hidden_layers"], name
        # gemma-3 leaves it to transformers' Gemma3TextConfig default, 131,072
        assert kv.MAX_POSITIONS[name] == config.get("max_position_embeddings", 131_072), name
        for kind in kinds:
            if isinstance(kind, kv.Attention):
                assert kind.kv_heads == config["num_key_value_heads"], name
                head_dim = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
                assert kind.head_dim == head_dim, name
                if kind.window is not None:
                    assert kind.window == config["sliding_window"], name
            elif isinstance(kind, kv.LatentAttention):
                assert (kind.kv_lora_rank, kind.rope_dim) == (config["kv_lora_rank"], config["qk_rope_head_dim"])


def test_gqa_formula_and_mla_have_no_factor_two(kv):
    llama = kv.MODELS["meta-llama/Llama-3.1-8B"]
    assert kv.first_token_bytes(llama) == 2 * 32 * 8 * 128 * 2
    assert kv.kv_cache_bytes(llama, 8192)["kv_cache_bytes"] == 2**30  # 1 GiB at 8K tokens in bf16
    deepseek = kv.MODELS["deepseek-ai/DeepSeek-V3"]
    assert kv.first_token_bytes(deepseek) == 61 * (512 + 64) * 2


def test_sliding_window_caps_at_window_minus_one(kv):
    assert kv.cached_tokens(10, 4096) == 10
    assert kv.cached_tokens(4095, 4096) == 4095
    assert kv.cached_tokens(100_000, 4096) == 4095
    gemma2 = kv.MODELS["google/gemma-2-9b"]
    grow = kv.kv_cache_bytes(gemma2, 8192)["kv_cache_bytes"] - kv.kv_cache_bytes(gemma2, 8191)["kv_cache_bytes"]
    assert grow == 21 * 8 * 2 * 256 * 2  # past the window only the 21 global layers grow


def test_paging_rounds_up_to_blocks(kv):
    assert kv.cached_tokens(1, None, 16) == 16
    assert kv.cached_tokens(16, None, 16) == 16
    assert kv.cached_tokens(17, None, 16) == 32
    for seq in range(1, 3000, 37):
        slots = kv.cached_tokens(seq, 1024, 16)
        assert min(seq, 1023) <= slots <= min(seq, 1023) + 2 * 16 - 1
        assert slots % 16 == 0


def test_recurrent_state_does_not_grow(kv):
    for name in ("Qwen/Qwen3-Next-80B-A3B-Instruct", "ai21labs/Jamba-v0.1"):
        short = kv.kv_cache_bytes(kv.MODELS[name], 10)["recurrent_state_bytes"]
        long = kv.kv_cache_bytes(kv.MODELS[name], 200_000)["recurrent_state_bytes"]
        assert short == long > 0


def test_tensor_parallel_replicates_kv_heads_past_their_count(kv):
    llama70 = kv.MODELS["meta-llama/Llama-3.1-70B"]
    per_gpu = {tp: kv.kv_cache_bytes(llama70, 1000, tp=tp)["per_gpu_kv_cache_bytes"] for tp in (1, 8, 16, 32)}
    assert per_gpu[8] == per_gpu[1] // 8 == per_gpu[16] == per_gpu[32]  # one KV head per rank from tp = 8 on
    deepseek = kv.MODELS["deepseek-ai/DeepSeek-V3"]
    assert kv.kv_cache_bytes(deepseek, 1000, tp=8)["per_gpu_kv_cache_bytes"] == kv.kv_cache_bytes(
        deepseek, 1000)["kv_cache_bytes"]
