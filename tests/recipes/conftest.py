"""Fixtures for the recipe tests: models and a tokenizer built here, so nothing is downloaded.

CPU tests use a tiny Llama (2 layers, hidden 128, random weights): enough to run every recipe end to end in
seconds. GPU tests (marker `gpu`) use a Llama-3.2-1B-shaped model with random weights: the same shapes and memory
as the real one, none of its knowledge, which is all a "does it run, how fast, how much memory" test needs.
"""

import gc
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before transformers is imported: never reach the Hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402
import torch  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast  # noqa: E402

from snippets.recipes.common import generate_tokens, load_checkpoint, stdlib_docstrings  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
GPU_RESULTS = ROOT / "test-artifacts" / "recipes-gpu.json"

TINY_LLAMA = dict(
    hidden_size=128, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
    max_position_embeddings=512, tie_word_embeddings=True,
)
# Llama-3.2-1B's shape (its config.json on the Hub): 1.24B parameters, tied embeddings, GQA with 8 KV heads.
LLAMA_3_2_1B_SHAPE = dict(
    hidden_size=2048, intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8,
    head_dim=64, vocab_size=128256, max_position_embeddings=131072, rms_norm_eps=1e-5, tie_word_embeddings=True,
    rope_parameters={"rope_type": "default", "rope_theta": 500000.0},
)
requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def build_tokenizer(texts: list[str], vocab_size: int = 512) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on `texts` in well under a second; no download."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", pad_token="<pad>")


def save_random_llama(path: Path, tokenizer, dtype=torch.float32, **shape) -> Path:
    """Write a randomly initialised LlamaForCausalLM of the given shape, and `tokenizer`, to `path`."""
    shape.setdefault("vocab_size", len(tokenizer))
    config = LlamaConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        **shape,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).to(dtype)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def calibration_texts() -> list[str]:
    return stdlib_docstrings()


@pytest.fixture(scope="session")
def tiny_tokenizer(calibration_texts):
    return build_tokenizer(calibration_texts)


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory, tiny_tokenizer) -> Path:
    """A 2-layer Llama (hidden 128, float32) with its tokenizer, saved as a normal transformers checkpoint."""
    return save_random_llama(tmp_path_factory.mktemp("tiny-llama"), tiny_tokenizer, **TINY_LLAMA)


@pytest.fixture(scope="session")
def llama_1b_dir(tmp_path_factory, tiny_tokenizer) -> Path:
    """A Llama-3.2-1B-shaped model in bfloat16 (about 2.5 GB on disk), for the GPU tests only."""
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    return save_random_llama(
        tmp_path_factory.mktemp("llama-1b"), tiny_tokenizer, dtype=torch.bfloat16, **LLAMA_3_2_1B_SHAPE
    )


def measure_cuda(fn):
    """Run `fn()` and return (result, seconds, peak GPU memory it allocated in GiB above what was in use before)."""
    gc.collect()
    torch.cuda.empty_cache()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    start = time.perf_counter()
    result = fn()
    torch.cuda.synchronize()
    return result, time.perf_counter() - start, (torch.cuda.max_memory_allocated() - before) / 2**30


@pytest.fixture(scope="session")
def bf16_baseline(llama_1b_dir) -> dict:
    """The unquantized bf16 model: peak GPU memory to load it, and to load it and generate."""
    return measure_load_and_generate("bf16-baseline", llama_1b_dir)


def measure_load_and_generate(name: str, save_dir, **extra) -> dict:
    """Load `save_dir` on the GPU, then generate: seconds and peak GiB of each step, recorded under `name`."""
    (model, tokenizer), load_s, load_peak_gib = measure_cuda(lambda: load_checkpoint(save_dir))
    new_tokens, generate_s, generate_peak_gib = measure_cuda(lambda: generate_tokens(model, tokenizer))
    values = {
        "load_s": round(load_s, 2), "load_peak_gib": round(load_peak_gib, 3),
        "generate_s": round(generate_s, 2), "generate_peak_gib": round(generate_peak_gib, 3),
        "disk_gib": round(sum(f.stat().st_size for f in Path(save_dir).glob("*.safetensors")) / 2**30, 3),
        "new_tokens": len(new_tokens), **extra,
    }
    record_gpu_result(name, **values)
    return values  # the model is freed once this returns; measure_cuda collects garbage before each measurement


def record_gpu_result(name: str, **values) -> None:
    """Add one GPU measurement to test-artifacts/recipes-gpu.json (device name included), and print it."""
    values = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, **values}
    print(f"{name}: {values}")
    GPU_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(GPU_RESULTS.read_text()) if GPU_RESULTS.exists() else {}
    results[name] = values
    GPU_RESULTS.write_text(json.dumps(results, indent=2) + "\n")
