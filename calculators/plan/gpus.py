"""GPU catalog: memory, bandwidth and dense tensor throughput of the accelerators people plan LLMs on.

The data is ``calculators/data/gpus.json`` (package data, read once at import with ``importlib.resources``, so
it loads the same from a source tree, an installed wheel and Pyodide). It is a list of objects, in the order
the calculators list them (consumer, workstation, datacenter, Apple), each with these fields:

``key``, ``name``, ``vendor``, ``category``
    the id (``--gpu``, the site's GPU menus), the display name, "NVIDIA" | "AMD" | "Apple", and "consumer" |
    "workstation" | "datacenter" | "apple";
``aliases``
    more names :func:`get_gpu` accepts (matched case-insensitively, spaces, hyphens and underscores alike);
``memory_bytes``, ``memory_label``, ``reported_total_bytes``, ``usable_bytes``, ``usable_basis``
    memory, in bytes; see "Units" below;
``bandwidth_bytes_per_s``
    memory bandwidth, the datasheet's GB/s times 10**9 (``null``: not published);
``bf16_dense_tflops``, ``fp8_dense_tflops``
    dense tensor throughput; see "Throughput" below;
``compute_capability``
    CUDA compute capability ``[major, minor]`` (https://developer.nvidia.com/cuda-gpus), ``null`` for AMD and
    Apple; it becomes :data:`COMPUTE_CAPABILITY`, not a :class:`GPU` field;
``source_url``, ``notes``
    the datasheet, whitepaper or issue the figures come from, and how they were read or derived (with any
    further sources). ``usable_basis`` cites the memory total.

Derived numbers are stored as their results, and tests/calculators/test_catalog_data.py checks the rules:
a ``usable_bytes`` that is "modelled: nvidia-smi total N MiB - 700 MiB" is ``N MiB - 700 MiB``; a "measured"
GiB figure with two decimals is that figure times 2**30, rounded; an Apple working set is 3/4 of the RAM.

Units. Every byte count is an exact integer. GB means 10**9 bytes and GiB means 2**30 bytes; the two are never
mixed and every human-readable string labels its unit. Vendors market GPU memory in "GB", but the DRAM behind
the label is a power-of-two amount: the "80GB" of an H100 or A100 is 80 GiB = 85,899,345,920 bytes of HBM, the
"24GB" of an RTX 4090 is 24 GiB of GDDR6X. The catalog keeps three numbers per device:

``memory_bytes``
    the capacity the label names, read as GiB (``memory_label`` says so for each entry);
``reported_total_bytes``
    the total the driver tool prints (``nvidia-smi``'s ``Memory-Usage`` total in MiB, ``rocm-smi``'s VRAM
    total in bytes, or macOS's GPU working-set limit), cited per entry. ECC on GDDR6 cards (L4, A10, L40S)
    takes 1/16 of the DRAM, which is why an L4 shows 23,034 MiB of its 24 GiB;
``usable_bytes``
    what a CUDA/ROCm process can allocate in total: ``torch.cuda.mem_get_info()[1]`` (``cudaMemGetInfo``'s
    total), the number vLLM multiplies by ``gpu_memory_utilization`` and the "total capacity" PyTorch prints
    in out-of-memory errors. The planner budgets against this number. Where a measured value was found it is
    used (the lowest one seen, so the plan errs on the safe side) and ``usable_basis`` cites it; otherwise it
    is modelled as ``reported_total_bytes - 700 MiB`` (the driver's own reservation: the measured pairs below
    show 330-690 MiB between nvidia-smi's total and CUDA's), and ``usable_basis`` says "modelled".

Apple silicon has unified memory: the GPU may wire only ``recommendedMaxWorkingSetSize`` of it. macOS sets
that to 2/3 of RAM up to 36 GB and 3/4 above (llama.cpp prints it at start-up: 21,845.34 MB on a 32 GB M1 Max,
73,728 MB on a 96 GB M2 Max: https://github.com/ggml-org/llama.cpp/issues/3213 and
https://github.com/ggml-org/llama.cpp/pull/2011). We use the 3/4 rule for the 128 GB and 192 GB machines;
newer macOS releases were measured higher (107.52 GiB on 128 GiB, https://github.com/antirez/ds4/pull/893) and
``sudo sysctl iogpu.wired_limit_mb=<MiB>`` raises it, so the Apple figures are a conservative default.

Throughput. ``bf16_dense_tflops`` and ``fp8_dense_tflops`` are dense (no 2:4 sparsity) tensor-core peaks from
the vendor's datasheet or architecture whitepaper; datasheets often print the sparse figure, which is twice
the dense one. GeForce cards run 16-bit and FP8 matrix math with FP32 accumulation at half the FP16-accumulate
rate; the figures here are the FP32-accumulate ones that LLM kernels use. ``null`` (``None``) means the device has no
such tensor-core path (FP8 before Ada/Hopper/CDNA3) or the vendor publishes no figure (Apple).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib.resources import files

from calculators.errors import CalculatorError

GIB = 2**30
MIB = 2**20
GB = 10**9

# The driver's reservation between nvidia-smi's total and CUDA's total, for devices with no measured total.
# Measured pairs (nvidia-smi MiB total -> PyTorch/vLLM GiB total): H100 81,559 -> 79.18-79.33; A100-80GB
# 81,920 -> 79.35; A100-40GB 40,960 -> 39.39; L40S 46,068 -> 44.39; H200 143,771 -> 139.72; RTX 24 GB
# 24,564-24,576 -> 23.55-23.69. The largest gap is 690 MiB; 700 MiB is used.
DRIVER_RESERVED_MODEL_BYTES = 700 * MIB


@dataclass(frozen=True)
class GPU:
    """One accelerator model; see the module docstring for what each field means."""

    key: str
    name: str
    vendor: str
    category: str  # "consumer" | "workstation" | "datacenter" | "apple"
    aliases: tuple[str, ...]
    memory_bytes: int
    memory_label: str
    reported_total_bytes: int
    usable_bytes: int
    usable_basis: str
    bandwidth_bytes_per_s: int | None
    bf16_dense_tflops: float | None
    fp8_dense_tflops: float | None
    source_url: str
    notes: str = ""

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "vendor": self.vendor,
            "category": self.category,
            "aliases": list(self.aliases),
            "memory_bytes": self.memory_bytes,
            "memory_label": self.memory_label,
            "reported_total_bytes": self.reported_total_bytes,
            "usable_bytes": self.usable_bytes,
            "usable_basis": self.usable_basis,
            "bandwidth_bytes_per_s": self.bandwidth_bytes_per_s,
            "bf16_dense_tflops": self.bf16_dense_tflops,
            "fp8_dense_tflops": self.fp8_dense_tflops,
            "source_url": self.source_url,
            "notes": self.notes,
        }


def _load() -> tuple[tuple[GPU, ...], dict[str, tuple[int, int]]]:
    entries = json.loads((files("calculators") / "data" / "gpus.json").read_text(encoding="utf-8"))
    catalog, capability = [], {}
    for entry in entries:
        cc = entry.pop("compute_capability")
        gpu = GPU(**{**entry, "aliases": tuple(entry["aliases"])})
        catalog.append(gpu)
        if cc is not None:
            capability[gpu.key] = tuple(cc)
    return tuple(catalog), capability


#: Every GPU, in the data file's order. COMPUTE_CAPABILITY: CUDA compute capability by catalog key (kernels such
#: as vLLM's MXFP4 MoE path are chosen by it); AMD and Apple devices have none.
CATALOG, COMPUTE_CAPABILITY = _load()


def _normalise(name: str) -> str:
    """Case-insensitive; spaces, hyphens, underscores interchangeable; "nvidia"/"amd"/"geforce" optional."""
    text = re.sub(r"[\s_\-]+", " ", name.strip().lower())
    text = re.sub(r"^(nvidia|amd|apple) ", "", text)
    text = re.sub(r"^geforce ", "", text)
    return text.replace(" ", "")


_INDEX: dict[str, GPU] = {}
for _gpu in CATALOG:
    for _alias in (_gpu.key, _gpu.name, *_gpu.aliases):
        _INDEX.setdefault(_normalise(_alias), _gpu)


def get_gpu(name: str) -> GPU:
    """Look a GPU up by key, name or alias (case-insensitive; spaces, hyphens, underscores alike)."""
    if isinstance(name, GPU):
        return name
    if not isinstance(name, str) or not name.strip():
        raise CalculatorError("gpu", "gpu.name", value=repr(name))
    found = _INDEX.get(_normalise(name))
    if found is None:
        keys = ", ".join(g.key for g in CATALOG)
        raise CalculatorError("gpu", "gpu.unknown", value=repr(name), keys=keys)
    return found


def custom_gpu(total_bytes: int) -> GPU:
    """A GPU known only by the total memory a CUDA process sees on it (no bandwidth, no throughput)."""
    gib = total_bytes / GIB
    return GPU("custom", f"GPU with {gib:.2f} GiB", "unknown", "custom", (), total_bytes,
               f"{gib:.2f} GiB as given", total_bytes, total_bytes, "given: gpu_memory_gib", None, None, None, "")


def list_gpus() -> list[GPU]:
    return list(CATALOG)
