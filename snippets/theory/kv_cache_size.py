"""KV-cache size from first principles, for every kind of token mixer that current LLMs use.

Per sequence and per layer, a layer keeps
  * full attention (MHA, GQA, MQA): a key and a value vector per KV head for every token: 2 * n_kv * d_h numbers;
  * sliding-window attention: the same per token, but only for the last window - 1 tokens (what transformers'
    cache keeps between forward passes; the current token makes the window full);
  * multi-head latent attention (MLA): one latent of kv_lora_rank + qk_rope_head_dim numbers per token, shared by
    all heads, with no factor 2;
  * a recurrent layer (Mamba, Gated DeltaNet): a fixed state, whatever the length.
Paging (vLLM) rounds each sequence up to whole blocks. Under tensor parallelism each rank holds
max(1, n_kv // tp) KV heads, MLA's latent is replicated on every rank, and recurrent states are split.

Run as a script, it prints the cache of several models at three lengths and the per-GPU cache of a GQA and an MLA
model under tensor parallelism. Standard library only; the tests compare every number with the calculators package.
"""

from dataclasses import dataclass

from snippets.common.kv_cache import gqa_values_per_token

GIB = 2**30


# --8<-- [start:kinds]
@dataclass(frozen=True)
class Attention:
    """MHA (kv_heads = heads), GQA (kv_heads = heads / group) or MQA (kv_heads = 1); window for sliding layers."""
    layers: int
    kv_heads: int
    head_dim: int
    window: int | None = None


@dataclass(frozen=True)
class LatentAttention:
    """MLA (DeepSeek-V2/V3): one compressed latent plus one decoupled rotary key per token, for all heads."""
    layers: int
    kv_lora_rank: int
    rope_dim: int


@dataclass(frozen=True)
class Recurrent:
    """Mamba or Gated DeltaNet: a convolution window (model dtype) and a state (float32) per sequence."""
    layers: int
    conv_elements: int
    state_elements: int
# --8<-- [end:kinds]


# --8<-- [start:models]
# Numbers from each model's config.json (layer kinds follow its attention pattern).
MODELS = {
    "meta-llama/Llama-3.1-8B": [Attention(32, 8, 128)],
    "meta-llama/Llama-3.1-70B": [Attention(80, 8, 128)],
    "Qwen/Qwen3-8B": [Attention(36, 8, 128)],
    # sliding_window 4096 on every other layer
    "google/gemma-2-9b": [Attention(21, 8, 256, window=4096), Attention(21, 8, 256)],
    # 5 local layers (window 1024) per global layer, 62 layers
    "google/gemma-3-27b-pt": [Attention(52, 16, 128, window=1024), Attention(10, 16, 128)],
    # kv_lora_rank 512, qk_rope_head_dim 64, 61 layers
    "deepseek-ai/DeepSeek-V3": [LatentAttention(61, 512, 64)],
    # full attention every 4th layer; Gated DeltaNet: 16 key heads and 32 value heads of dim 128, conv kernel 4
    "Qwen/Qwen3-Next-80B-A3B-Instruct": [
        Attention(12, 2, 256),
        Recurrent(36, conv_elements=(2 * 16 * 128 + 32 * 128) * 4, state_elements=32 * 128 * 128),
    ],
    # one attention layer in 8; Mamba: d_inner = 2 * 4096, d_state 16, d_conv 4
    "ai21labs/Jamba-v0.1": [
        Attention(4, 8, 128),
        Recurrent(28, conv_elements=8192 * 4, state_elements=8192 * 16),
    ],
}

# max_position_embeddings of each config.json: the longest context the model was built for.
MAX_POSITIONS = {
    "meta-llama/Llama-3.1-8B": 131_072, "meta-llama/Llama-3.1-70B": 131_072, "Qwen/Qwen3-8B": 40_960,
    "google/gemma-2-9b": 8_192, "google/gemma-3-27b-pt": 131_072, "deepseek-ai/DeepSeek-V3": 163_840,
    "Qwen/Qwen3-Next-80B-A3B-Instruct": 262_144, "ai21labs/Jamba-v0.1": 262_144,
}
# --8<-- [end:models]


# --8<-- [start:size]
def cached_tokens(seq_len: int, window: int | None, block_size: int | None = None) -> int:
    """Token slots one sequence occupies in one layer. With paging, the slots of every block that holds a kept
    token: blocks floor((seq_len - kept) / B) .. ceil(seq_len / B) - 1."""
    kept = seq_len if window is None else min(seq_len, window - 1)
    if block_size is None:
        return kept
    first_block = (seq_len - kept) // block_size
    last_block = -(-seq_len // block_size)  # ceil
    return (last_block - first_block) * block_size


def kv_cache_bytes(kinds, seq_len: int, batch: int = 1, bytes_per_element: float = 2, block_size: int | None = None,
                   tp: int = 1) -> dict:
    """KV cache of the whole model and of one tensor-parallel rank, plus the recurrent state, in bytes."""
    total = per_gpu = state = state_per_gpu = 0
    for kind in kinds:
        if isinstance(kind, Recurrent):
            size = kind.layers * batch * (kind.conv_elements * 2 + kind.state_elements * 4)
            state += size
            state_per_gpu += size // tp
            continue
        slots = batch * cached_tokens(seq_len, getattr(kind, "window", None), block_size)  # per layer
        if isinstance(kind, LatentAttention):
            per_token = (kind.kv_lora_rank + kind.rope_dim) * bytes_per_element  # no factor 2: K and V share it
            total += kind.layers * slots * per_token
            per_gpu += kind.layers * slots * per_token  # replicated on every rank
        else:  # one key and one value vector per KV head and layer; a rank holds max(1, n_kv // tp) KV heads
            total += slots * gqa_values_per_token(kind.layers, kind.kv_heads, kind.head_dim) * bytes_per_element
            rank_heads = max(1, kind.kv_heads // tp)
            per_gpu += slots * gqa_values_per_token(kind.layers, rank_heads, kind.head_dim) * bytes_per_element
    return {"kv_cache_bytes": total, "per_gpu_kv_cache_bytes": per_gpu,
            "recurrent_state_bytes": state, "per_gpu_recurrent_state_bytes": state_per_gpu}
# --8<-- [end:size]


def first_token_bytes(kinds) -> int:
    """Bytes one more token adds while no sliding window is full (bf16)."""
    return kv_cache_bytes(kinds, 1)["kv_cache_bytes"]


def main() -> None:
    lengths = (4_096, 32_768, 131_072)
    print("1. KV cache per sequence, bf16, in GiB ('-': beyond the model's max_position_embeddings);")
    print("   recurrent state (constant in length) in MiB")
    print(f"{'model':<34}{'bytes/token':>12}" + "".join(f"{f'{n:,} tok':>13}" for n in lengths) + f"{'state':>8}")
    for name, kinds in MODELS.items():
        if name == "meta-llama/Llama-3.1-70B":
            continue
        sizes = [kv_cache_bytes(kinds, n) for n in lengths]
        cells = "".join(f"{s['kv_cache_bytes'] / GIB:>13.3f}" if n <= MAX_POSITIONS[name] else f"{'-':>13}"
                        for n, s in zip(lengths, sizes, strict=True))
        state = sizes[0]["recurrent_state_bytes"] / 2**20
        print(f"{name:<34}{first_token_bytes(kinds):>12,}{cells}{state:>8.1f}")

    print("\n2. Per-GPU KV cache under tensor parallelism, 32,768 tokens, bf16, in GiB")
    ranks = (1, 2, 4, 8, 16)
    print(f"{'model':<34}" + "".join(f"{f'tp={t}':>9}" for t in ranks))
    for name in ("meta-llama/Llama-3.1-70B", "deepseek-ai/DeepSeek-V3"):
        cells = [kv_cache_bytes(MODELS[name], 32_768, tp=t)["per_gpu_kv_cache_bytes"] / GIB for t in ranks]
        print(f"{name:<34}" + "".join(f"{c:>9.3f}" for c in cells))

    print("\n3. Token slots per sequence and layer")
    for seq, window, block in ((1_000, None, None), (1_000, None, 16), (8_192, 4096, None), (8_192, 4096, 16)):
        kind = "full attention" if window is None else f"sliding window {window}"
        paging = "no paging" if block is None else f"blocks of {block}"
        print(f"   {seq:>5,} tokens, {kind:<22}{paging:<14}-> {cached_tokens(seq, window, block):,}")


if __name__ == "__main__":
    main()
