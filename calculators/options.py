"""Every option of every command, declared once.

The command line's parser (:mod:`calculators.cli`), the calculator pages' forms (hooks/calculator_widget.py), the
argv a page runs and the command line it shows are all built from :data:`COMMANDS`. An :class:`Option` states
what the command line needs (flag, type, default, choices, whether it is required, the help text) and what a page
needs (the value its field starts with, the values it offers). A page's field is named by the flag without its
dashes, as is the page URL's query parameter, so a page's state, its link and a command line are one thing:
:func:`page_argv` is the rule that turns a form's values into argv (the page's script follows it, with the flags
:func:`form_flags` gives it) and :func:`command_line` the shell text a page shows for that argv. The words a page
labels a field or a choice with are presentation, kept with the page.

Where a value comes from a table of the package (the GPU catalog, the KV-cache dtypes, the vLLM releases, the
training methods and optimizers, the engines), the option reads it from there.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, replace

from calculators.model.dtypes import KV_DTYPES
from calculators.plan.deployment import ENGINES, ENTRYPOINTS, TP_DEGREES
from calculators.plan.gpus import CATALOG
from calculators.plan.training import ATTENTION_IMPLEMENTATIONS, METHODS, OPTIMIZERS, TRAINING_DTYPES
from calculators.plan.vllm_releases import DEFAULT_VLLM_VERSION, RELEASES

#: CONFIG in a page's argv while a pasted config.json stands for the model: the file its command line reads.
PASTED_CONFIG = "config.json"
CONFIG_HELP = "config.json path, a directory holding one, or a preset's Hugging Face id"


@dataclass(frozen=True)
class Option:
    """One ``--flag`` of a command.

    ``type`` is int, float or str, or bool for a switch (given: True). ``default``, ``choices`` (the only values
    accepted; empty: any), ``required`` and ``help`` are the command line's. A page's field starts at
    ``page_default``, or at the command line's default where that is None (empty where there is none: the flag is
    left out). ``offered`` makes the field a list of those values (a value from a link that the list lacks is
    still accepted; the engine checks it) and ``suggested`` a text field with those suggestions.
    """

    flag: str  # without the leading "--"
    type: type = str
    default: object = None
    choices: tuple[str, ...] = ()
    required: bool = False
    help: str | None = None
    page_default: str | None = None
    offered: tuple[str, ...] = ()
    suggested: tuple[str, ...] = ()

    @property
    def widget(self) -> str:
        """The page's control: ``checkbox``, ``select``, ``number`` or ``text``."""
        if self.type is bool:
            return "checkbox"
        if self.choices or self.offered:
            return "select"
        return "number" if self.type in (int, float) else "text"

    @property
    def page_values(self) -> tuple[str, ...]:
        """A select's values, "" (the flag left out) first where the command line has no default; a text field's
        suggestions."""
        if self.widget != "select":
            return self.suggested
        optional = ("",) if self.default is None and not self.required else ()
        return (*optional, *(self.choices or self.offered))

    @property
    def start_value(self) -> str | bool:
        """The value the page's field starts with: False for a switch, "" for a flag left out."""
        if self.type is bool:
            return False
        if self.page_default is not None:
            return self.page_default
        return "" if self.default is None else str(self.default)

    def argparse_keywords(self) -> dict:
        """``add_argument``'s keywords for this option."""
        if self.type is bool:
            return {"action": "store_true", "help": self.help}
        return {"type": None if self.type is str else self.type, "default": self.default,
                "required": self.required, "choices": self.choices or None, "help": self.help}


@dataclass(frozen=True)
class Command:
    """A command: its help line, whether it reads a CONFIG, its options in order."""

    name: str
    help: str
    options: tuple[Option, ...] = ()
    takes_config: bool = True

    def option(self, flag: str) -> Option:
        return next(option for option in self.options if option.flag == flag)


# Example weight formats a page suggests (any format calculators.memory.formats.parse_format reads is accepted)
WEIGHT_FORMATS = ("bf16", "fp16", "fp32", "fp8", "fp8-block", "int8", "gptq-int8", "gptq-int4", "gptq-int4-g32",
                  "gptq-int3", "gptq-int2", "awq-int4", "mxfp4", "nf4", "nf4-dq", "bpw:4.5")
# The default release, then the first release of each range of vLLM's accounting, newest first
VLLM_VERSIONS = (DEFAULT_VLLM_VERSION, *(".".join(map(str, release.first)) for release in reversed(RELEASES)))
GPU_KEYS = tuple(gpu.key for gpu in CATALOG)
TP_CHOICES = tuple(str(degree) for degree in TP_DEGREES)

SEQ_LEN = Option("seq-len", int, required=True, help="tokens per sequence", page_default="8192")
BATCH = Option("batch", int, 1, help="concurrent sequences (default 1)")
KV_DTYPE = Option("kv-dtype", default="bf16", help="KV-cache dtype: bf16, fp16, fp32, fp8, int8, int4 ...",
                  offered=tuple(KV_DTYPES))
SHAPE = (SEQ_LEN, BATCH, KV_DTYPE)
DEPLOYMENT_WEIGHTS = Option("weights", help="weight format (see the weights command; default: the checkpoint's "
                            "quantization_config, else bf16)", suggested=WEIGHT_FORMATS)
ENGINE = Option("engine", default="vllm", choices=ENGINES)
VLLM_VERSION = Option("vllm-version", suggested=VLLM_VERSIONS,
                      help=f"vLLM release whose accounting to follow, e.g. 0.10.1 (default {DEFAULT_VLLM_VERSION})")
GPU_MEMORY_UTILIZATION = Option("gpu-memory-utilization", float,
                                help="vLLM's budget fraction (default: the release's, 0.92 from 0.20)")

COMMANDS = {command.name: command for command in (
    Command("params", "parameter counts: total, active per token, by component"),
    Command("kv", "KV cache and recurrent-state bytes", (
        *SHAPE,
        Option("block-size", int, help="round each sequence up to pages of S tokens"),
        Option("tp", int, 1, help="tensor-parallel ranks (per-GPU figures)", offered=TP_CHOICES),
        Option("mla-decompressed", bool, help="cache MLA as decompressed per-head K/V"),
    )),
    Command("weights", "weight memory in a storage format", (
        Option("weights", default="bf16", help="format: fp32, bf16, fp16, fp8, int8, gptq-int4, awq-int4, nf4, "
               "nf4-dq, bpw:<bits> ..."),
    )),
    Command("plan", "per-GPU memory plan for an inference engine", (
        DEPLOYMENT_WEIGHTS, *SHAPE,
        Option("gpu", help="GPU name, e.g. H100, A100-80GB, 'RTX 4090', MI300X", page_default="h100-sxm",
               offered=GPU_KEYS),
        Option("gpu-memory-gib", float, help="total GPU memory as torch.cuda.mem_get_info reports it (vLLM logs "
               "it), in GiB; replaces the catalog's figure, or stands alone for an unlisted GPU"),
        Option("count", int, 1, help="GPUs = tensor-parallel degree: 1, 2, 4 or 8", offered=TP_CHOICES),
        ENGINE, VLLM_VERSION, GPU_MEMORY_UTILIZATION,
        Option("max-num-batched-tokens", int, help="vLLM scheduler token budget"),
        Option("max-num-seqs", int, help="vLLM maximum concurrent sequences"),
        Option("block-size", int, help="KV page size in tokens (vLLM default 16)"),
        Option("enforce-eager", bool, help="vLLM without CUDA graphs"),
        Option("entrypoint", default="serve", choices=ENTRYPOINTS,
               help="vllm serve or the Python LLM() class (their scheduler defaults differ)"),
    )),
    Command("recommend", "GPU sets that fit, best first", (
        DEPLOYMENT_WEIGHTS, *SHAPE, ENGINE,
        replace(VLLM_VERSION, help=f"vLLM release whose accounting to follow (default {DEFAULT_VLLM_VERSION})"),
        GPU_MEMORY_UTILIZATION,
    )),
    Command("train", "training memory: full fine-tuning, LoRA, QLoRA", (
        Option("method", required=True, choices=METHODS, page_default="qlora"),
        Option("seq-len", int, 2048, help="tokens per sequence (default 2048)"),
        Option("batch", int, 1, help="micro-batch size per GPU (default 1)"),
        Option("gradient-checkpointing", bool, help="checkpoint every decoder layer"),
        Option("lora-rank", int, 16, help="LoRA rank r (default 16)"),
        Option("lora-targets", default="all-linear", help="'all-linear' or comma-separated module names"),
        Option("optimizer", choices=OPTIMIZERS),
        Option("grad-dtype", default="bf16", choices=TRAINING_DTYPES, help="full fine-tuning gradients"),
        Option("adapter-dtype", choices=TRAINING_DTYPES),
        Option("attention", default="sdpa", choices=ATTENTION_IMPLEMENTATIONS),
        Option("grad-accumulation-steps", int, 1),
        Option("gpu", help="check the peak against this GPU", page_default="rtx-4090", offered=GPU_KEYS),
    )),
    Command("presets", "list the bundled model presets", takes_config=False),
    Command("gpus", "list the GPU catalog", takes_config=False),
)}

#: The commands with a calculator page, each with the commands its page also runs on the same form: the GPU
#: planner lists every GPU set that fits, `recommend` with the options it shares with `plan`.
PAGES = {"params": (), "kv": (), "plan": ("recommend",), "train": ()}


def page_defaults(command: str) -> dict[str, str | bool]:
    """The values a page's form starts with, by flag."""
    return {option.flag: option.start_value for option in COMMANDS[command].options}


def page_argv(command: str, model: str, values: Mapping[str, str | bool]) -> list[str]:
    """The argv a page runs for its form's ``values`` (by flag): ``[command, model]``, then each option of
    ``command`` in declared order: a switch's flag where it is on, any other flag with its value where the value
    is not empty. ``model`` is :data:`PASTED_CONFIG` while a pasted config.json stands for the model."""
    argv = [command, model]
    for option in COMMANDS[command].options:
        value = values.get(option.flag)
        if option.type is bool:
            argv += [f"--{option.flag}"] if value else []
        elif value is not None and str(value).strip():
            argv += [f"--{option.flag}", str(value).strip()]
    return argv


def form_flags(command: str) -> list[tuple[str, bool]]:
    """(flag, whether it is a switch) of each option of ``command``, in order: what a page's script needs to follow
    :func:`page_argv`."""
    return [(option.flag, option.type is bool) for option in COMMANDS[command].options]


def command_line(argv: list[str]) -> str:
    """The shell command that prints the JSON of ``argv``, each word quoted as the shell needs
    (``shlex.split`` gives back the words)."""
    return shlex.join(["python", "-m", "calculators", *argv, "--json"])
