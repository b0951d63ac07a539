"""The memory arithmetic of a 7B model: its weights in each storage format, and its KV cache as the context grows.

Everything comes from the model's config.json through the project's calculators package (standard library only):
the exact parameter count, the bytes each quantization format really stores (codes, scales, zero points, and the
layers it leaves in 16-bit), and the KV cache. Beside each figure the script prints the naive estimate
"parameters x bits / 8" and checks the KV cache against the textbook formula, so the difference is visible.

    python -m snippets.level1_intuition.memory_arithmetic
"""

from calculators import count_parameters, kv_cache, load_spec, weight_memory
from snippets.common.kv_cache import gqa_values_per_token

GIB, GB = 2**30, 10**9

# --8<-- [start:weights]
# The format names of the calculators, and the bits of one code in each: what a naive estimate would use.
CODE_BITS = {"fp32": 32, "bf16": 16, "fp8": 8, "int8": 8, "gptq-int4": 4, "awq-int4": 4, "nf4": 4, "nf4-dq": 4}


def weights_table(model: str, formats: list[str]) -> list[dict]:
    """One row per format: the bytes the checkpoint really holds, next to parameters x code bits / 8."""
    spec = load_spec(model)
    params = count_parameters(spec).total
    rows = []
    for fmt in formats:
        stored = weight_memory(spec, fmt).total_bytes  # codes + scales + zero points + layers kept in 16-bit
        naive = params * CODE_BITS[fmt] // 8
        rows.append({"format": fmt, "bytes": stored, "bits_per_param": 8 * stored / params, "naive_bytes": naive})
    return rows
# --8<-- [end:weights]


# --8<-- [start:kv]
def kv_table(model: str, seq_lens: list[int], batch: int = 1) -> dict:
    """The KV cache of `batch` sequences at each length (16-bit cache), from the calculators and from the formula."""
    spec = load_spec(model)
    attention = spec.mixers[0]  # every layer of these models has the same full attention
    values_per_token = gqa_values_per_token(spec.num_hidden_layers, attention.num_kv_heads, attention.head_dim)
    per_token = values_per_token * 2  # bytes: 2 per number in a 16-bit cache
    rows = []
    for seq_len in seq_lens:
        calculated = kv_cache(spec, seq_len=seq_len, batch=batch).kv_cache_bytes
        rows.append({"seq_len": seq_len, "bytes": calculated, "formula_bytes": batch * seq_len * per_token})
    return {"model": model, "num_kv_heads": attention.num_kv_heads, "num_heads": attention.num_heads,
            "bytes_per_token": per_token, "max_position_embeddings": spec.max_position_embeddings, "rows": rows}
# --8<-- [end:kv]


def both_units(nbytes: float) -> str:
    return f"{nbytes / GIB:6.2f} GiB ({nbytes / GB:6.2f} GB)"


def main() -> None:
    model = "meta-llama/Llama-2-7b-hf"
    spec = load_spec(model)
    print(f"{model}: {count_parameters(spec).total:,} parameters\n")
    print(f"{'format':<10} {'stored':>22} {'bits/param':>11} {'params x code bits / 8':>24} {'extra':>9}")
    for row in weights_table(model, list(CODE_BITS)):
        extra = row["bytes"] / row["naive_bytes"] - 1
        print(f"{row['format']:<10} {both_units(row['bytes'])} {row['bits_per_param']:>11.3f} "
              f"{both_units(row['naive_bytes']):>24} {extra:>8.1%}")

    for name in (model, "meta-llama/Llama-3.1-8B"):
        table = kv_table(name, [1_024, 4_096, 32_768, 131_072])
        per_token, window = table["bytes_per_token"], table["max_position_embeddings"]
        print(f"\n{name}: {table['num_heads']} query heads, {table['num_kv_heads']} KV heads, "
              f"{per_token:,} bytes ({per_token / 2**10:,.0f} KiB) of 16-bit KV cache per token")
        for row in table["rows"]:
            assert row["bytes"] == row["formula_bytes"]
            note = "" if row["seq_len"] <= window else f"  (beyond its {window:,}-token context window)"
            print(f"  {row['seq_len']:>7,} tokens, 1 sequence: {both_units(row['bytes'])}{note}")
        own_weights = weight_memory(load_spec(name), "bf16").total_bytes
        print(f"  one sequence's cache outweighs the model's own bf16 weights beyond "
              f"{own_weights / per_token:,.0f} tokens")


if __name__ == "__main__":
    main()
