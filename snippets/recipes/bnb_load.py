"""Load a model quantized on the fly with bitsandbytes: NF4 (4-bit) or LLM.int8() (8-bit).

No calibration and no saved checkpoint to prepare: the weights are quantized while they load. This is the
QLoRA-style path (NF4, double quantization, bf16 compute), handy for fine-tuning and experiments; for serving,
prefer a calibrated GPTQ/AWQ/FP8 checkpoint (see the llm-compressor recipes), which vLLM runs with fast kernels.
The tests run these loaders only on a CUDA GPU with bitsandbytes installed.

Note that this is *not* GPTQ: a guide that titles a `BitsAndBytesConfig` block "GPTQ" is wrong.
"""

import torch
from transformers import AutoModelForCausalLM, BitsAndBytesConfig

PIP_INSTALL = """
# --8<-- [start:install]
pip install "bitsandbytes==0.50.2" "accelerate==1.15.0"
# --8<-- [end:install]
"""

# --8<-- [start:configs]
NF4_CONFIG = BitsAndBytesConfig(
    load_in_4bit=True,
    bnb_4bit_quant_type="nf4",  # 4-bit NormalFloat: levels at the quantiles of a normal distribution
    bnb_4bit_use_double_quant=True,  # quantize the scales too: ~0.37 bit/parameter saved (QLoRA, sec. 3)
    bnb_4bit_compute_dtype=torch.bfloat16,  # dequantize to bf16 for each matmul
)
INT8_CONFIG = BitsAndBytesConfig(load_in_8bit=True)  # LLM.int8(): outlier features stay in 16-bit
# --8<-- [end:configs]


# --8<-- [start:load]
def load_nf4(model_dir):
    """Load `model_dir` (folder or Hub id) with 4-bit NF4 weights on the GPU."""
    return AutoModelForCausalLM.from_pretrained(model_dir, quantization_config=NF4_CONFIG, device_map="auto")


def load_int8(model_dir):
    """Load `model_dir` with LLM.int8() 8-bit weights on the GPU."""
    return AutoModelForCausalLM.from_pretrained(model_dir, quantization_config=INT8_CONFIG, device_map="auto")
# --8<-- [end:load]
