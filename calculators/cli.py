"""Command line of the calculators: ``python -m calculators <command> CONFIG ...`` (console script ``llm-calc``).

CONFIG is a path to a ``config.json``, a directory holding one, or a preset's Hugging Face id (an existing
path wins). Commands:

=============  ==============================================================================================
``params``     parameter counts (``--json``: ``total``, ``active``, ``breakdown``, ``checkpoint_only`` ...)
``kv``         KV cache and recurrent state for ``--seq-len``/``--batch``/``--kv-dtype`` (``kv_cache_bytes``)
``weights``    weight memory in a storage format, with what stays in 16-bit and why
``plan``       per-GPU memory plan on ``--gpu`` x ``--count`` for ``--engine vllm|transformers``
``recommend``  GPU sets that fit, best first (``options``)
``train``      training memory for ``--method full|lora|qlora``
``presets``    the bundled model presets
``gpus``       the GPU catalog
=============  ==============================================================================================

``--json`` prints the ``to_dict()`` of the result object; :func:`run_json` returns the same dict, so the
browser (Pyodide) and the CLI show identical numbers. Without ``--json`` a table is printed, with GiB (2**30)
and GB (10**9) both labelled. Bad input prints ``error: <message>`` on stderr and exits with status 2, as do
argument errors; no traceback is shown.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys

from .errors import CalculatorError
from .vllm_releases import DEFAULT_VLLM_VERSION

GIB = 2**30
GB = 10**9


class _UsageError(CalculatorError):
    """An argument-parsing error (unknown option, missing value); exit status 2 like CalculatorError."""

    def __init__(self, message: str, usage: str = ""):
        super().__init__("arguments", message)
        self.usage = usage


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would print and sys.exit(2); raise instead
        raise _UsageError(message, self.format_usage())


# --------------------------------------------------------------------------------------------------------
# Entry points


def run_json(argv: list[str]) -> dict:
    """Run one command and return its result as a JSON-ready dict (what ``--json`` prints).

    Raises :class:`CalculatorError` for bad input (argument errors included). Used by :func:`main` and by
    the browser through Pyodide.
    """
    try:
        _, payload = _run(list(argv) if isinstance(argv, (list, tuple)) else argv)
    except SystemExit:  # --help: there is no JSON for it
        raise CalculatorError("arguments", "--help prints text; run it without run_json") from None
    return payload


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit status (0, or 2 for bad input)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args, payload = _run(argv)
    except SystemExit as exit_:  # --help
        return exit_.code if isinstance(exit_.code, int) else 0
    except _UsageError as error:
        sys.stderr.write(error.usage)
        sys.stderr.write(f"error: {str(error).removeprefix('arguments: ')}\n")
        return 2
    except CalculatorError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    except RecursionError:
        sys.stderr.write("error: config: nested too deeply to read\n")
        return 2
    if args.json:
        sys.stdout.write(json.dumps(payload, indent=2, allow_nan=False) + "\n")
    else:
        sys.stdout.write(_TABLES[args.command](payload) + "\n")
    return 0


# --------------------------------------------------------------------------------------------------------
# Parsing and dispatch


@functools.cache
def _parser() -> _Parser:
    """The command-line parser (built once: parsing does not change it, and building it is most of a call's cost)."""
    parser = _Parser(prog="llm-calc", description="Memory calculators for large language models.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def command(name: str, help_text: str, config: bool = True) -> _Parser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if config:
            p.add_argument("config", metavar="CONFIG",
                           help="config.json path, a directory holding one, or a preset's Hugging Face id")
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        return p

    def shape(p: _Parser, seq_required: bool = True) -> None:
        p.add_argument("--seq-len", type=int, required=seq_required, default=None, help="tokens per sequence")
        p.add_argument("--batch", type=int, default=1, help="concurrent sequences (default 1)")
        p.add_argument("--kv-dtype", default="bf16", help="KV-cache dtype: bf16, fp16, fp32, fp8, int8, int4 ...")

    command("params", "parameter counts: total, active per token, by component")

    p = command("kv", "KV cache and recurrent-state bytes")
    shape(p)
    p.add_argument("--block-size", type=int, default=None, help="round each sequence up to pages of S tokens")
    p.add_argument("--tp", type=int, default=1, help="tensor-parallel ranks (per-GPU figures)")
    p.add_argument("--mla-decompressed", action="store_true", help="cache MLA as decompressed per-head K/V")

    p = command("weights", "weight memory in a storage format")
    p.add_argument("--weights", default="bf16", help="format: fp32, bf16, fp16, fp8, int8, gptq-int4, awq-int4, "
                   "nf4, nf4-dq, bpw:<bits> ...")

    p = command("plan", "per-GPU memory plan for an inference engine")
    p.add_argument("--weights", default=None, help="weight format (see the weights command; default: the "
                   "checkpoint's quantization_config, else bf16)")
    shape(p)
    p.add_argument("--gpu", default=None, help="GPU name, e.g. H100, A100-80GB, 'RTX 4090', MI300X")
    p.add_argument("--gpu-memory-gib", type=float, default=None,
                   help="total GPU memory as torch.cuda.mem_get_info reports it (vLLM logs it), in GiB; "
                   "replaces the catalog's figure, or stands alone for an unlisted GPU")
    p.add_argument("--count", type=int, default=1, help="GPUs = tensor-parallel degree: 1, 2, 4 or 8")
    p.add_argument("--engine", default="vllm", choices=("vllm", "transformers"))
    p.add_argument("--vllm-version", default=None,
                   help=f"vLLM release whose accounting to follow, e.g. 0.10.1 (default {DEFAULT_VLLM_VERSION})")
    p.add_argument("--gpu-memory-utilization", type=float, default=None,
                   help="vLLM's budget fraction (default: the release's, 0.92 from 0.20)")
    p.add_argument("--max-num-batched-tokens", type=int, default=None, help="vLLM scheduler token budget")
    p.add_argument("--max-num-seqs", type=int, default=None, help="vLLM maximum concurrent sequences")
    p.add_argument("--block-size", type=int, default=None, help="KV page size in tokens (vLLM default 16)")
    p.add_argument("--enforce-eager", action="store_true", help="vLLM without CUDA graphs")
    p.add_argument("--entrypoint", default="serve", choices=("serve", "llm"),
                   help="vllm serve or the Python LLM() class (their scheduler defaults differ)")

    p = command("recommend", "GPU sets that fit, best first")
    p.add_argument("--weights", default=None, help="weight format (see the weights command; default: the "
                   "checkpoint's quantization_config, else bf16)")
    shape(p)
    p.add_argument("--engine", default="vllm", choices=("vllm", "transformers"))
    p.add_argument("--vllm-version", default=None,
                   help=f"vLLM release whose accounting to follow (default {DEFAULT_VLLM_VERSION})")
    p.add_argument("--gpu-memory-utilization", type=float, default=None,
                   help="vLLM's budget fraction (default: the release's, 0.92 from 0.20)")

    p = command("train", "training memory: full fine-tuning, LoRA, QLoRA")
    p.add_argument("--method", required=True, choices=("full", "lora", "qlora"))
    p.add_argument("--seq-len", type=int, default=2048, help="tokens per sequence (default 2048)")
    p.add_argument("--batch", type=int, default=1, help="micro-batch size per GPU (default 1)")
    p.add_argument("--gradient-checkpointing", action="store_true", help="checkpoint every decoder layer")
    p.add_argument("--lora-rank", type=int, default=16, help="LoRA rank r (default 16)")
    p.add_argument("--lora-targets", default="all-linear", help="'all-linear' or comma-separated module names")
    p.add_argument("--optimizer", default=None,
                   choices=("adamw", "adamw-8bit", "paged-adamw", "paged-adamw-8bit", "sgd"))
    p.add_argument("--grad-dtype", default="bf16", choices=("bf16", "fp32"), help="full fine-tuning gradients")
    p.add_argument("--adapter-dtype", default=None, choices=("bf16", "fp32"))
    p.add_argument("--attention", default="sdpa", choices=("sdpa", "flash", "eager"))
    p.add_argument("--grad-accumulation-steps", type=int, default=1)
    p.add_argument("--gpu", default=None, help="check the peak against this GPU")

    command("presets", "list the bundled model presets", config=False)
    command("gpus", "list the GPU catalog", config=False)
    return parser


def _run(argv: list[str]) -> tuple[argparse.Namespace, dict]:
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise CalculatorError("argv", f"expected a list of strings, got {argv!r}")
    args = _parser().parse_args(argv)  # --help prints and raises SystemExit(0)
    return args, _COMMANDS[args.command](args)


def _spec(args: argparse.Namespace):
    """The ModelSpec named by CONFIG: an existing path wins over a preset id of the same spelling."""
    import os
    import pathlib

    from .configs import load_config, load_spec
    from .families import model_spec

    source = args.config
    if source and len(source) < 4096 and os.path.exists(source):
        return model_spec(load_config(pathlib.Path(source)), source=source)
    return load_spec(source)


def _cmd_params(args) -> dict:
    from .params import count_parameters

    counts = count_parameters(_spec(args))
    payload = counts.to_dict()
    # the CLI contract's names (kept beside the API's own names)
    payload.setdefault("total", counts.total)
    payload.setdefault("active", counts.active)
    payload.setdefault("breakdown", dict(counts.by_component))
    payload.setdefault("checkpoint_only", counts.checkpoint_only)
    return payload


def _cmd_kv(args) -> dict:
    from .kv import kv_cache

    return kv_cache(_spec(args), seq_len=args.seq_len, batch=args.batch, kv_dtype=args.kv_dtype,
                    block_size=args.block_size, tp=args.tp, mla_decompressed=args.mla_decompressed).to_dict()


def _cmd_weights(args) -> dict:
    from .weights import weight_memory

    return weight_memory(_spec(args), args.weights).to_dict()


def _cmd_plan(args) -> dict:
    from .plan import memory_plan

    return memory_plan(_spec(args), seq_len=args.seq_len, **_plan_arguments(args)).to_dict()


def plan_inputs(argv: list[str]):
    """The model and ``memory_plan``'s deployment keywords that ``plan`` ARGV describes (the chart draws the same)."""
    args = _parser().parse_args(argv)
    return _spec(args), _plan_arguments(args)


def _plan_arguments(args: argparse.Namespace) -> dict:
    """``memory_plan``'s deployment keywords from parsed ``plan`` flags."""
    return dict(
        weights=args.weights, batch=args.batch, kv_dtype=args.kv_dtype, gpu=args.gpu,
        gpu_memory_gib=args.gpu_memory_gib, count=args.count, engine=args.engine, vllm_version=args.vllm_version,
        gpu_memory_utilization=args.gpu_memory_utilization, max_num_batched_tokens=args.max_num_batched_tokens,
        max_num_seqs=args.max_num_seqs, block_size=args.block_size, cuda_graphs=not args.enforce_eager,
        entrypoint=args.entrypoint,
    )


def _cmd_recommend(args) -> dict:
    from .plan import recommend

    return recommend(_spec(args), weights=args.weights, seq_len=args.seq_len, batch=args.batch,
                     kv_dtype=args.kv_dtype, engine=args.engine, vllm_version=args.vllm_version,
                     gpu_memory_utilization=args.gpu_memory_utilization).to_dict()


def _cmd_train(args) -> dict:
    from .training import training_memory

    return training_memory(
        _spec(args), method=args.method, seq_len=args.seq_len, batch=args.batch,
        gradient_checkpointing=args.gradient_checkpointing, lora_rank=args.lora_rank,
        lora_targets=args.lora_targets, optimizer=args.optimizer, grad_dtype=args.grad_dtype,
        adapter_dtype=args.adapter_dtype, attention=args.attention,
        grad_accumulation_steps=args.grad_accumulation_steps, gpu=args.gpu,
    ).to_dict()


def _cmd_presets(args) -> dict:
    from .presets import PRESETS

    return {"presets": sorted(PRESETS)}


def _cmd_gpus(args) -> dict:
    from .gpus import CATALOG

    return {"gpus": [gpu.to_dict() for gpu in CATALOG]}


_COMMANDS = {
    "params": _cmd_params,
    "kv": _cmd_kv,
    "weights": _cmd_weights,
    "plan": _cmd_plan,
    "recommend": _cmd_recommend,
    "train": _cmd_train,
    "presets": _cmd_presets,
    "gpus": _cmd_gpus,
}


# --------------------------------------------------------------------------------------------------------
# Tables


def fmt_bytes(n: int | None) -> str:
    """``14.96 GiB (16.06 GB)``: both units, each labelled."""
    if n is None:
        return "-"
    return f"{n / GIB:,.2f} GiB ({n / GB:,.2f} GB)"


def _rows(rows: list[tuple[str, str]]) -> str:
    width = max((len(k) for k, _ in rows), default=0)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _notes(payload: dict) -> list[tuple[str, str]]:
    return [("note", n) for n in payload.get("notes", [])]


def _table_params(d: dict) -> str:
    rows = [("model", str(d.get("source", ""))), ("total parameters", f"{d['total']:,}"),
            ("active per token", f"{d['active']:,}")]
    rows += [(f"  {k}", f"{v:,}") for k, v in d.get("breakdown", {}).items()]
    if d.get("checkpoint_only"):
        rows.append(("checkpoint-only", f"{d['checkpoint_only']:,}"))
    return _rows(rows + _notes(d))


def _table_kv(d: dict) -> str:
    rows = [("model", str(d.get("source", ""))),
            ("sequences x tokens", f"{d['batch']} x {d['seq_len']:,} ({d['kv_dtype']})"),
            ("KV cache", fmt_bytes(d["kv_cache_bytes"])),
            ("KV cache per GPU", fmt_bytes(d.get("per_gpu_kv_cache_bytes"))),
            ("recurrent state", fmt_bytes(d.get("recurrent_state_bytes")))]
    return _rows(rows + _notes(d))


def _table_weights(d: dict) -> str:
    rows = [("format", f"{d['format']}: {d['description']}"), ("total", fmt_bytes(d["total_bytes"])),
            ("bits per parameter", f"{d['bits_per_param']:.3f}")]
    rows += [(f"  {k}", fmt_bytes(v)) for k, v in d["by_component"].items()]
    rows += [("kept 16-bit", f"{k['component']}: {fmt_bytes(k['bytes'])} - {k['reason']}")
             for k in d["kept_high_precision"]]
    return _rows(rows + _notes(d))


def _table_plan(d: dict) -> str:
    util = d.get("gpu_memory_utilization")
    budget = "budget" + (f" ({util:g} x {fmt_bytes(d['gpu_total_bytes'])})" if util else "")
    rows = [("model", str(d["model"])), ("deployment", f"{d['count']} x {d['gpu_name']}, {d['engine']}, "
                                          f"{d['weights_format']} weights, {d['kv_dtype']} KV"),
            ("workload", f"{d['batch']} x {d['seq_len']:,} tokens")]
    for name, term in d["terms"].items():
        flag = "" if term["in_budget"] else "  [outside budget]"
        rows.append((f"  {name}", f"{fmt_bytes(term['bytes'])}{flag}  {term['model']}"))
    rows += [("per GPU", fmt_bytes(d["per_gpu_bytes"])), (budget, fmt_bytes(d["gpu_usable_bytes"])),
             ("fits", "yes" if d["fits"] else "NO"), ("headroom", fmt_bytes(d["headroom_bytes"]))]
    if d["engine"] == "vllm":
        rows += [(f"vLLM {d['vllm_version']} would print", ""),
                 ("  model weights take", fmt_bytes(d["terms"]["weights"]["bytes"])),
                 ("  available KV cache memory", fmt_bytes(d["available_kv_cache_bytes"])),
                 ("  GPU blocks", f"{d['kv_cache_blocks']:,}"),
                 ("  GPU KV cache size", f"{d['kv_cache_tokens']:,} tokens"),
                 (f"  max concurrency for {d['seq_len']:,} tokens", f"{d['max_concurrency']:.2f}x")]
        if d["refusal"]:
            rows.append(("  vLLM would refuse to start", d["refusal"]))
    decode = d["decode_tokens_per_s_bound"]
    rows += [("max seq_len at this batch", f"{d['max_seq_len']:,} ({d['max_seq_len_limited_by']})"),
             ("max sequences at seq_len", f"{d['max_batch']:,}"),
             ("decode bound", f"{decode:,.1f} tokens/s (memory bandwidth roofline)" if decode is not None
              else "- (no bandwidth known for this GPU)")]
    return _rows(rows + _notes(d))


def _table_recommend(d: dict) -> str:
    lines = [f"{d['model']}: {d['weights_format']} weights, {d['batch']} x {d['seq_len']:,} tokens, "
             f"{d['kv_dtype']} KV, {d['engine']}"]
    for i, o in enumerate(d["options"], 1):
        lines.append(f"{i:>2}. {o['count']} x {o['gpu_name']:<32} per GPU {fmt_bytes(o['per_gpu_bytes'])}, "
                     f"headroom {fmt_bytes(o['headroom_bytes'])}")
    lines += [f"note: {n}" for n in d.get("notes", [])]
    return "\n".join(lines)


def _table_train(d: dict) -> str:
    rows = [("method", f"{d['method']}{' + gradient checkpointing' if d['gradient_checkpointing'] else ''}, "
                       f"{d['batch']} x {d['seq_len']:,} tokens"),
            ("trainable parameters", f"{d['trainable_params']:,} of {d['total_params']:,}")]
    rows += [(f"  {k}", f"{fmt_bytes(t['bytes'])}  {t['formula']}") for k, t in d["terms"].items()]
    rows.append(("peak", fmt_bytes(d["peak_bytes"])))
    if d.get("gpu"):
        rows.append((f"fits {d['gpu']}", f"{'yes' if d['fits'] else 'NO'} (headroom {fmt_bytes(d['headroom_bytes'])})"))
    return _rows(rows + _notes(d))


def _table_presets(d: dict) -> str:
    return "\n".join(d["presets"])


def _table_gpus(d: dict) -> str:
    lines = [f"{'key':<16} {'usable':>22} {'bandwidth':>12} {'BF16':>8} {'FP8':>8}  name"]
    for g in d["gpus"]:
        fp8 = f"{g['fp8_dense_tflops']:g}" if g["fp8_dense_tflops"] else "-"
        bf16 = f"{g['bf16_dense_tflops']:g}" if g["bf16_dense_tflops"] else "-"
        lines.append(f"{g['key']:<16} {g['usable_bytes'] / GIB:>9.2f} GiB ({g['usable_bytes'] / GB:>6.1f} GB) "
                     f"{g['bandwidth_bytes_per_s'] / GB:>7,.0f} GB/s {bf16:>8} {fp8:>8}  {g['name']}")
    lines.append("usable = what CUDA/ROCm/Metal lets a process allocate; TFLOPS are dense (no sparsity)")
    return "\n".join(lines)


_TABLES = {
    "params": _table_params,
    "kv": _table_kv,
    "weights": _table_weights,
    "plan": _table_plan,
    "recommend": _table_recommend,
    "train": _table_train,
    "presets": _table_presets,
    "gpus": _table_gpus,
}
