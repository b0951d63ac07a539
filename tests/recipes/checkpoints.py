"""Readers for what a recipe wrote to disk: config.json's quantization_config and the raw safetensors tensors."""

import json
from pathlib import Path

import torch
from compressed_tensors.compressors.pack_quantized.helpers import unpack_from_int32
from safetensors import safe_open


def quantization_config(save_dir) -> dict | None:
    return json.loads((Path(save_dir) / "config.json").read_text()).get("quantization_config")


def saved_tensors(save_dir) -> dict[str, torch.Tensor]:
    """Every tensor in the checkpoint's safetensors files, by name (small checkpoints only)."""
    tensors = {}
    for file in sorted(Path(save_dir).glob("*.safetensors")):
        with safe_open(file, "pt") as f:
            tensors.update({name: f.get_tensor(name) for name in f.keys()})  # noqa: SIM118 (safe_open is not iterable)
    return tensors


def int4_codes(tensors: dict[str, torch.Tensor], module: str) -> torch.Tensor:
    """The int4 codes of a pack-quantized Linear, unpacked from int32 words to int8 values in [-8, 7]."""
    shape = torch.Size(tensors[f"{module}.weight_shape"].tolist())
    return unpack_from_int32(tensors[f"{module}.weight_packed"], num_bits=4, shape=shape)
