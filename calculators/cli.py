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
from collections.abc import Callable

from calculators.errors import CalculatorError
from calculators.messages.arguments import argparse_message
from calculators.options import COMMANDS, CONFIG_HELP

GIB = 2**30
GB = 10**9


class _UsageError(CalculatorError):
    """An argument-parsing error (unknown option, missing value); exit status 2 like CalculatorError."""

    def __init__(self, message: str, usage: str = ""):
        super().__init__("arguments", argparse_message(message))
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
    return run_localized(argv)("en")


def run_localized(argv: list[str], config: dict | None = None) -> Callable[[str], dict]:
    """Run one command and return its result as a function of the language its sentences (notes, how each term
    is computed) are rendered in: ``run_localized(argv)("en") == run_json(argv)``; ``("zh-TW")`` is the same dict
    in 繁體中文, for the pages' tables. Raises :class:`CalculatorError` as :func:`run_json` does.

    ``config``: a config.json already read (a dict) that stands for CONFIG, which is then only its label (a page's
    pasted config runs this way, labelled ``config.json``: the same result as the CLI on a file of that name)."""
    try:
        _, result = _run(list(argv) if isinstance(argv, (list, tuple)) else argv, config)
    except SystemExit:  # --help: there is no JSON for it
        raise CalculatorError("arguments", "arguments.help_without_json") from None
    return result


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit status (0, or 2 for bad input)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args, result = _run(argv)
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
    payload = result("en")
    if args.json:
        sys.stdout.write(json.dumps(payload, indent=2, allow_nan=False) + "\n")
    else:
        sys.stdout.write(_TABLES[args.command](payload) + "\n")
    return 0


# --------------------------------------------------------------------------------------------------------
# Parsing and dispatch


@functools.cache
def _parser() -> _Parser:
    """The command-line parser, built from the declaration of every option (calculators.options); built once:
    parsing does not change it, and building it is most of a call's cost."""
    parser = _Parser(prog="llm-calc", description="Memory calculators for large language models.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for command in COMMANDS.values():
        p = sub.add_parser(command.name, help=command.help, description=command.help)
        if command.takes_config:
            p.add_argument("config", metavar="CONFIG", help=CONFIG_HELP)
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        for option in command.options:
            p.add_argument(f"--{option.flag}", **option.argparse_keywords())
    return parser


def _run(argv: list[str], config: dict | None = None) -> tuple[argparse.Namespace, Callable[[str], dict]]:
    """The parsed arguments, and the command's result as a function of the language (its ``to_dict``)."""
    args = _parse(argv, config)
    return args, _COMMANDS[args.command](args)


def _parse(argv: list[str], config: dict | None) -> argparse.Namespace:
    """The parsed argv, with ``config_dict``: the config that stands for CONFIG, or None (CONFIG names it)."""
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise CalculatorError("argv", "value.string_list", value=repr(argv))
    args = _parser().parse_args(argv)  # --help prints and raises SystemExit(0)
    args.config_dict = config
    return args


def _spec(args: argparse.Namespace):
    """The ModelSpec of a given config dict, labelled CONFIG; else the one named by CONFIG: an existing path wins
    over a preset id of the same spelling."""
    import os
    import pathlib

    from calculators.model.configs import load_config, load_spec
    from calculators.model.families import model_spec

    source = args.config
    if args.config_dict is not None:
        return model_spec(args.config_dict, source=source)
    if source and len(source) < 4096 and os.path.exists(source):
        return model_spec(load_config(pathlib.Path(source)), source=source)
    return load_spec(source)


def _cmd_params(args) -> Callable[[str], dict]:
    from calculators.model.params import count_parameters

    counts = count_parameters(_spec(args))

    def payload(lang: str = "en") -> dict:
        out = counts.to_dict(lang)
        # the CLI contract's names (kept beside the API's own names)
        out.setdefault("total", counts.total)
        out.setdefault("active", counts.active)
        out.setdefault("breakdown", dict(counts.by_component))
        out.setdefault("checkpoint_only", counts.checkpoint_only)
        return out

    return payload


def _cmd_kv(args) -> Callable[[str], dict]:
    from calculators.memory.kv import kv_cache

    return kv_cache(_spec(args), seq_len=args.seq_len, batch=args.batch, kv_dtype=args.kv_dtype,
                    block_size=args.block_size, tp=args.tp, mla_decompressed=args.mla_decompressed).to_dict


def _cmd_weights(args) -> Callable[[str], dict]:
    from calculators.memory.weights import weight_memory

    return weight_memory(_spec(args), args.weights).to_dict


def _cmd_plan(args) -> Callable[[str], dict]:
    from calculators.plan.inference import memory_plan

    return memory_plan(_spec(args), seq_len=args.seq_len, **_plan_arguments(args)).to_dict


def plan_inputs(argv: list[str], config: dict | None = None):
    """The model and ``memory_plan``'s deployment keywords that ``plan`` ARGV describes (the chart draws the same);
    ``config`` as for :func:`run_localized`."""
    args = _parse(argv, config)
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


def _cmd_recommend(args) -> Callable[[str], dict]:
    from calculators.plan.inference import recommend

    return recommend(_spec(args), weights=args.weights, seq_len=args.seq_len, batch=args.batch,
                     kv_dtype=args.kv_dtype, engine=args.engine, vllm_version=args.vllm_version,
                     gpu_memory_utilization=args.gpu_memory_utilization).to_dict


def _cmd_train(args) -> Callable[[str], dict]:
    from calculators.plan.training import training_memory

    return training_memory(
        _spec(args), method=args.method, seq_len=args.seq_len, batch=args.batch,
        gradient_checkpointing=args.gradient_checkpointing, lora_rank=args.lora_rank,
        lora_targets=args.lora_targets, optimizer=args.optimizer, grad_dtype=args.grad_dtype,
        adapter_dtype=args.adapter_dtype, attention=args.attention,
        grad_accumulation_steps=args.grad_accumulation_steps, gpu=args.gpu,
    ).to_dict


def _cmd_presets(args) -> Callable[[str], dict]:
    from calculators.model.presets import PRESETS

    return lambda lang="en": {"presets": sorted(PRESETS)}


def _cmd_gpus(args) -> Callable[[str], dict]:
    from calculators.plan.gpus import CATALOG

    return lambda lang="en": {"gpus": [gpu.to_dict() for gpu in CATALOG]}


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
