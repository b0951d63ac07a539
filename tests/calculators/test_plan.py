"""Inference memory plans: each term by hand for a small model, TP rules, inverse questions, the GPU catalog."""

from __future__ import annotations

import json

import pytest

from calculators.errors import CalculatorError
from calculators.memory.kv import kv_cache
from calculators.memory.runtime import CUDA_CONTEXT_BYTES, GEMM_WORKSPACE_BYTES
from calculators.memory.weights import weight_memory
from calculators.model.configs import load_spec
from calculators.model.spec import FullAttention, ModelSpec, TensorGroup
from calculators.plan.engines.vllm import (
    FLASHINFER_SAMPLER_BYTES_PER_LOGIT,
    NON_TORCH_BYTES,
    SORTING_SAMPLER_BYTES_PER_LOGIT,
)
from calculators.plan.gpus import CATALOG, GB, GIB, MIB, get_gpu
from calculators.plan.inference import check_tensor_parallel, memory_plan, recommend

try:  # as a package (tests/calculators/__init__.py) or as a rootdir-relative module
    from .test_weights import tiny_spec
except ImportError:
    from test_weights import tiny_spec


def llama8b():
    return load_spec("meta-llama/Llama-3.1-8B")


# ---- GPU catalog --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("H100", "h100-sxm"),
        ("h100 sxm 80gb", "h100-sxm"),
        ("H200", "h200"),
        ("A100-80GB", "a100-80gb"),
        ("a100_80gb", "a100-80gb"),
        ("A100-40GB", "a100-40gb"),
        ("A100 40GB", "a100-40gb"),
        ("L4", "l4"),
        ("l40s", "l40s"),
        ("RTX 4090", "rtx-4090"),
        ("rtx-4090", "rtx-4090"),
        ("NVIDIA GeForce RTX 4090", "rtx-4090"),
        ("RTX_4070", "rtx-4070"),
        ("rtx 3090", "rtx-3090"),
        ("MI300X", "mi300x"),
        ("mi-300x", "mi300x"),
        ("M3 Max", "m3-max-128gb"),
    ],
)
def test_gpu_names_are_case_insensitive_with_aliases(name, key):
    assert get_gpu(name).key == key


def test_unknown_gpu_raises_naming_the_field():
    with pytest.raises(CalculatorError, match="^gpu: unknown GPU 'H900'"):
        get_gpu("H900")


def test_catalog_entries_are_complete_and_consistent():
    keys = {gpu.key for gpu in CATALOG}
    assert {"rtx-3090", "rtx-4070", "rtx-4090", "rtx-5090", "rtx-6000-ada", "l40s", "l4", "a10", "a100-40gb",
            "a100-80gb", "h100-sxm", "h100-pcie", "h200", "b200", "mi300x", "mi325x", "m3-max-128gb",
            "m4-max-128gb", "m2-ultra-192gb"} <= keys
    for gpu in CATALOG:
        assert gpu.source_url.startswith("https://")
        assert 0 < gpu.usable_bytes <= gpu.reported_total_bytes <= gpu.memory_bytes
        assert "GB" in gpu.memory_label and "GiB" in gpu.memory_label
        assert gpu.bandwidth_bytes_per_s > 10**11
        if gpu.fp8_dense_tflops is not None:
            assert gpu.fp8_dense_tflops == pytest.approx(2 * gpu.bf16_dense_tflops, rel=0.03)
        assert gpu.usable_basis


def test_h100_memory_is_80_gib_of_which_cuda_reports_about_79_gib():
    h100 = get_gpu("H100")
    assert h100.memory_bytes == 80 * GIB == 85_899_345_920
    assert h100.reported_total_bytes == 81_559 * MIB  # nvidia-smi
    assert 79.1 * GIB < h100.usable_bytes < 79.3 * GIB
    assert h100.bf16_dense_tflops == pytest.approx(989.4) and h100.fp8_dense_tflops == pytest.approx(1978.9)


def test_apple_usable_memory_is_the_macos_working_set_limit():
    m3 = get_gpu("m3 max")
    assert m3.memory_bytes == 128 * GIB and m3.usable_bytes == 96 * GIB


# ---- tensor parallelism -------------------------------------------------------------------------------


def test_tp_must_be_1_2_4_or_8():
    spec = tiny_spec()
    for bad in (0, 3, 16, -1, 2.0, "2", True):
        with pytest.raises(CalculatorError, match="^count:"):
            check_tensor_parallel(spec, bad)


def test_tp_must_split_attention_heads():
    with pytest.raises(CalculatorError, match="28 attention heads .* cannot be split across 8 GPUs"):
        memory_plan(load_spec("Qwen/Qwen2.5-7B"), seq_len=1024, gpu="H100", count=8)


def test_kv_heads_replicate_when_tp_exceeds_them():
    spec = tiny_spec()  # 4 heads, 2 KV heads: TP=4 replicates k_proj and v_proj
    plan = memory_plan(spec, seq_len=1024, gpu="H100", count=4, inverse=False)
    wm = weight_memory(spec, "bf16")
    rows = {r.name: r.bytes for r in wm.rows}
    padded_vocab = {"embed_tokens": 1024 * 512 * 2, "lm_head": 1024 * 512 * 2}  # 1000 rows padded to 1024
    rows.update(padded_vocab)
    sharded = sum(-(-b // 4) for name, b in rows.items() if name not in ("k_proj", "v_proj", "norm"))
    replicated_kv = (rows["k_proj"] + rows["v_proj"]) // 2  # one of the two KV heads per rank
    assert plan.breakdown["weights"] == sharded + replicated_kv + rows["norm"]
    kv = kv_cache(spec, seq_len=1024, batch=1, kv_dtype="bf16", block_size=16, tp=4)
    assert plan.breakdown["kv_cache"] == kv.per_gpu_kv_cache_bytes == 2 * 2 * 1024 * 1 * 128 * 2


def test_weights_split_over_tp_and_overhead_is_paid_on_every_gpu():
    spec = llama8b()
    one = memory_plan(spec, seq_len=4096, gpu="H100", count=1, inverse=False)
    two = memory_plan(spec, seq_len=4096, gpu="H100", count=2, inverse=False)
    rotary = 131072 * 128 * 2  # replicated on every GPU
    norms = 4096 * 65 * 2
    assert two.breakdown["weights"] == pytest.approx((one.breakdown["weights"] - rotary - norms) / 2 + rotary + norms,
                                                     abs=2)
    assert two.breakdown["non_torch"] == one.breakdown["non_torch"] == NON_TORCH_BYTES
    assert two.breakdown["cuda_context"] == CUDA_CONTEXT_BYTES and "nccl" not in two.breakdown


def test_vllm_weights_are_what_vllm_logs_with_rotary_tables_and_padded_vocabulary():
    # Llama-3.1-8B: 8,030,261,248 bf16 parameters + the cos/sin table of 131,072 x 128 in bf16 = 14.9888 GiB,
    # the figure vLLM logs ("Loading model weights took 14.9888 GB", vllm-project/vllm#10517)
    plan = memory_plan(llama8b(), seq_len=4096, gpu="H100", inverse=False)
    assert plan.breakdown["weights"] == 8_030_261_248 * 2 + 131072 * 128 * 2
    assert round(plan.breakdown["weights"] / GIB, 4) == 14.9888
    assert plan.settings["rotary_cache_bytes"] == 131072 * 128 * 2 and plan.settings["vocab_padding_bytes"] == 0
    tf = memory_plan(llama8b(), seq_len=4096, gpu="H100", engine="transformers", inverse=False)
    assert tf.breakdown["weights"] == 8_030_261_248 * 2


# ---- vLLM terms ---------------------------------------------------------------------------------------


def test_vllm_budget_is_utilization_times_cuda_total_and_context_sits_outside_it():
    spec = llama8b()
    plan = memory_plan(spec, seq_len=8192, batch=8, gpu="H100", count=1)
    h100 = get_gpu("H100")
    assert plan.vllm_version == "0.28-0.33" and plan.gpu_memory_utilization == 0.92  # the recipes' vLLM 0.33
    assert plan.gpu_usable_bytes == int(0.92 * h100.usable_bytes)
    assert plan.terms["cuda_context"].in_budget is False
    assert plan.terms["cuda_graphs"].in_budget is True  # estimated in the profile from 0.20
    inside = sum(t.bytes for t in plan.terms.values() if t.in_budget)
    assert plan.per_gpu_bytes == inside
    assert plan.headroom_bytes == plan.gpu_usable_bytes - inside
    assert plan.fits is (inside <= plan.gpu_usable_bytes)
    assert plan.available_kv_cache_bytes == plan.gpu_usable_bytes - inside + plan.breakdown["kv_cache"]
    assert memory_plan(spec, seq_len=8192, gpu="H100", gpu_memory_utilization=0.5).gpu_usable_bytes == int(
        0.5 * h100.usable_bytes
    )
    old = memory_plan(spec, seq_len=8192, gpu="H100", vllm_version="0.10.1", inverse=False)
    assert old.gpu_memory_utilization == 0.9 and old.terms["cuda_graphs"].in_budget is False


def test_vllm_activation_peak_by_hand_for_llama_8b_on_h100():
    # H100 (>= 70 GiB, not A100): max_num_batched_tokens 8192, max_num_seqs 1024
    plan = memory_plan(llama8b(), seq_len=4096, gpu="H100", inverse=False)
    t, h, inter, vocab = 8192, 4096, 14336, 128256
    forward = 2 * (2 * t * h) + 2 * t * (2 * inter + inter + h)  # residual+hidden; gate_up, act, down
    sampler = 2 * t * h + 1024 * vocab * FLASHINFER_SAMPLER_BYTES_PER_LOGIT
    assert plan.breakdown["activation_peak"] == max(forward, sampler) == sampler
    assert plan.settings["max_num_batched_tokens"] == 8192 and plan.settings["max_num_seqs"] == 1024
    # 0.11.1-0.20 sort the vocabulary in the sampler
    sorting = memory_plan(llama8b(), seq_len=4096, gpu="H100", vllm_version="0.17", inverse=False)
    assert sorting.breakdown["activation_peak"] == 2 * t * h + 1024 * vocab * SORTING_SAMPLER_BYTES_PER_LOGIT
    # smaller GPUs and A100s take vLLM's 2048 / 256 defaults
    a100 = memory_plan(llama8b(), seq_len=4096, gpu="A100-80GB", inverse=False)
    assert a100.settings["max_num_batched_tokens"] == 2048 and a100.settings["max_num_seqs"] == 256
    # V0 without chunked prefill profiles max(max_model_len, 2048) tokens
    v0 = memory_plan(llama8b(), seq_len=20000, gpu="RTX 3090", vllm_version="0.6.4", inverse=False)
    assert v0.settings["max_num_batched_tokens"] == 20000 and v0.settings["chunked_prefill"] is False


def test_cuda_graph_buffers_and_enforce_eager():
    spec = llama8b()
    plan = memory_plan(spec, seq_len=4096, gpu="H100", inverse=False)
    assert plan.breakdown["cuda_graphs"] == 2 * 32 * 512 * (6144 + 4096 + 4096)
    eager = memory_plan(spec, seq_len=4096, gpu="H100", cuda_graphs=False, inverse=False)
    assert "cuda_graphs" not in eager.breakdown


def test_vllm_pages_the_kv_cache_in_blocks_of_16():
    spec = tiny_spec()
    plan = memory_plan(spec, seq_len=1000, gpu="L4", inverse=False)
    assert plan.breakdown["kv_cache"] == kv_cache(spec, seq_len=1008, block_size=16).per_gpu_kv_cache_bytes


def test_vllm_prints_blocks_tokens_and_concurrency():
    spec = tiny_spec()  # 2 layers x 2 KV heads x 128 x 2 (K and V) x 2 bytes = 2,048 bytes per token
    plan = memory_plan(spec, seq_len=1000, gpu="L4", inverse=False)
    blocks = plan.available_kv_cache_bytes // (16 * 2048)
    assert plan.kv_cache_blocks == blocks
    assert plan.kv_cache_tokens == int(blocks / 63 * 1000)  # 0.24+: max_concurrency x max_model_len
    assert plan.max_concurrency == round(blocks / 63, 2)  # a request of 1,000 tokens takes 63 blocks
    old = memory_plan(spec, seq_len=1000, gpu="L4", vllm_version="0.10", inverse=False)
    assert old.kv_cache_tokens == old.kv_cache_blocks * 16


def test_vllm_refuses_a_max_model_len_whose_one_request_does_not_fit():
    spec = llama8b()
    v1 = memory_plan(spec, seq_len=131072, gpu="RTX 4090", weights="gptq-int4", inverse=False)
    assert not v1.fits and v1.refusal.startswith("To serve at least one request with the models's max seq len "
                                                 "(131072), (16.00 GiB KV cache is needed")
    assert "estimated maximum model length is" in v1.refusal
    v0 = memory_plan(spec, seq_len=131072, gpu="RTX 4090", weights="gptq-int4", vllm_version="0.7", inverse=False)
    assert v0.refusal.startswith("The model's max seq len (131072) is larger than the maximum number of tokens")
    none = memory_plan(spec, seq_len=4096, gpu="RTX 4060", inverse=False)  # 15 GiB of weights on 7.75 GiB
    assert none.refusal.startswith("No available memory for the cache blocks")
    assert memory_plan(spec, seq_len=4096, gpu="RTX 4090", weights="gptq-int4", inverse=False).refusal is None


def test_any_gpu_by_its_memory():
    spec = llama8b()
    custom = memory_plan(spec, seq_len=8192, gpu_memory_gib=47.5, inverse=False)
    assert custom.gpu == "custom" and custom.gpu_total_bytes == round(47.5 * GIB)
    assert custom.decode_tokens_per_s_bound is None  # no bandwidth is known
    given = memory_plan(spec, seq_len=8192, gpu="L40S", gpu_memory_gib=44.5, inverse=False)
    assert given.gpu == "l40s" and given.gpu_total_bytes == round(44.5 * GIB) and given.decode_tokens_per_s_bound
    for bad in (0, -1, 5000, "48", True):
        with pytest.raises(CalculatorError, match="^gpu_memory_gib:"):
            memory_plan(spec, seq_len=8192, gpu_memory_gib=bad)
    with pytest.raises(CalculatorError, match="^gpu: name a GPU"):
        memory_plan(spec, seq_len=8192)


def test_the_checkpoints_own_format_is_the_default():
    oss = memory_plan(load_spec("openai/gpt-oss-120b"), seq_len=16384, gpu="H100", inverse=False)
    assert oss.weights_format == "mxfp4" and oss.weights_format_source == "checkpoint"
    assert oss.breakdown["weights"] < 64 * GIB  # MXFP4 experts: 60-odd GiB, not bf16's 217 GiB
    assert memory_plan(llama8b(), seq_len=1024, gpu="H100", inverse=False).weights_format_source == "default"
    given = memory_plan(load_spec("openai/gpt-oss-120b"), weights="bf16", seq_len=1024, gpu="H200", count=4,
                        inverse=False)
    assert given.weights_format == "bf16" and given.weights_format_source == "given"


# ---- transformers terms -------------------------------------------------------------------------------


def test_transformers_terms_by_hand():
    spec = tiny_spec()
    seq, batch = 512, 2
    plan = memory_plan(spec, seq_len=seq, batch=batch, gpu="RTX 4090", engine="transformers", inverse=False)
    tokens, h, inter, vocab, head_dim = seq * batch, 512, 1024, 1000, 128
    persistent = 2 * tokens * (3 * h + 2 * head_dim)  # residual, hidden, embedding output; rotary cos, sin
    prefill = persistent + 2 * tokens * max(3 * inter + h, 2 * (512 + 256 + 256) + 512 + h)
    logits = batch * vocab * (2 + 4 + 4)  # logits_to_keep=1: 16-bit, fp32 copy, fp32 probabilities
    kv = kv_cache(spec, seq_len=seq, batch=batch).per_gpu_kv_cache_bytes
    assert plan.breakdown["activation_peak"] == max(prefill, logits + kv // 2)  # cat copies one of 2 layers
    assert plan.breakdown["gemm_workspace"] == GEMM_WORKSPACE_BYTES
    assert plan.terms["cuda_context"].in_budget is True
    assert plan.gpu_usable_bytes == get_gpu("RTX 4090").usable_bytes
    assert plan.gpu_memory_utilization is None


def test_utilization_is_vllm_only_and_apple_runs_transformers_alone():
    spec = tiny_spec()
    with pytest.raises(CalculatorError, match="^gpu_memory_utilization:"):
        memory_plan(spec, seq_len=64, gpu="L4", engine="transformers", gpu_memory_utilization=0.8)
    for bad in (0, 1.5, -0.1, "0.9", True):
        with pytest.raises(CalculatorError, match="^gpu_memory_utilization:"):
            memory_plan(spec, seq_len=64, gpu="L4", gpu_memory_utilization=bad)
    with pytest.raises(CalculatorError, match="^engine:"):
        memory_plan(spec, seq_len=64, gpu="M3 Max")
    with pytest.raises(CalculatorError, match="^count:"):
        memory_plan(spec, seq_len=64, gpu="M3 Max", engine="transformers", count=2)
    assert memory_plan(spec, seq_len=64, gpu="M3 Max", engine="transformers").fits


# ---- inverse questions --------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["vllm", "transformers"])
def test_max_seq_len_and_max_batch_are_the_boundaries(engine):
    spec = llama8b()
    plan = memory_plan(spec, seq_len=4096, batch=4, gpu="RTX 4090", weights="gptq-int4", engine=engine)
    assert plan.max_seq_len_limited_by == "memory"
    at = memory_plan(spec, seq_len=plan.max_seq_len, batch=4, gpu="RTX 4090", weights="gptq-int4", engine=engine,
                     inverse=False)
    past = memory_plan(spec, seq_len=plan.max_seq_len + 1, batch=4, gpu="RTX 4090", weights="gptq-int4",
                       engine=engine, inverse=False)
    assert at.fits and not past.fits
    at = memory_plan(spec, seq_len=4096, batch=plan.max_batch, gpu="RTX 4090", weights="gptq-int4", engine=engine,
                     inverse=False)
    past = memory_plan(spec, seq_len=4096, batch=plan.max_batch + 1, gpu="RTX 4090", weights="gptq-int4",
                       engine=engine, inverse=False)
    assert at.fits and not past.fits


def test_a_context_longer_than_the_model_is_noted_and_a_huge_context_is_no_error():
    spec = llama8b()
    long = memory_plan(spec, seq_len=262144, gpu="H200", count=8, inverse=False)
    assert any("beyond the model's max_position_embeddings (131,072)" in str(note) for note in long.notes)
    from calculators.model.configs import preset_config
    from calculators.model.families import model_spec

    huge = model_spec({**preset_config("meta-llama/Llama-3.1-8B"), "max_position_embeddings": 2**30,
                       "rope_scaling": None})
    plan = memory_plan(huge, seq_len=4096, gpu="H100", engine="transformers")  # stops at the seq_len limit
    assert plan.max_seq_len > 0 and plan.max_seq_len_limited_by == "memory"
    # vLLM builds its rotary table for every position: 2^30 x 128 bf16 values, 256 GiB, do not fit
    vllm = memory_plan(huge, seq_len=4096, gpu="H100")
    assert vllm.settings["rotary_cache_bytes"] == 2**30 * 128 * 2 and not vllm.fits and vllm.max_seq_len == 0


def test_kv_heads_and_top_k_are_checked_for_every_reader():
    from calculators.model.families import model_spec

    generic = {"model_type": "mystery", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
               "intermediate_size": 128, "vocab_size": 100}
    with pytest.raises(CalculatorError, match="^config.num_key_value_heads: 3 KV heads"):
        memory_plan(model_spec({**generic, "num_key_value_heads": 3}), seq_len=64, gpu="H100")
    with pytest.raises(CalculatorError, match="^config.num_experts_per_tok: 9 experts per token"):
        memory_plan(model_spec({**generic, "num_local_experts": 4, "num_experts_per_tok": 9}), seq_len=64,
                    gpu="H100")


def test_max_seq_len_is_capped_by_the_models_context():
    plan = memory_plan(tiny_spec(), seq_len=128, gpu="H200")
    assert plan.max_seq_len == 4096 and plan.max_seq_len_limited_by == "max_position_embeddings"


def test_nothing_fits_gives_zero():
    plan = memory_plan(load_spec("meta-llama/Llama-3.1-70B"), seq_len=1024, gpu="RTX 4090")
    assert not plan.fits and plan.max_seq_len == 0 and plan.max_batch == 0 and plan.headroom_bytes < 0


def test_decode_bound_is_bandwidth_over_bytes_read_per_step():
    spec = tiny_spec()
    plan = memory_plan(spec, seq_len=1024, batch=2, gpu="H100", inverse=False)
    embedding = 1024 * 512 * 2  # the padded input table: a step gathers 2 of its rows, not all of it
    weights = plan.breakdown["weights"] - embedding + 2 * 512 * 2
    step = weights + kv_cache(spec, seq_len=1024, batch=2, block_size=16).kv_cache_bytes
    assert plan.decode_bytes_per_step == step
    assert plan.decode_tokens_per_s_bound == pytest.approx(2 * 3.35e12 / step, rel=1e-6)


def test_decode_bound_of_llama_8b_awq_on_a_4090_reads_only_the_gathered_embedding_rows():
    # The input embedding is 1.05 GB of the 5.76 GB an AWQ Llama-3.1-8B holds: a step reads one row of it, so
    # with 8,192 tokens of KV cache a step reads 5.78 GB, not 6.80 GB (about 174 tokens/s, not 148)
    plan = memory_plan(llama8b(), weights="awq-int4", seq_len=8192, gpu="RTX 4090", inverse=False)
    rotary = 131072 * 128 * 2  # the cos/sin table: a step reads one row of it
    assert plan.decode_bytes_per_step == plan.breakdown["weights"] - 128256 * 4096 * 2 + 4096 * 2 - rotary + (
        plan.breakdown["kv_cache"])
    assert 170 < plan.decode_tokens_per_s_bound < 180


def test_decode_bound_for_moe_reads_only_the_experts_tokens_use():
    spec = tiny_spec(experts=True)  # 4 experts, top-2
    one = memory_plan(spec, seq_len=64, batch=1, gpu="H100", inverse=False)
    rows = memory_plan(spec, seq_len=64, batch=1, gpu="H100", engine="transformers", inverse=False)
    experts = sum(r.bytes for r in weight_memory(spec, "bf16").rows if r.component == "experts")
    embedding = 1024 * 512 * 2
    others = one.breakdown["weights"] - experts - embedding
    kv = kv_cache(spec, seq_len=64, batch=1, block_size=16).kv_cache_bytes
    assert one.decode_bytes_per_step == others + 512 * 2 + experts // 2 + kv
    many = memory_plan(spec, seq_len=64, batch=64, gpu="H100", inverse=False)
    assert many.decode_bytes_per_step - kv_cache(spec, seq_len=64, batch=64, block_size=16).kv_cache_bytes == (
        others + 64 * 512 * 2 + int(experts * (1 - 0.5**64))
    )
    assert rows.decode_bytes_per_step < one.decode_bytes_per_step  # transformers pads no vocabulary


# ---- recommend ----------------------------------------------------------------------------------------


def test_recommend_lists_fitting_sets_best_first_with_the_smallest_count_per_gpu():
    spec = llama8b()
    rec = recommend(spec, weights="bf16", seq_len=32768, batch=4)
    assert rec.options, rec.notes
    counts = [o["count"] for o in rec.options]
    assert counts == sorted(counts)
    for option in rec.options:
        assert set(option) >= {"gpu", "count", "per_gpu_bytes", "headroom_bytes"}
        plan = memory_plan(spec, seq_len=32768, batch=4, gpu=option["gpu"], count=option["count"], inverse=False)
        assert plan.fits and option["headroom_bytes"] == plan.headroom_bytes >= 0
        if option["count"] > 1:
            smaller = memory_plan(spec, seq_len=32768, batch=4, gpu=option["gpu"], count=option["count"] // 2,
                                  inverse=False)
            assert not smaller.fits
    assert not any(o["gpu"].startswith("m") and "max" in o["gpu"] for o in rec.options)  # no Apple under vLLM


def test_recommend_offers_apple_for_transformers():
    rec = recommend(tiny_spec(), seq_len=1024, engine="transformers")
    assert any(o["gpu"] == "m3-max-128gb" for o in rec.options)


def test_nothing_fits_is_said():
    rec = recommend(load_spec("deepseek-ai/DeepSeek-V3"), weights="bf16", seq_len=131072, batch=64,
                    gpus=["RTX 4070"])
    assert rec.options == () and rec.notes


# ---- anchors ------------------------------------------------------------------------------------------


def test_overhead_is_a_model_not_a_flat_percentage():
    small = memory_plan(tiny_spec(), seq_len=1024, gpu="H100", inverse=False)
    big = memory_plan(llama8b(), seq_len=1024, gpu="H100", inverse=False)
    assert small.breakdown["non_torch"] == big.breakdown["non_torch"]  # a constant, not x% of weights
    assert big.breakdown["activation_peak"] != small.breakdown["activation_peak"]


def test_plan_is_json_ready_with_gib_free_integers():
    d = memory_plan(llama8b(), seq_len=2048, gpu="L40S").to_dict()
    assert isinstance(d["per_gpu_bytes"], int) and isinstance(d["gpu_usable_bytes"], int)
    assert all(isinstance(v, int) and v >= 0 for v in d["breakdown"].values())
    assert {"fits", "breakdown", "max_seq_len", "max_batch", "decode_tokens_per_s_bound", "available_kv_cache_bytes",
            "kv_cache_tokens", "max_concurrency", "refusal", "vllm_version"} <= set(d)
    json.dumps(d, allow_nan=False)


def test_units_gib_and_gb_are_distinct():
    assert GIB == 2**30 and GB == 10**9


def test_recurrent_state_is_planned_for_hybrid_models():
    plan = memory_plan(load_spec("ai21labs/Jamba-v0.1"), seq_len=4096, batch=2, gpu="H200", inverse=False)
    assert plan.breakdown["recurrent_state"] > 0


def test_a_spec_without_attention_heads_still_plans():
    spec = ModelSpec(
        model_type="x", source="x", hidden_size=64, num_hidden_layers=1, vocab_size=10, intermediate_size=128,
        max_position_embeddings=None, mixers=(FullAttention(2, 2, 32, 32),),
        tensors=(TensorGroup("embeddings", "embedding", (10, 64), 1, 1, "embed_tokens", split="vocab"),),
        checkpoint_only=(),
        tie_word_embeddings=True, num_experts=0, experts_per_token=0, approximate=True, notes=("guessed",),
    )
    plan = memory_plan(spec, seq_len=16, gpu="L4")
    assert plan.fits and "guessed" in plan.notes and plan.max_seq_len_limited_by == "limit"


# ---- fuzzing the public API: only CalculatorError escapes ---------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_ANY = st.one_of(
    st.none(), st.booleans(), st.integers(-(1 << 40), 1 << 40), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6), st.sampled_from(["bf16", "fp8", "H100", "l4", "vllm", "transformers", "gptq-int4", "1"]),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=200)
@given(seq=_ANY, batch=_ANY, kv=_ANY, gpu=_ANY, count=_ANY, engine=_ANY, weights=_ANY, util=_ANY)
def test_fuzzed_memory_plan_raises_only_calculator_error(seq, batch, kv, gpu, count, engine, weights, util):
    try:
        plan = memory_plan(tiny_spec(), seq_len=seq, batch=batch, kv_dtype=kv, gpu=gpu, count=count, engine=engine,
                           weights=weights, gpu_memory_utilization=util)
    except CalculatorError:
        return
    assert all(v >= 0 for v in plan.breakdown.values())
    assert plan.decode_tokens_per_s_bound >= 0 and plan.max_batch >= 0 and plan.max_seq_len >= 0


@settings(max_examples=100)
@given(method=_ANY, seq=_ANY, batch=_ANY, rank=_ANY, targets=_ANY, ckpt=_ANY, optimizer=_ANY, gpu=_ANY)
def test_fuzzed_training_memory_raises_only_calculator_error(method, seq, batch, rank, targets, ckpt, optimizer, gpu):
    from calculators.plan.training import training_memory

    try:
        mem = training_memory(tiny_spec(), method=method, seq_len=seq, batch=batch, lora_rank=rank,
                              lora_targets=targets, gradient_checkpointing=ckpt, optimizer=optimizer, gpu=gpu)
    except CalculatorError:
        return
    assert mem.peak_bytes > 0 and all(t["bytes"] >= 0 for t in mem.terms.values())


@settings(max_examples=100)
@given(fmt=_ANY)
def test_fuzzed_weight_formats_raise_only_calculator_error(fmt):
    try:
        wm = weight_memory(tiny_spec(), fmt)
    except CalculatorError:
        return
    assert wm.total_bytes > 0


@pytest.mark.parametrize(("batch", "prompt"), [(1, 1024), (4, 256)])
def test_transformers_model_matches_the_cpu_allocator_peak_of_generate(reference, batch, prompt):
    """Peak bytes the CPU allocator holds during ``generate`` (torch.profiler, profile_memory=True): weights
    are allocated before, so the peak is KV cache + activations, which the plan models."""
    torch = reference.torch
    from torch.profiler import ProfilerActivity, profile

    config = {"model_type": "llama", "hidden_size": 512, "intermediate_size": 1376, "num_hidden_layers": 4,
              "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 32000}
    model = reference.tiny_model(config)
    new_tokens = 4
    ids = torch.randint(1, 32000, (batch, prompt), generator=torch.Generator().manual_seed(0))
    kwargs = {"attention_mask": torch.ones_like(ids), "do_sample": True, "pad_token_id": 0}
    with torch.no_grad():
        model.generate(input_ids=ids, max_new_tokens=1, **kwargs)  # warm-up: lazy buffers, kernels
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            model.generate(input_ids=ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, **kwargs)
    events = [e for e in prof.events() if e.name == "[memory]" or e.self_cpu_memory_usage]
    current = peak = 0
    for event in sorted(events, key=lambda e: e.time_range.start):
        current += event.cpu_memory_usage if event.name == "[memory]" else event.self_cpu_memory_usage
        peak = max(peak, current)

    from calculators.model.families import model_spec

    plan = memory_plan(model_spec(config), seq_len=prompt + new_tokens, batch=batch, gpu="H100",
                       engine="transformers", inverse=False)
    modelled = plan.breakdown["kv_cache"] + plan.breakdown["activation_peak"]
    assert modelled == pytest.approx(peak, rel=0.10)


def test_hybrid_attention_is_grouped_as_vllm_v1_groups_it():
    # Gemma 3 27B: 52 sliding-window (1,024) and 10 full layers -> groups of 10 layers, 6 + 1 of them (the last
    # sliding group padded with 8 empty layers); a block holds 16 tokens of 10 layers; each group takes its own blocks
    plan = memory_plan(load_spec("google/gemma-3-27b-pt"), seq_len=32768, gpu="H200", vllm_version="0.12",
                       inverse=False)
    per_layer_token = 16 * 128 * 2 * 2  # 16 KV heads x head_dim 128, K and V, bf16
    blocks = plan.available_kv_cache_bytes // (16 * 10 * per_layer_token)
    assert plan.kv_cache_blocks == blocks and plan.kv_cache_tokens == blocks // 7 * 16
    sliding_blocks = -(-(1024 - 1 + 8192) // 16) + 1  # window - 1 + max_num_batched_tokens, plus one block
    assert plan.max_concurrency == round(blocks / (6 * sliding_blocks + 1 * 32768 // 16), 2)
