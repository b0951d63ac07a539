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
        round(bw_gb_s * GB),
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
        "rtx-3060-12gb",
        "NVIDIA GeForce RTX 3060 12GB",
        "consumer",
        ("3060", "rtx 3060", "geforce rtx 3060", "rtx 3060 12gb"),
        12,
        "12 GB GDDR6 (marketed GB = 12 GiB)",
        12288,
        None,
        "",
        360,
        25.5,
        None,
        "https://github.com/geerlingguy/raspberry-pi-pcie-devices/issues/790",
        "nvidia-smi total 12,288 MiB (geerlingguy/raspberry-pi-pcie-devices#790; an old PyTorch message shows "
        "11.76 GiB, TencentARC/PhotoMaker#47). BF16 25.5 TFLOPS derived from the GA106's SM count and clock.",
    ),
    _nvidia(
        "rtx-3080",
        "NVIDIA GeForce RTX 3080 (10 GB)",
        "consumer",
        ("3080", "rtx 3080", "geforce rtx 3080"),
        10,
        "10 GB GDDR6X (marketed GB = 10 GiB)",
        10240,
        _gib(9.78),
        "measured: PyTorch OOM message '9.78 GiB total capacity' (zai-org/CogVideo#34)",
        760,
        59.5,
        None,
        "https://www.nvidia.com/content/PDF/nvidia-ampere-ga-102-gpu-architecture-whitepaper-v2.pdf",
        "GA102 whitepaper: BF16 59.5 TFLOPS dense with FP32 accumulate. nvidia-smi total taken as the 10 GiB label.",
    ),
    _nvidia(
        "rtx-4060",
        "NVIDIA GeForce RTX 4060 (8 GB)",
        "consumer",
        ("4060", "rtx 4060", "geforce rtx 4060"),
        8,
        "8 GB GDDR6 (marketed GB = 8 GiB)",
        8192,
        _gib(7.75),
        "measured: 7.75 GiB total on a laptop RTX 4060 (EdgeRegNet issue #2); vLLM under WSL logs 8.00 GiB "
        "(vllm-project/vllm#13882)",
        272,
        30.2,
        60.5,
        "https://images.nvidia.com/aem-dam/Solutions/geforce/ada/nvidia-ada-gpu-architecture.pdf",
        "Dense FP32-accumulate rates derived from the listed 242 AI TOPS as for the RTX 4070: FP8 = 242/4, BF16 = /8. "
        "nvidia-smi total taken as the 8 GiB label.",
    ),
    _nvidia(
        "rtx-4060-ti-16gb",
        "NVIDIA GeForce RTX 4060 Ti 16GB",
        "consumer",
        ("4060 ti", "rtx 4060 ti", "geforce rtx 4060 ti", "4060ti", "rtx 4060 ti 16gb"),
        16,
        "16 GB GDDR6 (marketed GB = 16 GiB)",
        16384,
        16 * GIB - DRIVER_RESERVED_MODEL_BYTES,
        "modelled: no public total found; the 16 GiB label - 700 MiB driver reservation",
        288,
        44.1,
        88.3,
        "https://images.nvidia.com/aem-dam/Solutions/geforce/ada/nvidia-ada-gpu-architecture.pdf",
        "No public total found: modelled from the 16 GiB label. Dense FP32-accumulate rates from the listed 353 AI "
        "TOPS: FP8 = 353/4, BF16 = /8.",
    ),
    _nvidia(
        "rtx-4080",
        "NVIDIA GeForce RTX 4080",
        "consumer",
        ("4080", "rtx 4080", "geforce rtx 4080"),
        16,
        "16 GB GDDR6X (marketed GB = 16 GiB)",
        16384,
        16 * GIB - DRIVER_RESERVED_MODEL_BYTES,
        "modelled: no public total found; the 16 GiB label - 700 MiB driver reservation",
        716.8,
        97.5,
        194.9,
        "https://images.nvidia.com/aem-dam/Solutions/geforce/ada/nvidia-ada-gpu-architecture.pdf",
        "No public total found: modelled from the 16 GiB label. Dense FP32-accumulate rates from the listed 780 AI "
        "TOPS: FP8 = 780/4, BF16 = /8.",
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
        ("a10",),
        24,
        "24 GB GDDR6 with ECC (marketed GB = 24 GiB; ECC on)",
        23028,
        _gib(22.03),
        f"measured: {_OOM_SRC} 22.03 GiB (lowest seen on 24 GB ECC GDDR6 parts)",
        600,
        125.0,
        None,
        "https://www.nvidia.com/en-us/data-center/products/a10-gpu/",
        "Ampere: no FP8; BF16 125 dense (250 sparse).",
    ),
    _nvidia(
        "a10g",
        "NVIDIA A10G",
        "workstation",
        ("a10g", "aws a10g"),
        24,
        "24 GB GDDR6 with ECC (AWS G5 instances; marketed GB = 24 GiB; ECC on)",
        23028,
        _gib(22.03),
        "modelled: nvidia-smi shows the A10's 23,028 MiB (NVIDIA/DCGM#232), so the A10's measured 22.03 GiB; "
        "an old PyTorch message shows 22.49 (AUTOMATIC1111/stable-diffusion-webui#1259)",
        600,
        None,
        None,
        "https://github.com/NVIDIA/DCGM/issues/232",
        "Memory and bandwidth as the A10 (NVIDIA publishes no A10G datasheet; tensor throughput not published).",
    ),
    _nvidia(
        "l40",
        "NVIDIA L40",
        "workstation",
        ("l40",),
        48,
        "48 GB GDDR6 with ECC (marketed GB = 48 GiB; ECC on)",
        46068,
        _gib(44.40),
        f"measured: {_OOM_SRC} 44.40 GiB (QwenLM/Qwen3-VL#2097); nvidia-smi total as the L40S",
        864,
        181.05,
        362.0,
        "https://images.nvidia.com/content/Solutions/data-center/vgpu-L40-datasheet.pdf",
        "Datasheet: BF16 181.05 dense (362.1 sparse); FP8 362 dense (724 sparse).",
    ),
    _nvidia(
        "a40",
        "NVIDIA A40",
        "workstation",
        ("a40",),
        48,
        "48 GB GDDR6 with ECC (marketed GB = 48 GiB; ECC on)",
        46068,
        None,
        "",
        696,
        149.7,
        None,
        "https://images.nvidia.com/content/Solutions/data-center/a40/nvidia-a40-datasheet.pdf",
        "nvidia-smi total 46,068 MiB (thamada/nvidia-smi nvsim/A40x10_smi.py). Ampere: no FP8; BF16 149.7 dense.",
    ),
    _nvidia(
        "rtx-a6000",
        "NVIDIA RTX A6000",
        "workstation",
        ("rtx a6000", "a6000", "rtxa6000"),
        48,
        "48 GB GDDR6 (marketed GB = 48 GiB; ECC off by default)",
        49140,
        None,
        "",
        768,
        154.8,
        None,
        "https://www.nvidia.com/en-us/design-visualization/rtx-a6000/",
        "49,140 MiB with ECC off (the default), 46,068 MiB with ECC on (thamada/gls RTX_A6000_x9_smi.py). "
        "BF16 154.8 dense = half the 309.7 sparse figure.",
    ),
    _nvidia(
        "rtx-a5000",
        "NVIDIA RTX A5000",
        "workstation",
        ("rtx a5000", "a5000", "rtxa5000"),
        24,
        "24 GB GDDR6 (marketed GB = 24 GiB; ECC off by default)",
        24576,
        _gib(23.55),
        "modelled: no public total found; the measured total of the 24 GB GeForce cards (23.55 GiB)",
        768,
        111.1,
        None,
        "https://www.nvidia.com/en-us/design-visualization/rtx-a5000/",
        "Ampere: no FP8; BF16 111.1 dense = half the 222.2 sparse tensor figure.",
    ),
    # ---- datacenter ------------------------------------------------------------------------------
    _nvidia(
        "t4",
        "NVIDIA Tesla T4",
        "datacenter",
        ("t4", "tesla t4"),
        16,
        "16 GB GDDR6 with ECC (marketed GB = 16 GiB; ECC on)",
        15360,
        _gib(14.56),
        f"measured: {_OOM_SRC} 14.56 GiB (Zheng-Chong/CatVTON#133); nvidia-smi 15,360 MiB "
        "(robbyant-research/MagicQuill#57)",
        320,
        None,
        None,
        "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/tesla-t4/t4-tensor-core-datasheet-951643.pdf",
        "Turing: no BF16 (vLLM runs it in fp16; the datasheet gives 65 FP16 tensor TFLOPS) and no FP8.",
    ),
    _nvidia(
        "p100",
        "NVIDIA Tesla P100 16GB (PCIe)",
        "datacenter",
        ("p100", "tesla p100", "p100 16gb"),
        16,
        "16 GB HBM2 (marketed GB = 16 GiB)",
        16384,
        16 * GIB - DRIVER_RESERVED_MODEL_BYTES,
        "modelled: no public total found; the 16 GiB label - 700 MiB driver reservation",
        732,
        None,
        None,
        "https://images.nvidia.com/content/tesla/pdf/nvidia-tesla-p100-PCIe-datasheet.pdf",
        "Pascal: no tensor cores, no BF16 (18.7 FP16 TFLOPS); vLLM's CUDA kernels need compute capability 7.0, so "
        "plan it with engine transformers. No public total found: modelled from the 16 GiB label.",
    ),
    _nvidia(
        "v100-16gb",
        "NVIDIA Tesla V100 16GB",
        "datacenter",
        ("v100", "v100 16gb", "tesla v100", "v100-16gb", "v100-sxm2-16gb"),
        16,
        "16 GB HBM2 (marketed GB = 16 GiB)",
        16384,
        16 * GIB - DRIVER_RESERVED_MODEL_BYTES,
        "modelled: no public total found; the 16 GiB label - 700 MiB driver reservation",
        900,
        None,
        None,
        "https://images.nvidia.com/content/technologies/volta/pdf/volta-v100-datasheet-update-us-1165301-r5.pdf",
        "Volta: no BF16 (125 FP16 tensor TFLOPS SXM2, 112 PCIe), no FP8. No public total found: modelled from the "
        "16 GiB label.",
    ),
    _nvidia(
        "v100-32gb",
        "NVIDIA Tesla V100 32GB",
        "datacenter",
        ("v100 32gb", "v100-32gb", "v100-sxm2-32gb", "tesla v100 32gb"),
        32,
        "32 GB HBM2 (marketed GB = 32 GiB)",
        32768,
        _gib(31.73),
        "measured: vLLM log 'total_gpu_memory (31.73GiB)' on 4 x V100 32GB (vllm-project/vllm#11352); nvidia-smi "
        "32,768 MiB (Wan-Video/Wan2.1#5)",
        900,
        None,
        None,
        "https://images.nvidia.com/content/technologies/volta/pdf/volta-v100-datasheet-update-us-1165301-r5.pdf",
        "Volta: no BF16 (125 FP16 tensor TFLOPS SXM2, 112 PCIe), no FP8.",
    ),
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
    GPU(
        "mi250",
        "AMD Instinct MI250 (one GCD)",
        "AMD",
        "datacenter",
        ("mi250", "instinct mi250", "mi250x", "instinct mi250x"),
        64 * GIB,
        "64 GB HBM2e per GCD (an MI250 is two GCDs, each its own device; marketed GB = 64 GiB)",
        67092480 * 1024,
        67092480 * 1024,
        "measured: rocminfo pool of 67,092,480 KB per GCD (ROCm/rocm_smi_lib#160)",
        1638 * GB,
        181.0,
        None,
        "https://www.amd.com/en/products/accelerators/instinct/mi200/mi250.html",
        "Per GCD (PyTorch and vLLM see each GCD as one GPU): half the card's 3.2 TB/s and 362.1 BF16 TFLOPS. "
        "CDNA2: no FP8. The MI250X's GCD has the same memory (191.5 BF16 TFLOPS).",
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


#: CUDA compute capability by catalog key (https://developer.nvidia.com/cuda-gpus); kernels such as vLLM's MXFP4
#: MoE path are chosen by it. AMD and Apple devices have none.
COMPUTE_CAPABILITY = {
    "p100": (6, 0), "v100-16gb": (7, 0), "v100-32gb": (7, 0), "t4": (7, 5), "a100-40gb": (8, 0), "a100-80gb": (8, 0),
    "rtx-3060-12gb": (8, 6), "rtx-3080": (8, 6), "rtx-3090": (8, 6), "a10": (8, 6), "a10g": (8, 6), "a40": (8, 6),
    "rtx-a5000": (8, 6), "rtx-a6000": (8, 6), "rtx-4060": (8, 9), "rtx-4060-ti-16gb": (8, 9), "rtx-4070": (8, 9),
    "rtx-4080": (8, 9), "rtx-4090": (8, 9), "rtx-6000-ada": (8, 9), "l4": (8, 9), "l40": (8, 9), "l40s": (8, 9),
    "h100-sxm": (9, 0), "h100-pcie": (9, 0), "h200": (9, 0), "b200": (10, 0), "rtx-5090": (12, 0),
}


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


def custom_gpu(total_bytes: int) -> GPU:
    """A GPU known only by the total memory a CUDA process sees on it (no bandwidth, no throughput)."""
    gib = total_bytes / GIB
    return GPU("custom", f"GPU with {gib:.2f} GiB", "unknown", "custom", (), total_bytes,
               f"{gib:.2f} GiB as given", total_bytes, total_bytes, "given: gpu_memory_gib", None, None, None, "")


def list_gpus() -> list[GPU]:
    return list(CATALOG)
