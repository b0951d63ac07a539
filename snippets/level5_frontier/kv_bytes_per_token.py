"""KV-cache bytes per token from explicit config numbers, in bf16, FP8 and low-bit formats with per-group scales,
and the same count for multi-head latent attention (MLA).

Run as a script, it prints a table for Llama-3.1-8B (grouped-query attention) and a comparison of DeepSeek 67B
(GQA) with DeepSeek-V2 (MLA). Standard library only; every input is a number from the model's config.json.
"""

from snippets.common.kv_cache import gqa_values_per_token

# --8<-- [start:configs]
# From each model's config.json on the Hugging Face Hub.
LLAMA_31_8B = {"num_hidden_layers": 32, "num_key_value_heads": 8, "head_dim": 128}
DEEPSEEK_67B = {"num_hidden_layers": 95, "num_key_value_heads": 8, "head_dim": 8192 // 64}  # hidden / heads
DEEPSEEK_V2 = {"num_hidden_layers": 60, "kv_lora_rank": 512, "qk_rope_head_dim": 64}
# --8<-- [end:configs]


# --8<-- [start:formulas]
def mla_values_per_token(num_hidden_layers: int, kv_lora_rank: int, qk_rope_head_dim: int) -> int:
    """MLA caches one compressed latent c_KV (kv_lora_rank numbers) and one decoupled RoPE key shared by all
    heads (qk_rope_head_dim numbers) per layer: (d_c + d_h^R) * l in the DeepSeek-V2 paper's notation."""
    return num_hidden_layers * (kv_lora_rank + qk_rope_head_dim)


def bytes_per_value(code_bits: float, group_size: int | None = None, metadata_bytes_per_group: float = 0.0) -> float:
    """Storage per cached number: the code itself plus its share of the per-group metadata (scale, zero point)."""
    size = code_bits / 8
    if group_size is not None:
        size += metadata_bytes_per_group / group_size
    return size


def kv_bytes_per_token(values_per_token: int, code_bits: float, group_size: int | None = None,
                       metadata_bytes_per_group: float = 0.0) -> float:
    return values_per_token * bytes_per_value(code_bits, group_size, metadata_bytes_per_group)
# --8<-- [end:formulas]


# --8<-- [start:formats]
# name, code bits, group size, metadata bytes per group. The low-bit rows are asymmetric integer codes with one
# fp16 scale and one fp16 zero point (4 bytes) per group; FP8 uses one scale per tensor, which is negligible here.
FORMATS = [
    ("bf16", 16, None, 0),
    ("fp8 (e4m3)", 8, None, 0),
    ("int4, group 32", 4, 32, 4),
    ("int2, group 32", 2, 32, 4),
    ("int2, group 128", 2, 128, 4),
]
CONTEXT_TOKENS = 131_072  # 128 Ki tokens, batch 1
# --8<-- [end:formats]

GIB = 2**30


def main() -> None:
    values = gqa_values_per_token(**LLAMA_31_8B)
    bf16 = kv_bytes_per_token(values, 16)
    print(f"Llama-3.1-8B: 2 x {LLAMA_31_8B['num_hidden_layers']} layers x {LLAMA_31_8B['num_key_value_heads']} "
          f"KV heads x {LLAMA_31_8B['head_dim']} dims = {values:,} cached numbers per token")
    print(f"{'format':<17}{'bits/value':>11}{'bytes/token':>13}{'KiB/token':>11}"
          f"{f'GiB @ {CONTEXT_TOKENS:,} tok':>22}{'vs bf16':>9}")
    for name, bits, group, meta in FORMATS:
        per_token = kv_bytes_per_token(values, bits, group, meta)
        print(f"{name:<17}{8 * bytes_per_value(bits, group, meta):>11.3f}{per_token:>13,.0f}"
              f"{per_token / 1024:>11.1f}{per_token * CONTEXT_TOKENS / GIB:>22.2f}{bf16 / per_token:>8.2f}x")

    print()
    old = kv_bytes_per_token(gqa_values_per_token(**DEEPSEEK_67B), 16)
    mla_values = mla_values_per_token(**DEEPSEEK_V2)
    mla_bf16 = kv_bytes_per_token(mla_values, 16)
    mla_6bit = kv_bytes_per_token(mla_values, 6)
    print(f"DeepSeek 67B (GQA, bf16):         {old:>9,.0f} bytes/token")
    print(f"DeepSeek-V2 (MLA, {mla_values:,} numbers):")
    print(f"  bf16:                           {mla_bf16:>9,.0f} bytes/token, {1 - mla_bf16 / old:.1%} smaller")
    print(f"  6 bits per number on average:   {mla_6bit:>9,.0f} bytes/token, {1 - mla_6bit / old:.1%} smaller")


if __name__ == "__main__":
    main()
