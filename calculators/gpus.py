"""GPU catalog: memory, bandwidth and dense tensor throughput of the accelerators people plan LLMs on.

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
rate; the figures here are the FP32-accumulate ones that LLM kernels use. ``None`` means the device has no
such tensor-core path (FP8 before Ada/Hopper/CDNA3) or the vendor publishes no figure (Apple).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import CalculatorError

GIB = 2**30
MIB = 2**20
GB = 10**9

# The driver's reservation between nvidia-smi's total and CUDA's total, for devices with no measured total.
# Measured pairs (nvidia-smi MiB total -> PyTorch/vLLM GiB total): H100 81,559 -> 79.18-79.33; A100-80GB
# 81,920 -> 79.35; A100-40GB 40,960 -> 39.39; L40S 46,068 -> 44.39; H200 143,771 -> 139.72; RTX 24 GB
# 24,564-24,576 -> 23.55-23.69. The largest gap is 690 MiB; 700 MiB is used.
DRIVER_RESERVED_MODEL_BYTES = 700 * MIB

_NVSMI_SRC = "nvidia-smi total"
_OOM_SRC = "PyTorch OOM message 'GPU 0 has a total capacity of'"


@dataclass(frozen=True)
class GPU:
    """One accelerator model; see the module docstring for what each memory field means."""

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
    bandwidth_bytes_per_s: int
    bf16_dense_tflops: float | None
    fp8_dense_tflops: float | None
    source_url: str
    notes: str = ""

    @property
    def memory_gib(self) -> float:
        return self.memory_bytes / GIB

    @property
    def usable_gib(self) -> float:
        return self.usable_bytes / GIB

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


def _gib(x: float) -> int:
    """A GiB figure printed with two decimals (as PyTorch and vLLM print them) as bytes."""
    return round(x * GIB)


def _nvidia(
    key, name, category, aliases, gib, label, smi_mib, usable, basis, bw_gb_s, bf16, fp8, url, notes=""
):
    reported = smi_mib * MIB
    if usable is None:
        usable = reported - DRIVER_RESERVED_MODEL_BYTES
        basis = f"modelled: {_NVSMI_SRC} {smi_mib:,} MiB - 700 MiB driver reservation"
    return GPU(
        key,
        name,
        "NVIDIA",
        category,
        aliases,
        gib * GIB,
        label,
        reported,
        usable,
        basis,
        bw_gb_s * GB,
        bf16,
        fp8,
        url,
        notes,
    )


def _apple(key, name, aliases, ram_gib, bw_gb_s, url):
    ram = ram_gib * GIB
    working_set = ram * 3 // 4
    return GPU(
        key,
        name,
        "Apple",
        "apple",
        aliases,
        ram,
        f"{ram_gib} GB unified memory (= {ram_gib} GiB LPDDR5/5X, shared by CPU and GPU)",
        working_set,
        working_set,
        "modelled: macOS recommendedMaxWorkingSetSize = 3/4 of RAM above 36 GB (llama.cpp start-up logs, "
        "ggml-org/llama.cpp#3213); raise with `sudo sysctl iogpu.wired_limit_mb`",
        bw_gb_s * GB,
        None,
        None,
        url,
        "Apple publishes no BF16/FP8 tensor throughput; unified memory is shared with macOS and apps.",
    )


_NV_H100 = "https://www.nvidia.com/en-us/data-center/h100/"
_NV_ADA_WP = "https://images.nvidia.com/aem-dam/Solutions/Data-Center/l4/nvidia-ada-gpu-architecture-whitepaper-v2.1.pdf"

CATALOG: tuple[GPU, ...] = (
    # ---- consumer --------------------------------------------------------------------------------
    _nvidia(
        "rtx-3090",
        "NVIDIA GeForce RTX 3090",
        "consumer",
        ("3090", "rtx 3090", "geforce rtx 3090"),
        24,
        "24 GB GDDR6X (marketed GB = 24 GiB)",
        24576,
        _gib(23.55),
        "measured: vLLM log 'total_gpu_memory (23.55GiB)' on a 24 GB GeForce (vllm-project/vllm logs, "
        "e.g. PR #14447 reports 23.58)",
        936,
        71.0,
        None,
        "https://www.nvidia.com/content/PDF/nvidia-ampere-ga-102-gpu-architecture-whitepaper-v2.pdf",
        "Ampere: no FP8 tensor cores; BF16 71 TFLOPS dense with FP32 accumulate (GA102 whitepaper).",
    ),
    _nvidia(
        "rtx-4070",
        "NVIDIA GeForce RTX 4070",
        "consumer",
        ("4070", "rtx 4070", "geforce rtx 4070"),
        12,
        "12 GB GDDR6X (marketed GB = 12 GiB)",
        12282,
        None,
        "",
        504,
        58.3,
        116.6,
        "https://www.nvidia.com/en-us/geforce/graphics-cards/40-series/rtx-4070-family/",
        "Dense FP32-accumulate rates derived from the listed 466 AI TOPS (FP8, sparse, FP16 accumulate): "
        "FP8 = 466/4, BF16 = 466/8.",
    ),
    _nvidia(
        "rtx-4090",
        "NVIDIA GeForce RTX 4090",
        "consumer",
        ("4090", "rtx 4090", "geforce rtx 4090"),
        24,
        "24 GB GDDR6X (marketed GB = 24 GiB)",
        24564,
        _gib(23.55),
        "measured: vLLM log 'total_gpu_memory (23.55GiB)' on a 24 GB GeForce; nvidia-smi 24,564 MiB "
        "(vllm-project/vllm#7553)",
        1008,
        165.2,
        330.3,
        _NV_ADA_WP,
        "Ada whitepaper: BF16 165.2 / FP8 330.3 TFLOPS dense with FP32 accumulate.",
    ),
    _nvidia(
        "rtx-5090",
        "NVIDIA GeForce RTX 5090",
        "consumer",
        ("5090", "rtx 5090", "geforce rtx 5090"),
        32,
        "32 GB GDDR7 (marketed GB = 32 GiB)",
        32607,
        None,
        "",
        1792,
        209.5,
        419.0,
        "https://images.nvidia.com/aem-dam/Solutions/geforce/blackwell/nvidia-rtx-blackwell-gpu-architecture.pdf",
        "RTX Blackwell whitepaper: BF16 209.5 / FP8 419 TFLOPS dense with FP32 accumulate.",
    ),
    # ---- workstation -----------------------------------------------------------------------------
    _nvidia(
        "rtx-6000-ada",
        "NVIDIA RTX 6000 Ada Generation",
        "workstation",
        ("rtx 6000 ada", "rtx6000 ada", "rtx 6000 ada generation", "6000 ada"),
        48,
        "48 GB GDDR6 (marketed GB = 48 GiB; ECC off by default)",
        49140,
        None,
        "",
        960,
        364.2,
        728.5,
        _NV_ADA_WP,
        "Ada whitepaper: BF16 364.2 / FP8 728.5 TFLOPS dense (workstation parts: full-rate FP32 accumulate).",
    ),
    _nvidia(
        "l40s",
        "NVIDIA L40S",
        "workstation",
        ("l40s", "l40 s"),
        48,
        "48 GB GDDR6 with ECC (marketed GB = 48 GiB; ECC on, so 45 GiB visible)",
        46068,
        _gib(44.39),
        f"measured: {_OOM_SRC} 44.39 GiB (lowest seen)",
        864,
        362.05,
        733.0,
        "https://www.nvidia.com/en-us/data-center/l40s/",
        "Datasheet: BF16 362.05 dense (733 sparse); FP8 733 dense (1,466 sparse).",
    ),
    _nvidia(
        "l4",
        "NVIDIA L4",
        "workstation",
        ("l4",),
        24,
        "24 GB GDDR6 with ECC (marketed GB = 24 GiB; ECC on, so 22.5 GiB visible)",
        23034,
        _gib(22.03),
        f"measured: {_OOM_SRC} 22.03 GiB (lowest seen on 24 GB ECC GDDR6 parts)",
        300,
        121.0,
        242.5,
        "https://www.nvidia.com/en-us/data-center/l4/",
        "Datasheet: BF16 121 dense (242 sparse); FP8 242.5 dense (485 sparse).",
    ),
    _nvidia(
        "a10",
        "NVIDIA A10",
        "workstation",
        ("a10", "a10g"),
        24,
        "24 GB GDDR6 with ECC (marketed GB = 24 GiB; ECC on)",
        23028,
        _gib(22.03),
        f"measured: {_OOM_SRC} 22.03 GiB (lowest seen on 24 GB ECC GDDR6 parts)",
        600,
        125.0,
        None,
        "https://www.nvidia.com/en-us/data-center/products/a10-gpu/",
        "Ampere: no FP8; BF16 125 dense (250 sparse). The A10G (AWS) is treated as an A10.",
    ),
    # ---- datacenter ------------------------------------------------------------------------------
    _nvidia(
        "a100-40gb",
        "NVIDIA A100 40GB (SXM4)",
        "datacenter",
        ("a100-40gb", "a100 40gb", "a100-sxm4-40gb", "a100 40"),
        40,
        "40 GB HBM2 (marketed GB = 40 GiB)",
        40960,
        _gib(39.39),
        "measured: PyTorch OOM message '39.39 GiB total capacity'",
        1555,
        312.0,
        None,
        "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf",
        "Ampere: no FP8; BF16 312 dense (624 sparse).",
    ),
    _nvidia(
        "a100-80gb",
        "NVIDIA A100 80GB (SXM4)",
        "datacenter",
        ("a100", "a100-80gb", "a100 80gb", "a100-sxm4-80gb", "a100 80"),
        80,
        "80 GB HBM2e (marketed GB = 80 GiB)",
        81920,
        _gib(79.35),
        "measured: PyTorch OOM message '79.35 GiB total capacity'",
        2039,
        312.0,
        None,
        "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf",
        "Ampere: no FP8; BF16 312 dense (624 sparse). PCIe variant: 1,935 GB/s.",
    ),
    _nvidia(
        "h100-sxm",
        "NVIDIA H100 SXM 80GB",
        "datacenter",
        (
            "h100",
            "h100 sxm",
            "h100-sxm",
            "h100 sxm 80gb",
            "h100-80gb",
            "h100 80gb",
            "h100 80gb hbm3",
            "h100-sxm5",
        ),
        80,
        "80 GB HBM3 (marketed GB = 80 GiB = 85,899,345,920 bytes)",
        81559,
        _gib(79.18),
        f"measured: {_OOM_SRC} 79.18 GiB (lowest seen; 79.22 in vLLM's logs, vllm-project/vllm#10511)",
        3350,
        989.4,
        1978.9,
        _NV_H100,
        "Datasheet prints sparse figures (1,979 BF16 / 3,958 FP8); dense is half.",
    ),
    _nvidia(
        "h100-pcie",
        "NVIDIA H100 PCIe 80GB",
        "datacenter",
        ("h100 pcie", "h100-pcie", "h100 pcie 80gb"),
        80,
        "80 GB HBM2e (marketed GB = 80 GiB)",
        81559,
        _gib(79.18),
        "assumed equal to the H100 SXM (same nvidia-smi total, 81,559 MiB)",
        2000,
        756.0,
        1513.0,
        _NV_H100,
        "Datasheet: BF16 1,513 / FP8 3,026 sparse; dense is half.",
    ),
    _nvidia(
        "h200",
        "NVIDIA H200 SXM 141GB",
        "datacenter",
        ("h200", "h200 sxm", "h200-sxm", "h200 141gb"),
        141,
        "141 GB HBM3e (marketed GB; nvidia-smi shows 143,771 MiB = 140.4 GiB)",
        143771,
        _gib(139.72),
        f"measured: {_OOM_SRC} 139.72 GiB (lowest seen)",
        4800,
        989.4,
        1978.9,
        "https://www.nvidia.com/en-us/data-center/h200/",
        "Same compute as the H100 SXM; datasheet figures are sparse.",
    ),
    _nvidia(
        "b200",
        "NVIDIA B200 180GB (HGX B200)",
        "datacenter",
        ("b200", "hgx b200", "b200 180gb"),
        180,
        "180 GB HBM3e per GPU in HGX/DGX B200 (nvidia-smi shows 183,359 MiB = 179.1 GiB)",
        183359,
        None,
        "",
        8000,
        2250.0,
        4500.0,
        "https://www.nvidia.com/en-us/data-center/hgx/",
        "HGX B200 (8 GPUs): 36 PFLOPS BF16 and 72 PFLOPS FP8 with sparsity; per GPU dense = /8/2.",
    ),
    GPU(
        "mi300x",
        "AMD Instinct MI300X",
        "AMD",
        "datacenter",
        ("mi300x", "mi300", "instinct mi300x"),
        192 * GIB,
        "192 GB HBM3 (marketed GB = 192 GiB)",
        205822885888,
        205822885888,
        "measured: rocm-smi 'VRAM Total Memory (B): 205822885888' = torch.cuda.mem_get_info() total on ROCm",
        5300 * GB,
        1307.4,
        2614.9,
        "https://www.amd.com/content/dam/amd/en/documents/instinct-tech-docs/data-sheets/amd-instinct-mi300x-data-sheet.pdf",
        "Datasheet: BF16 1,307.4 dense (2,614.9 sparse); FP8 2,614.9 dense (5,229.8 sparse).",
    ),
    GPU(
        "mi325x",
        "AMD Instinct MI325X",
        "AMD",
        "datacenter",
        ("mi325x", "instinct mi325x"),
        256 * GIB,
        "256 GB HBM3E (marketed GB = 256 GiB)",
        256 * GIB - 320 * MIB,
        256 * GIB - 320 * MIB,
        "modelled: 256 GiB minus the 320 MiB that the MI300X's driver reserves "
        "(206,158,430,208 - 205,822,885,888 bytes)",
        6000 * GB,
        1307.4,
        2614.9,
        "https://www.amd.com/content/dam/amd/en/documents/instinct-tech-docs/product-briefs/instinct-mi325x-datasheet.pdf",
        "Same compute as the MI300X with more and faster HBM.",
    ),
    # ---- Apple unified memory --------------------------------------------------------------------
    _apple(
        "m3-max-128gb",
        "Apple M3 Max (40-core GPU) 128GB",
        ("m3 max", "m3 max 128gb", "m3-max"),
        128,
        400,
        "https://www.apple.com/newsroom/2023/10/apple-unveils-m3-m3-pro-and-m3-max-the-most-advanced-chips-for-a-personal-computer/",
    ),
    _apple(
        "m4-max-128gb",
        "Apple M4 Max (40-core GPU) 128GB",
        ("m4 max", "m4 max 128gb", "m4-max"),
        128,
        546,
        "https://www.apple.com/newsroom/2024/10/apple-introduces-m4-pro-and-m4-max/",
    ),
    _apple(
        "m2-ultra-192gb",
        "Apple M2 Ultra 192GB",
        ("m2 ultra", "m2 ultra 192gb", "m2-ultra"),
        192,
        800,
        "https://www.apple.com/newsroom/2023/06/apple-introduces-m2-ultra/",
    ),
)


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
        raise CalculatorError("gpu", f"expected a GPU name such as 'H100' or 'RTX 4090', got {name!r}")
    found = _INDEX.get(_normalise(name))
    if found is None:
        keys = ", ".join(g.key for g in CATALOG)
        raise CalculatorError("gpu", f"unknown GPU {name!r}; expected one of: {keys}")
    return found


def list_gpus() -> list[GPU]:
    return list(CATALOG)
