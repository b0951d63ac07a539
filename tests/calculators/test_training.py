"""Training memory: bytes per parameter, LoRA parameter counts, and the activation model by hand."""

from __future__ import annotations

import pytest

from calculators.errors import CalculatorError
from calculators.memory.weights import weight_memory
from calculators.model.configs import load_spec
from calculators.model.spec import FullAttention, ModelSpec, TensorGroup
from calculators.plan.training import lora_parameters, training_memory

try:  # as a package (tests/calculators/__init__.py) or as a rootdir-relative module
    from .test_weights import tiny_spec
except ImportError:
    from test_weights import tiny_spec


def gpt_block(h: int = 256, heads: int = 4, layers: int = 1, vocab: int = 100) -> ModelSpec:
    """A GPT-style block as Korthikanti et al. model it: MHA, a 4h MLP with one activation, LayerNorms."""
    tensors = (
        TensorGroup("embeddings", "embedding", (vocab, h), 1, 1, "wte", split="vocab"),
        TensorGroup("attention", "linear", (3 * h, h), layers, layers, "c_attn", split="column"),
        TensorGroup("attention", "linear", (h, h), layers, layers, "c_proj", split="row"),
        TensorGroup("mlp", "linear", (4 * h, h), layers, layers, "c_fc", split="column"),
        TensorGroup("mlp", "linear", (h, 4 * h), layers, layers, "mlp.c_proj", split="row"),
        TensorGroup("norms", "norm", (h,), 2 * layers, 2 * layers, "ln", split="replicated"),
        TensorGroup("norms", "norm", (h,), 2 * layers, 2 * layers, "ln.bias", split="replicated"),
        TensorGroup("lm_head", "linear", (vocab, h), 1, 1, "lm_head", split="vocab"),
    )
    return ModelSpec(
        model_type="gpt", source="gpt", hidden_size=h, num_hidden_layers=layers, vocab_size=vocab,
        intermediate_size=4 * h, max_position_embeddings=1024,
        mixers=tuple(FullAttention(heads, heads, h // heads, h // heads) for _ in range(layers)),
        tensors=tensors, checkpoint_only=(), tie_word_embeddings=False, num_experts=0, experts_per_token=0,
        approximate=False, notes=(),
    )


def test_full_fine_tuning_is_16_bytes_per_parameter_or_18_with_fp32_gradients():
    spec = load_spec("meta-llama/Llama-3.1-8B")
    p = spec.total_params
    full = training_memory(spec, method="full")
    states = sum(full.terms[k]["bytes"] for k in ("weights", "master_weights", "gradients", "optimizer_states"))
    assert states == 16 * p
    assert full.terms["weights"]["bytes"] == 2 * p and full.terms["master_weights"]["bytes"] == 4 * p
    assert full.terms["optimizer_states"]["bytes"] == 8 * p
    fp32 = training_memory(spec, method="full", grad_dtype="fp32")
    assert sum(fp32.terms[k]["bytes"] for k in ("weights", "master_weights", "gradients", "optimizer_states")) == (
        18 * p
    )


def test_lora_parameters_are_exact_from_linear_shapes():
    spec = load_spec("meta-llama/Llama-3.1-8B")
    # PEFT all-linear, r=16 on Llama-3-8B: 41,943,040 trainable parameters
    per_layer = 16 * ((4096 + 4096) * 2 + (1024 + 4096) * 2 + (14336 + 4096) * 3)
    assert lora_parameters(spec, 16) == 32 * per_layer == 41_943_040
    assert lora_parameters(spec, 8, ["q_proj", "v_proj"]) == 32 * 8 * ((4096 + 4096) + (1024 + 4096))
    assert lora_parameters(spec, 8, "q_proj,v_proj") == lora_parameters(spec, 8, ["q_proj", "v_proj"])


def test_all_linear_skips_lm_head_router_and_fused_experts():
    spec = tiny_spec(experts=True)
    # only attention q/k/v/o are nn.Linear here: experts are fused parameters, the router a parameter
    assert lora_parameters(spec, 4) == 2 * 4 * ((512 + 512) + 2 * (256 + 512) + (512 + 512))


def test_lora_memory_terms():
    spec = tiny_spec()
    lora = training_memory(spec, method="lora", lora_rank=8)
    adapters = lora_parameters(spec, 8)
    assert lora.trainable_params == adapters
    assert lora.terms["base_weights"]["bytes"] == 2 * spec.total_params
    assert lora.terms["adapter_weights"]["bytes"] == 4 * adapters  # PEFT autocasts adapters to fp32
    assert lora.terms["gradients"]["bytes"] == 4 * adapters
    assert lora.terms["optimizer_states"]["bytes"] == 8 * adapters
    bf16 = training_memory(spec, method="lora", lora_rank=8, adapter_dtype="bf16")
    assert bf16.terms["adapter_weights"]["bytes"] == 2 * adapters


def test_qlora_uses_nf4_double_quant_base_bf16_adapters_and_paged_adamw():
    spec = tiny_spec()
    q = training_memory(spec, method="qlora", lora_rank=8)
    adapters = lora_parameters(spec, 8)
    assert q.terms["base_weights"]["bytes"] == weight_memory(spec, "nf4-dq").total_bytes
    assert q.terms["adapter_weights"]["bytes"] == 2 * adapters
    assert q.terms["optimizer_states"]["bytes"] == 8 * adapters
    assert q.terms["dequant_buffer"]["bytes"] == 2 * 1024 * 512  # the largest quantized linear in bf16
    assert any("paged" in str(note) for note in q.notes)
    assert q.peak_bytes < training_memory(spec, method="lora", lora_rank=8).peak_bytes


def test_activations_reproduce_korthikanti_without_dropout_masks():
    h, heads, s, b = 256, 4, 128, 2
    spec = gpt_block(h=h, heads=heads)
    mem = training_memory(spec, method="full", seq_len=s, batch=b)
    # Korthikanti: sbh(34 + 5as/h) with dropout. Without the 2 sbh of dropout masks, flash attention (no as^2):
    # attention 2sb(h + h) inputs of c_attn/c_proj + 2sb(3h) q,k,v; MLP 2sb(h + 4h) inputs + 2sb(4h) GeLU input;
    # two LayerNorms 2sb(2h); plus fp32 log-sum-exp 4sba and fp32 mean + inverse std 8sb per norm.
    expected = s * b * (32 * h + 4 * heads + 2 * 8)
    assert mem.terms["activations"]["bytes"] == expected
    assert mem.terms["logits_and_loss"]["bytes"] == s * b * (100 * 10 + 2 * h)
    eager = training_memory(spec, method="full", seq_len=s, batch=b, attention="eager")
    # transformers' eager attention: fp32 softmax + its bf16 copy + a dropout mask: 7 bytes per score
    assert eager.terms["activations"]["bytes"] - expected == 7 * heads * s * s * b


def test_gradient_checkpointing_keeps_layer_inputs_and_recomputes_one_layer():
    spec = gpt_block(h=256, heads=4, layers=4)
    s, b = 2048, 4
    plain = training_memory(spec, method="full", seq_len=s, batch=b)
    ckpt = training_memory(spec, method="full", seq_len=s, batch=b, gradient_checkpointing=True)
    assert ckpt.terms["activations"]["bytes"] == 4 * 2 * s * b * 256  # 2sbh per layer
    assert ckpt.terms["recompute_one_layer"]["bytes"] == plain.terms["activations"]["bytes"] // 4
    assert ckpt.peak_bytes < plain.peak_bytes


def test_peak_overlaps_gradients_with_freed_activations_unless_accumulating():
    spec = tiny_spec()
    one = training_memory(spec, method="full", seq_len=256)
    acc = training_memory(spec, method="full", seq_len=256, grad_accumulation_steps=4)
    assert acc.peak_bytes - one.peak_bytes <= one.terms["gradients"]["bytes"]
    assert acc.peak_bytes > one.peak_bytes


def test_llama_8b_qlora_fits_a_24gb_card_and_full_fine_tuning_does_not_fit_one_h100():
    spec = load_spec("meta-llama/Llama-3.1-8B")
    assert training_memory(spec, method="qlora", gradient_checkpointing=True, gpu="RTX 4090").fits
    full = training_memory(spec, method="full", gpu="H100")
    assert not full.fits and full.headroom_bytes < 0


def test_training_dict_is_json_ready():
    d = training_memory(tiny_spec(), method="lora").to_dict()
    assert d["peak_bytes"] == d["total_bytes"]
    assert all(isinstance(t["bytes"], int) and t["bytes"] >= 0 and t["formula"] for t in d["terms"].values())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"method": "dora"}, "method"),
        ({"method": "lora", "lora_rank": 0}, "lora_rank"),
        ({"method": "lora", "lora_targets": ["nope"]}, "lora_targets"),
        ({"method": "lora", "lora_targets": 3}, "lora_targets"),
        ({"method": "full", "seq_len": -1}, "seq_len"),
        ({"method": "full", "batch": 0}, "batch"),
        ({"method": "full", "optimizer": "adam"}, "optimizer"),
        ({"method": "full", "gpu": "TPU"}, "gpu"),
        ({"method": "full", "gradient_checkpointing": "yes"}, "gradient_checkpointing"),
    ],
)
def test_bad_training_inputs(kwargs, field):
    with pytest.raises(CalculatorError) as info:
        training_memory(tiny_spec(), **kwargs)
    assert info.value.field == field


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
@pytest.mark.parametrize("checkpointing", [False, True])
def test_activation_model_matches_the_tensors_pytorch_saves(reference, attention, checkpointing):
    """Sum the bytes autograd saves in a transformers Llama forward pass (bf16, CPU) and compare."""
    torch = reference.torch
    config = {"model_type": "llama", "hidden_size": 256, "intermediate_size": 688, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000,
              "attn_implementation": attention}
    s, b = 128, 2
    model = reference.tiny_model(config)
    model.train()
    if checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved: dict[int, int] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in params:
            saved[storage.data_ptr()] = max(saved.get(storage.data_ptr(), 0), storage.nbytes())
        return tensor

    ids = torch.randint(0, 1000, (b, s), generator=torch.Generator().manual_seed(0))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(input_ids=ids, labels=ids)
    measured = sum(saved.values())

    from calculators.model.families import model_spec

    spec = model_spec({k: v for k, v in config.items() if k != "attn_implementation"})
    mem = training_memory(spec, method="full", seq_len=s, batch=b, attention=attention,
                          gradient_checkpointing=checkpointing)
    # saved during the forward pass: the decoder's activations (or, checkpointed, each layer's input),
    # the LM head's input and the fp32 log-softmax (the 16-bit logits and their fp32 copy are not saved)
    modelled = mem.terms["activations"]["bytes"] + s * b * (2 * 256 + 4 * 1000)
    if checkpointing:  # the final norm is outside the checkpointed layers
        modelled += s * b * (6 * 256 + 4)
    assert modelled == pytest.approx(measured, rel=0.03)
