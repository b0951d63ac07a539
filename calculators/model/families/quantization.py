"""The weight format a checkpoint declares in its ``quantization_config``, as a :mod:`calculators.memory.formats` name.

vLLM reads ``quantization_config`` from config.json and loads the checkpoint in that format unless told
otherwise (``--quantization``: "If None, we first check the quantization_config attribute in the model config
file"), so the planner's default format is the checkpoint's own. Methods and fields read:

* ``gptq``: ``bits``, ``group_size`` (-1: one group per row), ``sym``;
* ``awq``: ``bits`` / ``w_bit``, ``group_size`` / ``q_group_size``;
* ``fp8``: ``weight_block_size`` present: 128x128 block scales (``fp8-block``), else per-channel ``fp8``;
* ``compressed-tensors``: the first config group's ``weights``: ``num_bits``, ``type``, ``strategy``,
  ``group_size``, ``symmetric``;
* ``bitsandbytes``: ``load_in_4bit`` (``bnb_4bit_use_double_quant``: ``nf4-dq``) or ``load_in_8bit``;
* ``mxfp4``: gpt-oss's MXFP4 experts.

A method this does not know returns None, and the caller says so in a note.
"""

from __future__ import annotations

CHANNELWISE_GROUP = 1 << 20  # group_size -1: one scale per output row (ceil(in / g) = 1 for any real width)


def checkpoint_format(config: dict) -> str | None:
    """The format name for ``config["quantization_config"]``, or None when there is none or it is unknown."""
    qc = config.get("quantization_config")
    if not isinstance(qc, dict):
        return None
    method = str(qc.get("quant_method", "")).lower().replace("_", "-")
    if method in ("gptq", "gptq-marlin"):
        bits = _int(qc.get("bits"), 4)
        asym = qc.get("sym") is False
        return f"gptq-int{bits}-g{_group(qc.get('group_size'))}" + ("-asym" if asym else "")
    if method in ("awq", "awq-marlin"):
        group = _group(qc.get("group_size", qc.get("q_group_size")))
        return f"awq-int{_int(qc.get('bits', qc.get('w_bit')), 4)}-g{group}"
    if method == "fp8":
        return "fp8-block" if qc.get("weight_block_size") else "fp8"
    if method == "mxfp4":
        return "mxfp4"
    if method == "bitsandbytes":
        if qc.get("load_in_4bit"):
            return "nf4-dq" if qc.get("bnb_4bit_use_double_quant") else "nf4"
        return "int8" if qc.get("load_in_8bit") else None
    if method == "compressed-tensors":
        return _compressed_tensors(qc)
    return None


def _compressed_tensors(qc: dict) -> str | None:
    groups = qc.get("config_groups")
    if not isinstance(groups, dict) or not groups:
        return None
    first = next(iter(groups.values()))
    weights = first.get("weights") if isinstance(first, dict) else None
    if not isinstance(weights, dict):
        return None
    bits, kind, strategy = _int(weights.get("num_bits"), 0), weights.get("type"), weights.get("strategy")
    if kind == "float" and bits == 8:
        return "fp8-block" if strategy == "block" else "fp8"
    if kind == "int" and bits == 8 and strategy in ("channel", "tensor"):
        return "int8"
    if kind == "int" and bits in (2, 3, 4, 8):
        group = _group(weights.get("group_size")) if strategy == "group" else CHANNELWISE_GROUP
        return f"gptq-int{bits}-g{group}" + ("" if weights.get("symmetric", True) else "-asym")
    return None


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


def _group(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= CHANNELWISE_GROUP else CHANNELWISE_GROUP
    return 128
