"""Why generating tokens is limited by memory bandwidth: FLOPs per byte of one decode step, against a GPU's ridge.

One decode step produces one new token for each of `batch` sequences. It multiplies every weight matrix by `batch`
vectors (2 FLOPs per weight per sequence: a multiply and an add) and lets each new token attend to the cached keys
and values of its own sequence. To do so it must read every weight once and every sequence's KV cache once. The
ratio FLOPs / bytes is the step's arithmetic intensity; a GPU's ridge point is peak FLOP/s / memory bandwidth
(bytes/s). Below the ridge the step waits for memory (roofline model: Williams, Waterman and Patterson, 2009).

Counted like the project's calculators count them: bytes = every weight byte, except that of the input embedding
table a step reads only the row of each sequence's token (unless the LM head shares the table and reads it whole),
+ all KV-cache bytes; FLOPs = 2 x batch x the weights of the matrix products (everything except the embedding table
and the norms) + attention. Peak FLOP/s and bandwidth
come from the calculators' GPU catalog (dense BF16 tensor-core figures from the vendors' datasheets).

    python -m snippets.level1_intuition.arithmetic_intensity
"""

from calculators import count_parameters, get_gpu, kv_cache, load_spec, weight_memory


# --8<-- [start:intensity]
def decode_step(model: str, weights: str, seq_len: int, batch: int) -> dict:
    """FLOPs and bytes moved by one decode step of `batch` sequences that each hold `seq_len` cached tokens."""
    spec = load_spec(model)
    counts = count_parameters(spec).by_component
    matmul_params = sum(n for component, n in counts.items() if component not in ("embeddings", "norms"))
    attention = spec.mixers[0]
    group = attention.num_heads // attention.num_kv_heads  # query heads that share one KV head (1 without GQA)
    kv_bytes = kv_cache(spec, seq_len=seq_len, batch=batch).kv_cache_bytes  # 16-bit cache, 2 bytes per value
    kv_values = kv_bytes // 2
    flops = 2 * batch * matmul_params + 2 * group * kv_values  # one multiply-add per weight / per cached value
    weight_bytes = weight_memory(spec, weights).total_bytes
    if not spec.tie_word_embeddings:  # a step looks up one 16-bit row of the input embedding per sequence
        embedding = weight_memory(spec, weights).by_component["embeddings"]
        weight_bytes += batch * spec.hidden_size * 2 - embedding
    step_bytes = weight_bytes + kv_bytes
    return {"flops": flops, "bytes": step_bytes, "intensity": flops / step_bytes}


def ridge_point(gpu: str) -> float:
    """FLOPs per byte at which a GPU's dense BF16 peak and its memory bandwidth take the same time."""
    device = get_gpu(gpu)
    return device.bf16_dense_tflops * 1e12 / device.bandwidth_bytes_per_s


def roofline_tokens_per_s(step: dict, gpu: str, batch: int) -> tuple[float, str]:
    """Tokens/s if the step ran at whichever limit binds: memory time or compute time, and which one it is."""
    device = get_gpu(gpu)
    memory_s = step["bytes"] / device.bandwidth_bytes_per_s
    compute_s = step["flops"] / (device.bf16_dense_tflops * 1e12)
    return batch / max(memory_s, compute_s), "memory" if memory_s >= compute_s else "compute"
# --8<-- [end:intensity]


def print_table(model: str, weight_formats: tuple[str, ...], seq_len: int, gpu: str) -> None:
    print(f"\n{model}, {seq_len:,} cached tokens per sequence, on {get_gpu(gpu).name}:")
    print(f"{'weights':<10}{'batch':>6}{'GFLOPs/step':>13}{'GB read/step':>14}{'FLOPs/byte':>12}"
          f"{'bound tokens/s':>16}  limit")
    for weights in weight_formats:
        for batch in (1, 8, 64, 256):
            step = decode_step(model, weights, seq_len, batch)
            tokens_per_s, limit = roofline_tokens_per_s(step, gpu, batch)
            print(f"{weights:<10}{batch:>6}{step['flops'] / 1e9:>13,.1f}{step['bytes'] / 1e9:>14.2f}"
                  f"{step['intensity']:>12.1f}{tokens_per_s:>16,.0f}  {limit}")


def main() -> None:
    print("Ridge points (dense BF16 peak / memory bandwidth):")
    for key in ("l4", "rtx-4090", "a100-80gb", "h100-sxm"):
        print(f"  {get_gpu(key).name:<26} {ridge_point(key):6.0f} FLOPs per byte")
    print_table("meta-llama/Llama-2-7b-hf", ("bf16", "gptq-int4"), 1_024, "a100-80gb")
    print_table("meta-llama/Llama-3.1-8B", ("bf16",), 1_024, "a100-80gb")

if __name__ == "__main__":
    main()
