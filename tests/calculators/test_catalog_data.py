"""The package data (calculators/data/*.json): well formed, loaded as the modules say, and every stored number of
the GPU catalog traceable to the figure its ``usable_basis`` cites (the rules calculators/plan/gpus.py documents)."""

from __future__ import annotations

import json
import re
from importlib.resources import files

import pytest

from calculators.model.presets import PRESETS, preset_ids
from calculators.plan.gpus import CATALOG, COMPUTE_CAPABILITY, DRIVER_RESERVED_MODEL_BYTES, GB, GIB, GPU, MIB, get_gpu

_FIELDS = list(GPU.__dataclass_fields__)
# the GPU's fields, and compute_capability (which goes into COMPUTE_CAPABILITY) after the throughput
GPU_FIELDS = [*_FIELDS[:_FIELDS.index("source_url")], "compute_capability", *_FIELDS[_FIELDS.index("source_url"):]]


def read(name: str, **kwargs):
    return json.loads((files("calculators") / "data" / name).read_text(encoding="utf-8"), **kwargs)


def no_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate keys: {sorted(k for k in keys if keys.count(k) > 1)}"
    return dict(pairs)


@pytest.mark.parametrize("name", ["gpus.json", "presets.json"])
def test_data_files_are_strict_json_without_duplicate_keys(name):
    read(name, object_pairs_hook=no_duplicate_keys, parse_constant=lambda c: pytest.fail(f"{name}: {c}"))


def test_gpu_entries_have_every_field_in_order():
    entries = read("gpus.json")
    assert [entry["key"] for entry in entries] == [gpu.key for gpu in CATALOG]
    for entry in entries:
        assert list(entry) == GPU_FIELDS, entry["key"]


def test_presets_load_in_the_file_order_with_json_types():
    assert list(read("presets.json")) == preset_ids() == list(PRESETS)
    llama = PRESETS["meta-llama/Llama-3.1-8B"]
    assert llama["rms_norm_eps"] == 1e-05 and type(llama["rope_theta"]) is float
    assert type(llama["rope_scaling"]["original_max_position_embeddings"]) is int
    assert PRESETS["meta-llama/Llama-2-7b-hf"]["rope_scaling"] is None


def test_catalog_fields_are_well_formed():
    assert len({gpu.key for gpu in CATALOG}) == len(CATALOG)
    for gpu in CATALOG:
        assert gpu.vendor in {"NVIDIA", "AMD", "Apple"}, gpu.key
        assert gpu.category in {"consumer", "workstation", "datacenter", "apple"}, gpu.key
        assert isinstance(gpu.aliases, tuple) and all(isinstance(a, str) for a in gpu.aliases), gpu.key
        assert gpu.source_url.startswith("https://") and gpu.notes and gpu.usable_basis, gpu.key
        assert all(type(n) is int for n in (gpu.memory_bytes, gpu.reported_total_bytes, gpu.usable_bytes)), gpu.key
        assert 0 < gpu.usable_bytes <= gpu.reported_total_bytes <= gpu.memory_bytes, gpu.key
        assert type(gpu.bandwidth_bytes_per_s) is int and gpu.bandwidth_bytes_per_s % (GB // 10) == 0, gpu.key
        assert all(t is None or type(t) is float for t in (gpu.bf16_dense_tflops, gpu.fp8_dense_tflops)), gpu.key
        # CUDA devices have a compute capability; AMD and Apple have none
        assert (gpu.key in COMPUTE_CAPABILITY) == (gpu.vendor == "NVIDIA"), gpu.key
        if gpu.vendor == "NVIDIA":
            assert gpu.memory_bytes % GIB == 0 and gpu.reported_total_bytes % MIB == 0, gpu.key


def test_every_name_finds_one_gpu():
    owners = {}
    for gpu in CATALOG:
        for name in (gpu.key, gpu.name, *gpu.aliases):
            assert get_gpu(name) is gpu, name
            owners.setdefault(name.lower(), gpu.key)
            assert owners[name.lower()] == gpu.key, name


def usable_rule(gpu) -> int | None:
    """The usable total the basis text implies, by the rule it names (None: no rule applies)."""
    basis = gpu.usable_basis
    if m := re.search(r"nvidia-smi total ([\d,]+) MiB - 700 MiB", basis):
        assert gpu.reported_total_bytes == int(m[1].replace(",", "")) * MIB, gpu.key
        return gpu.reported_total_bytes - DRIVER_RESERVED_MODEL_BYTES
    if m := re.search(r"the (\d+) GiB label - 700 MiB", basis):
        return int(m[1]) * GIB - DRIVER_RESERVED_MODEL_BYTES
    if m := re.search(r"\b(\d+\.\d\d) ?GiB", basis):  # a GiB figure as PyTorch and vLLM print it
        return round(float(m[1]) * GIB)
    if m := re.search(r"assumed equal to the (.+?) \(", basis):
        return get_gpu(m[1]).usable_bytes
    if m := re.search(r"VRAM Total Memory \(B\): (\d+)", basis):
        return int(m[1])
    if m := re.search(r"pool of ([\d,]+) KB", basis):
        return int(m[1].replace(",", "")) * 1024
    if m := re.search(r"(\d+) GiB minus the (\d+) MiB", basis):
        return int(m[1]) * GIB - int(m[2]) * MIB
    if gpu.vendor == "Apple" and "3/4 of RAM" in basis:
        assert gpu.reported_total_bytes == gpu.usable_bytes, gpu.key
        return gpu.memory_bytes * 3 // 4
    return None


@pytest.mark.parametrize("gpu", CATALOG, ids=lambda gpu: gpu.key)
def test_usable_bytes_follow_from_the_cited_figure(gpu):
    assert usable_rule(gpu) == gpu.usable_bytes, gpu.usable_basis


def test_compute_capabilities_are_pairs_of_ints():
    for key, capability in COMPUTE_CAPABILITY.items():
        assert isinstance(capability, tuple) and len(capability) == 2, key
        assert all(type(n) is int for n in capability), key
