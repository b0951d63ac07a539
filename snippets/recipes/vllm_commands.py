"""The shell commands that serve the recipes' checkpoints with vLLM, kept as constants.

vLLM is not installed in this project's environment (it needs a GPU), so nothing here runs: the docs show these
lines as text, and the tests check that each one names a flag vLLM documents and a folder a recipe writes.

Flags checked (Nov 2026) against vLLM's engine-argument reference,
https://docs.vllm.ai/en/stable/configuration/engine_args/ :
- `--quantization`: "If None, we first check the quantization_config attribute in the model config file", so a
  compressed-tensors checkpoint from llm-compressor needs no flag at all.
- `--max-model-len`: context length (prompt + output); vLLM checks that one sequence this long fits in its KV
  cache, so a lower value lets a model start on a smaller GPU.
- `--gpu-memory-utilization`: fraction of GPU memory vLLM may use (default 0.9 up to vLLM 0.19, 0.92 from 0.20:
  calculators/plan/vllm_releases.py).
- `--kv-cache-dtype fp8`: store the KV cache in FP8; see
  https://docs.vllm.ai/en/latest/features/quantization/quantized_kvcache/ (the scales are 1.0 unless
  calibrated, e.g. by llm-compressor).
FP8 W8A8 compute needs compute capability >= 8.9; older GPUs run FP8 checkpoints as weight-only (FP8 Marlin):
vLLM's docs/features/quantization/llm_compressor/fp8.md ("FP8 W8A8"), which also documents `--quantization fp8`
(online dynamic FP8 from a BF16/FP16 checkpoint, no calibration).
"""

PIP_INSTALL = """
# --8<-- [start:install]
pip install "vllm==0.33.0"
# --8<-- [end:install]
"""

# Every flag below, and in the labs' SERVE_* commands (snippets/labs/), must be one of these
# (tests/recipes/test_vllm_commands.py checks it). `--runner` and `--pooler-config` (the distillation lab's embedding
# student) were checked in vLLM 0.33.0's source: vllm/engine/arg_utils.py adds both to the model group
# (ModelConfig.runner, "pooling" a RunnerType; ModelConfig.pooler_config, a PoolerConfig whose pooling_type takes
# "MEAN").
DOCUMENTED_FLAGS = ("--max-model-len", "--gpu-memory-utilization", "--kv-cache-dtype", "--quantization", "--runner",
                    "--pooler-config")

SERVE_GPTQ = "vllm serve ./out/llama-w4a16 --max-model-len 8192"
SERVE_AWQ = "vllm serve ./out/llama-awq-w4a16-asym --max-model-len 8192"
SERVE_FP8 = "vllm serve ./out/llama-fp8-dynamic --max-model-len 8192 --gpu-memory-utilization 0.90"
SERVE_FP8_KV_CACHE = "vllm serve ./out/llama-w4a16 --max-model-len 32768 --kv-cache-dtype fp8"
SERVE_ONLINE_FP8 = "vllm serve meta-llama/Llama-3.2-1B-Instruct --quantization fp8"  # no llm-compressor step

SERVE_COMMANDS = {
    "gptq": SERVE_GPTQ,
    "awq": SERVE_AWQ,
    "fp8": SERVE_FP8,
    "fp8_kv_cache": SERVE_FP8_KV_CACHE,
    "online_fp8": SERVE_ONLINE_FP8,
}
