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

from snippets.recipes.common import generate_tokens, load_checkpoint, stdlib_docstrings  # noqa: E402
from snippets.recipes.tiny_llama import (  # noqa: E402
    LLAMA_3_2_1B_SHAPE,
    TINY_LLAMA,
    build_tokenizer,
    save_random_llama,
)

ROOT = Path(__file__).resolve().parents[2]
GPU_RESULTS = ROOT / "test-artifacts" / "recipes-gpu.json"

requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


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
