"""繁體中文 (zh-TW) renderings of the English text the calculators produce, applied only when a page is rendered.

The engine speaks English: term descriptions (``terms[...]["model"]`` of ``plan``, ``terms[...]["formula"]`` of
``train``), notes (``result["notes"]``) and error messages (``str(CalculatorError)``, ``"FIELD: message"``). The
CLI's JSON must stay byte-for-byte the same in every language, so nothing is translated at the source; the
pages pass the English text through :func:`to_zh` when they render it.

Each entry of :data:`MESSAGES` is one English message shape: a regular expression of the whole text, with a
named group for every part that varies (numbers, dtypes, field names, GPU names, a value the user typed), and
a zh-TW template that puts those parts back unchanged. Error shapes start with the ``FIELD: `` prefix and
their templates keep it exactly, so a translated error still starts with the field it names. A few groups hold
English words that are themselves translated (see :data:`_GROUP_FILTERS`): a JSON parser message, the error
list inside the ``recommend`` note about skipped tensor-parallel degrees, a KV-cache dtype's description.

Text that no entry matches is returned unchanged: a page then shows English rather than a wrong translation.
The terms follow docs/_data/glossary.yml (量化、詞元、KV 快取、張量平行、預填充、解碼 ...) and the zh-TW
calculator pages (最佳化器、轉接器、記憶體剖析、工作區、遞迴層 ...).
"""

from __future__ import annotations

import re

_FLAGS = re.S


def _text(pattern: str, template: str) -> tuple[re.Pattern, str]:
    """A term description or a note: the whole English text."""
    return re.compile(pattern, _FLAGS), template


def _error(pattern: str, template: str) -> tuple[re.Pattern, str]:
    """An error message: ``FIELD: message`` (the field runs to the first ": "); the field is kept exactly."""
    return re.compile(r"(?P<field>(?:(?!: ).)+): " + pattern, _FLAGS), "{field}: " + template


# ----------------------------------------------------------------------------------------------------------------
# How each term is computed (plan: terms[...]["model"]; train: terms[...]["formula"])

TERMS: list[tuple[re.Pattern, str]] = [
    # plan (calculators/plan.py)
    _text(r"(?P<format>\S+) weights, sharded over (?P<tp>\d+) GPU\(s\) as vLLM shards them",
          "{format} 權重，依 vLLM 的切分方式分散到 {tp} 張 GPU"),
    _text(r"(?P<dtype>\S+) KV cache for (?P<batch>\d+) x (?P<seq_len>\d+) tokens, paged in blocks of (?P<block>\d+)",
          "{dtype} KV 快取：{batch} × {seq_len} 個詞元，以每區塊 {block} 個詞元分頁"),
    _text(r"(?P<dtype>\S+) KV cache for (?P<batch>\d+) x (?P<seq_len>\d+) tokens",
          "{dtype} KV 快取：{batch} × {seq_len} 個詞元"),
    _text(r"recurrent \(Mamba/DeltaNet\) state per sequence", "每個序列的遞迴層（Mamba/DeltaNet）狀態"),
    _text(r"profile run: forward of (?P<tokens>\d+) tokens \((?P<forward>[\d.,]+ GiB)\) "
          r"vs sampler on (?P<rows>\d+) rows \((?P<sampler>[\d.,]+ GiB)\)",
          "記憶體剖析執行：{tokens} 個詞元的前向傳播（{forward}）與處理 {rows} 列的取樣器（{sampler}），取較大者"),
    _text(r"CUDA graph buffers, capture sizes up to (?P<size>\d+), captured after the KV cache: outside the budget",
          "CUDA graph 的緩衝區，擷取大小最多 {size}；在 KV 快取之後才擷取，不在預算之內"),
    _text(r"CUDA graph buffers, capture sizes up to (?P<size>\d+)", "CUDA graph 的緩衝區，擷取大小最多 {size}"),
    _text(r"(?P<format>\S+) weights, sharded over (?P<tp>\d+) GPU\(s\) as vLLM shards them \(with (?P<extras>.+)\)",
          "{format} 權重，依 vLLM 的切分方式分散到 {tp} 張 GPU（含{extras}）"),
    _text(r"all memory outside PyTorch on the device, CUDA context included, as this release counts it",
          "裝置上 PyTorch 以外的全部記憶體（含 CUDA context），依此版本的計算方式計入"),
    _text(r"cuBLAS/attention workspaces outside PyTorch", "PyTorch 配置器以外的 cuBLAS 與注意力工作區"),
    _text(r"CUDA context, outside the gpu_memory_utilization budget",
          "CUDA context，不在 gpu_memory_utilization 的預算之內"),
    _text(r"max of the prefill of (?P<batch>\d+) x (?P<seq_len>\d+) tokens \((?P<prefill>[\d.,]+ GiB)\) and "
          r"a step's last-position logits \((?P<logits>[\d.,]+ GiB)\) \+ one layer's cache copy "
          r"\((?P<copy>[\d.,]+ GiB)\)",
          "取兩者中較大者：{batch} × {seq_len} 個詞元的預填充（{prefill}），"
          "或解碼一步時最後一個位置的 logits（{logits}）加上一層快取的複本（{copy}）"),
    _text(r"cuBLAS \+ cuBLASLt workspaces", "cuBLAS 與 cuBLASLt 的工作區"),
    _text(r"one NCCL communicator \(tp_plan\)", "一個 NCCL 通訊器（tp_plan）"),
    _text(r"CUDA context", "CUDA context（計入預算）"),
    # train (calculators/training.py)
    _text(r"(?P<dtype>\S+) weights: (?P<bytes>\d+) B x P", "{dtype} 權重：{bytes} B × P"),
    _text(r"(?P<dtype>\S+) master copy: (?P<bytes>\d+) B x P", "{dtype} 主權重副本：{bytes} B × P"),
    _text(r"(?P<dtype>\S+) gradients: (?P<bytes>\d+) B x P", "{dtype} 梯度：{bytes} B × P"),
    _text(r"AdamW (?P<dtype>\S+) first and second moments: (?P<bytes>\d+) B per trainable parameter",
          "AdamW 的 {dtype} 一階與二階動差：每個可訓練參數 {bytes} B"),
    _text(r"paged AdamW \((?P<bits>\d+)-bit\) moments: (?P<bytes>\d+) B per trainable parameter",
          "分頁式 AdamW（{bits} 位元）的動差：每個可訓練參數 {bytes} B"),
    _text(r"(?P<bits>\d+)-bit AdamW \(bitsandbytes, blockwise (?P<block>\d+)\): "
          r"~(?P<bytes>[\d.]+) B per trainable parameter",
          "{bits} 位元 AdamW（bitsandbytes，每 {block} 個值一個區塊）：每個可訓練參數約 {bytes} B"),
    _text(r"paged (?P<bits>\d+)-bit AdamW: ~(?P<bytes>[\d.]+) B per trainable parameter",
          "分頁式 {bits} 位元 AdamW：每個可訓練參數約 {bytes} B"),
    _text(r"SGD without momentum: no state", "不含動量的 SGD：沒有最佳化器狀態"),
    _text(r"frozen base in (?P<dtype>\S+): (?P<bytes>\d+) B x P", "凍結的 {dtype} 基礎模型：{bytes} B × P"),
    _text(r"frozen base in NF4 \+ double-quantized absmax \(bitsandbytes\), skipped modules in (?P<dtype>\S+)",
          "凍結的基礎模型以 NF4 儲存，absmax 經雙重量化（bitsandbytes）；略過的模組維持 {dtype}"),
    _text(r"largest NF4 weight dequantized to (?P<dtype>\S+) while in use",
          "最大的 NF4 權重在使用時反量化為 {dtype} 的暫存"),
    _text(r"LoRA A and B in (?P<dtype>\S+): (?P<bytes>\d+) B x r\(in\+out\)",
          "LoRA 的 A 與 B 矩陣（{dtype}）：{bytes} B × r(in+out)"),
    _text(r"adapter gradients in (?P<dtype>\S+)", "轉接器的梯度（{dtype}）"),
    _text(r"LM head input 2sbh \+ bf16 logits 2sbV \+ fp32 upcast 4sbV \+ fp32 log-softmax 4sbV",
          "LM head 的輸入 2sbh + bf16 logits 2sbV + 升為 fp32 的複本 4sbV + fp32 log-softmax 4sbV"),
    _text(r"one decoder layer's activations recomputed", "重新計算的一個解碼器層的激活值"),
    _text(r"CUDA context \(see calculators\.engines\.runtime\)", "CUDA context（見 calculators.engines.runtime）"),
    _text(r"cuBLAS \+ cuBLASLt workspaces \(see calculators\.engines\.runtime\)",
          "cuBLAS 與 cuBLASLt 的工作區（見 calculators.engines.runtime）"),
    _text(r"checkpointed layer inputs: 2sbh x (?P<layers>\d+) layers", "梯度檢查點保留的各層輸入：2sbh × {layers} 層"),
    _text(r"saved-for-backward tensors of (?P<layers>\d+) layers: (?P<bytes>[\d,]+) B per token "
          r"\(Korthikanti et al\. 2022 adapted to these shapes\)",
          "{layers} 層為反向傳播保存的張量：每個詞元 {bytes} B（依這些形狀改寫 Korthikanti et al. 2022）"),
]

# ----------------------------------------------------------------------------------------------------------------
# Notes (result["notes"]), from the engine and from the config readers (calculators/families)

NOTES: list[tuple[re.Pattern, str]] = [
    # plan.py
    _text(r"Apple GPU \(PyTorch MPS\): the cuda_context and gemm_workspace terms stand for the Metal runtime's own "
          r"allocations, modelled with the same constants",
          "Apple GPU（PyTorch MPS）：cuda_context 與 gemm_workspace 兩項代表 Metal 執行環境本身的配置，"
          "沿用相同的常數建模"),
    _text(r"(?P<gpu>.+) has no FP8 tensor cores: vLLM runs FP8 weights through its weight-only Marlin kernels "
          r"\(same memory, 16-bit compute\)",
          "{gpu} 沒有 FP8 張量核心：vLLM 以僅權重的 Marlin 核心執行 FP8 權重（記憶體用量相同，以 16 位元運算）"),
    _text(r"vLLM (?P<label>\S+): (?P<vllm_summary>.+)", "vLLM {label} 版的記憶體計算方式：{vllm_summary}"),
    _text(r"hybrid model: the recurrent state is counted per sequence beside the attention pages; vLLM's page "
          r"alignment of the two kinds is not modelled",
          "混合模型：遞迴層狀態按序列計入，與注意力分頁分開；vLLM 對兩者分頁大小的對齊未納入模型"),
    _text(r"seq_len (?P<seq_len>[\d,]+) is beyond the model's max_position_embeddings \((?P<cap>[\d,]+)\): vLLM "
          r"refuses such a max_model_len unless VLLM_ALLOW_LONG_MAX_MODEL_LEN=1, and quality is not assured",
          "seq_len {seq_len} 超過模型的 max_position_embeddings（{cap}）：除非設定 VLLM_ALLOW_LONG_MAX_MODEL_LEN=1，"
          "vLLM 不接受這樣的 max_model_len，而且品質沒有保證"),
    _text(r"weights: (?P<format>\S+), the format the config's quantization_config declares",
          "權重：{format}，即設定檔的 quantization_config 所宣告的格式"),
    _text(r"tensor-parallel degrees the model cannot be split into were skipped: (?P<skipped>.+)",
          "已略過模型無法切分的張量平行度：{skipped}"),
    _text(r"no catalogued GPU set of up to (?P<count>\d+) GPUs fits; try a smaller weight format or KV dtype",
          "型錄中沒有任何最多 {count} 張 GPU 的組合放得下；請改用較小的權重格式或 KV 快取資料型別"),
    # training.py
    _text(r"bitsandbytes keeps (?P<bytes>[\d,]+) bytes of the base in (?P<dtype>\S+) "
          r"\(see weights\.kept_high_precision\)",
          "bitsandbytes 把基礎模型中的 {bytes} 位元組保留為 {dtype}（見 weights.kept_high_precision）"),
    _text(r"paged optimizer states can be evicted to CPU RAM under memory pressure; counted on GPU",
          "分頁式最佳化器狀態在記憶體吃緊時可被移出到 CPU RAM；這裡仍計入 GPU"),
    _text(r"gradient accumulation: gradients persist through the forward pass and add to activations",
          "梯度累積：梯度在前向傳播期間仍然保留，與激活值同時占用記憶體"),
    # kv.py
    _text(r"sliding-window layers keep at most window - 1 tokens, as transformers' DynamicCache does",
          "滑動視窗層最多保留 window - 1 個詞元，與 transformers 的 DynamicCache 相同"),
    _text(r"MLA: per-head decompressed keys and values \(older transformers eager layout\), split across TP ranks",
          "MLA：每個頭各自解壓縮後的鍵與值（較舊的 transformers eager 排列方式），切分到各個 TP rank"),
    _text(r"MLA: one latent of kv_lora_rank \+ qk_rope_head_dim elements per token per layer, on every TP rank",
          "MLA：每層每個詞元一個潛在向量，含 kv_lora_rank + qk_rope_head_dim 個元素，每個 TP rank 各存一份"),
    _text(r"recurrent layers: constant state per sequence, in recurrent_state_bytes, not in kv_cache_bytes",
          "遞迴層：每個序列的狀態大小固定，計入 recurrent_state_bytes，不計入 kv_cache_bytes"),
    _text(r"(?P<dtype>\S+): per-tensor K/V scales \((?P<bytes>\d+) bytes per layer\) are not counted",
          "{dtype}：逐張量的 K/V 縮放因子（每層 {bytes} 位元組）未計入"),
    _text(r"(?P<dtype>\S+): (?P<kv_description>.+); scales are counted", "{dtype}：{kv_description}；縮放因子已計入"),
    # weights.py
    _text(r"some in_features are not multiples of the group size (?P<group>\d+): counted with ceil\(in/g\) groups "
          r"as GPTQ checkpoints do \(compressed-tensors refuses such shapes\)",
          "部分 in_features 不是群組大小 {group} 的倍數：依 GPTQ 檢查點的做法以 ceil(in/g) 個群組計算"
          "（compressed-tensors 不接受這種形狀）"),
    _text(r"checkpoint-only weights \(e\.g\. an MTP layer\) are not loaded by transformers and are excluded from "
          r"total_bytes; their size is checkpoint_only_bytes",
          "只存在於檢查點的權重（例如 MTP 層）不會由 transformers 載入，不計入 total_bytes；"
          "其大小見 checkpoint_only_bytes"),
    # families/
    _text(r"config\.model_type missing", "缺少 config.model_type"),
    _text(r"multimodal config \((?P<model_type>.+?)\): counted the text model that AutoModelForCausalLM builds from "
          r"text_config; the vision tower and multimodal projector are not counted",
          "多模態設定檔（{model_type}）：只計入 AutoModelForCausalLM 依 text_config 建立的文字模型；"
          "視覺塔與多模態投影層不計入"),
    _text(r"transformers' Falcon attention caches K/V broadcast to all num_attention_heads \((?P<heads>\d+)\); "
          r"the KV cache here counts the num_kv_heads \((?P<kv_heads>\d+)\) that vLLM stores",
          "transformers 的 Falcon 注意力會把 K/V 廣播到全部 num_attention_heads（{heads}）後再快取；"
          "這裡的 KV 快取計入的是 vLLM 實際儲存的 num_kv_heads（{kv_heads}）"),
    _text(r"(?P<key>\S+) ignored: transformers makes every layer after the dense ones MoE",
          "已忽略 {key}：transformers 會把稠密層之後的每一層都建成 MoE"),
    _text(r"(?P<key>\S+) ignored: every layer is estimated as full attention",
          "已忽略 {key}：每一層都以全注意力估算"),
    _text(r"(?P<key>\S+) ignored: (?P<model_type>.+) layers are all built alike",
          "已忽略 {key}：{model_type} 的每一層都以相同方式建立"),
    _text(r"(?P<layers>\d+) multi-token-prediction layer\(s\) \(num_nextn_predict_layers\) are in the checkpoint but "
          r"not built by transformers: listed as checkpoint_only, not in the total",
          "檢查點中有 {layers} 個多詞元預測（MTP）層（num_nextn_predict_layers），但 transformers 不會建立："
          "列為 checkpoint_only，不計入總數"),
    _text(r"(?P<alias>\S+) read as (?P<key>\S+)", "把 {alias} 當作 {key} 讀取"),
    _text(r"assumed every layer is MoE: (?P<experts>\d+) experts of size (?P<size>\d+), (?P<top_k>\d+) per token",
          "假設每一層都是 MoE：{experts} 個大小為 {size} 的專家，每個詞元使用 {top_k} 個"),
    _text(r"model_type (?P<model_type>.+) is not one of the supported families: estimated as a Llama-style decoder "
          r"\(q/k/v/o attention without biases, gated MLP of 3 matrices, RMSNorm, rotary positions\)",
          "model_type {model_type} 不屬於支援的模型家族：以 Llama 式的解碼器估算"
          "（q/k/v/o 注意力不含偏差項、由 3 個矩陣組成的閘控 MLP、RMSNorm、旋轉位置編碼）"),
    _text(r"(?P<key>\S+) not given: used the transformers default for (?P<model_type>.+), (?P<default>[^,]+)",
          "未指定 {key}：採用 transformers 對 {model_type} 的預設值 {default}"),
]

# ----------------------------------------------------------------------------------------------------------------
# Error messages: "FIELD: message" (CalculatorError, and argparse's errors under the field "arguments")

ERRORS: list[tuple[re.Pattern, str]] = [
    # argparse (calculators/cli.py turns its errors into CalculatorError("arguments", ...))
    _error(r"argument (?P<argument>\S+): invalid (?P<arg_type>\w+) value: (?P<value>.+)",
           "{argument} 的值無效：應為{arg_type}，但收到 {value}"),
    _error(r"argument (?P<argument>\S+): invalid choice: (?P<value>.+?), maybe you meant (?P<closest>.+?)\? "
           r"\(choose from (?P<choices>.+)\)",
           "{argument} 的值無效：應為 {choices} 其中之一，但收到 {value}；你要找的是不是 {closest}？"),
    _error(r"argument (?P<argument>\S+): invalid choice: (?P<value>.+) \(choose from (?P<choices>.+)\)",
           "{argument} 的值無效：應為 {choices} 其中之一，但收到 {value}"),
    _error(r"argument (?P<argument>\S+): expected one argument", "{argument} 後面需要一個值"),
    _error(r"argument (?P<argument>\S+): ignored explicit argument (?P<value>.+)",
           "{argument} 不接受值，但收到 {value}"),
    _error(r"the following arguments are required: (?P<arguments>.+)", "缺少必要的引數：{arguments}"),
    _error(r"unrecognized arguments: (?P<arguments>.+)", "無法辨識的引數：{arguments}"),
    _error(r"ambiguous option: (?P<option>\S+) could match (?P<matches>.+)",
           "選項 {option} 不明確，可能是 {matches}"),
    _error(r"--help prints text; run it without run_json", "--help 只會印出說明文字；請勿透過 run_json 執行"),
    _error(r"is nested (?P<depth>[\d,]+) levels deep; a config\.json is at most (?P<limit>\d+)",
           "巢狀深度為 {depth} 層；config.json 最多 {limit} 層"),
    # deployment.py and engines/
    _error(r"expected a vLLM version such as 0\.10\.1 or 0\.33; got (?P<value>.+)",
           "應為 vLLM 的版本號，例如 0.10.1 或 0.33，但收到 {value}"),
    _error(r"this calculator models vLLM (?P<low>\S+) to (?P<high>\S+); got (?P<value>.+?) \(0\.34 sizes the KV cache "
           r"from measured free memory, the extensible KV cache, which is not modelled\)",
           "此計算器涵蓋 vLLM {low} 到 {high}，但收到 {value}（0.34 起改依實測的可用記憶體決定 KV 快取大小，"
           "即可擴充 KV 快取，未納入模型）"),
    _error(r"this calculator models vLLM (?P<low>\S+) to (?P<high>\S+); got (?P<value>.+)",
           "此計算器涵蓋 vLLM {low} 到 {high}，但收到 {value}"),
    _error(r"vLLM (?P<label>\S+) does not load bitsandbytes checkpoints \(removed in 0\.28\.0\); choose "
           r"--vllm-version 0\.27 or earlier, or another format",
           "vLLM {label} 不再載入 bitsandbytes 檢查點（0.28.0 已移除）；請選擇 --vllm-version 0.27 或更早的版本，"
           "或改用其他格式"),
    _error(r"expected a number of GiB in \(0, (?P<high>\d+)\], got (?P<value>.+)",
           "應為 (0, {high}] 之間的 GiB 數，但收到 {value}"),
    _error(r"name a GPU \(e\.g\. H100, 'RTX 4090'\) or give its memory with gpu_memory_gib",
           "請指定一款 GPU（例如 H100、'RTX 4090'），或以 gpu_memory_gib 給出它的記憶體"),
    _error(r"(?P<kv>\d+) KV heads \(layer (?P<layer>\d+)\) must divide the (?P<heads>\d+) attention heads",
           "{kv} 個 KV 頭（第 {layer} 層）必須能整除 {heads} 個注意力頭"),
    _error(r"(?P<top_k>\d+) experts per token is more than the (?P<experts>\d+) experts",
           "每個詞元使用 {top_k} 個專家，多於總共的 {experts} 個專家"),
    # errors.py validators
    _error(r"expected a positive integer, got (?P<value>.+)", "應為正整數，但收到 {value}"),
    _error(r"expected an integer from (?P<low>-?[\d,]+) to (?P<high>-?[\d,]+), got (?P<value>.+)",
           "應為 {low} 到 {high} 之間的整數，但收到 {value}"),
    _error(r"expected a non-negative integer, got (?P<value>.+)", "應為非負整數，但收到 {value}"),
    _error(r"expected true or false, got (?P<value>.+)", "應為 true 或 false，但收到 {value}"),
    _error(r"expected one of (?P<options>.+?) for (?P<model_type>\S+); got (?P<value>.+)",
           "{model_type} 的層種類應為 {options} 其中之一，但收到 {value}"),
    _error(r"expected one of (?P<options>.+?); got (?P<value>.+)", "應為 {options} 其中之一，但收到 {value}"),
    # cli.py, params.py, kv.py, spec.py
    _error(r"expected a list of strings, got (?P<value>.+)", "應為字串清單，但收到 {value}"),
    _error(r"expected a ModelSpec \(from model_spec\), got (?P<type>.+)",
           "應為 ModelSpec（由 model_spec 產生），但收到 {type}"),
    _error(r"expected a JSON object \(dict\), got (?P<type>.+)", "應為 JSON 物件（dict），但收到 {type}"),
    _error(r"expected a string, got (?P<value>.+)", "應為字串，但收到 {value}"),
    # configs.py
    _error(r"is not UTF-8 text \((?P<utf8_reason>.+) at byte (?P<position>\d+)\)",
           "不是 UTF-8 文字（位元組位置 {position}：{utf8_reason}）"),
    _error(r"expected JSON text, got (?P<type>.+)", "應為 JSON 文字，但收到 {type}"),
    _error(r"is (?P<length>[\d,]+) characters; a config\.json is at most (?P<limit>[\d,]+)",
           "長達 {length} 個字元；config.json 最多只能有 {limit} 個字元"),
    _error(r"is not valid JSON \((?P<json_message>.+) at line (?P<line>\d+) column (?P<column>\d+)\)",
           "不是有效的 JSON（第 {line} 行第 {column} 個字元：{json_message}）"),
    _error(r"is not usable JSON \((?P<type>\w+)\)", "無法使用這份 JSON（{type}）"),
    _error(r"expected a JSON object \(\{\.\.\.\}\), got a JSON (?P<json_type>\w+)",
           "應為 JSON 物件（{{...}}），但收到的是 JSON {json_type}"),
    _error(r"expected a preset id, got (?P<value>.+)", "應為內建模型的 ID，但收到 {value}"),
    _error(r"unknown preset (?P<value>.+); did you mean (?P<close>.+)\?",
           "未知的內建模型 {value}；你要找的是不是 {close}？"),
    _error(r"unknown preset (?P<value>.+); see calculators\.presets\.PRESETS",
           "未知的內建模型 {value}；可用的 ID 見 calculators.presets.PRESETS"),
    _error(r"expected a preset id, a path to config\.json, or JSON text; got (?P<type>.+)",
           "應為內建模型的 ID、config.json 的路徑或 JSON 文字，但收到 {type}"),
    _error(r"(?P<value>.+) is not a preset id, an existing config\.json path, or JSON text",
           "{value} 不是內建模型的 ID、現有的 config.json 路徑，也不是 JSON 文字"),
    _error(r"cannot read (?P<path>.+): (?P<os_error>.+)", "無法讀取 {path}：{os_error}"),
    # gpus.py
    _error(r"expected a GPU name such as 'H100' or 'RTX 4090', got (?P<value>.+)",
           "應為 GPU 名稱，例如 'H100' 或 'RTX 4090'，但收到 {value}"),
    _error(r"unknown GPU (?P<value>.+); expected one of: (?P<keys>.+)", "未知的 GPU {value}；可用的有：{keys}"),
    # kv.py
    _error(r"must divide the number of attention heads \((?P<heads>\d+)\); got (?P<value>.+)",
           "必須能整除注意力頭數（{heads}），但收到 {value}"),
    _error(r"must divide the number of KV heads \((?P<kv_heads>\d+)\) or be a multiple of it; got (?P<value>.+)",
           "必須能整除 KV 頭數（{kv_heads}）或是它的倍數，但收到 {value}"),
    _error(r"must divide the (?P<kind>\S+) heads/channels \((?P<heads>\d+)\) to split its state; got (?P<value>.+)",
           "必須能整除 {kind} 的頭數／通道數（{heads}）才能切分它的狀態，但收到 {value}"),
    # training.py
    _error(r"expected 'all-linear' or module names, got (?P<value>.+)", "應為 'all-linear' 或模組名稱，但收到 {value}"),
    _error(r"no linear weight named (?P<value>.+); expected some of (?P<names>.+)",
           "沒有名為 {value} 的線性層權重；可用的名稱有 {names}"),
    # plan.py
    _error(r"expected at least one context length", "至少需要一個上下文長度"),
    _error(r"expected a tensor-parallel degree of 1, 2, 4 or 8; got (?P<value>.+)",
           "張量平行度應為 1、2、4 或 8，但收到 {value}"),
    _error(r"(?P<heads>\d+) attention heads \(layer (?P<layer>\d+)\) cannot be split across (?P<tp>\d+) GPUs: "
           r"tensor parallelism needs the head count divisible by the GPU count",
           "{heads} 個注意力頭（第 {layer} 層）無法平均分配到 {tp} 張 GPU：張量平行需要注意力頭數能被 GPU 數整除"),
    _error(r"(?P<kv_heads>\d+) KV heads \(layer (?P<layer>\d+)\) cannot be split or replicated evenly across "
           r"(?P<tp>\d+) GPUs \(vLLM needs kv_heads % tp == 0, or tp % kv_heads == 0 when tp > kv_heads\)",
           "{kv_heads} 個 KV 頭（第 {layer} 層）無法在 {tp} 張 GPU 之間平均切分或複製"
           "（vLLM 要求 kv_heads % tp == 0；tp > kv_heads 時則要求 tp % kv_heads == 0）"),
    _error(r"(?P<heads>\d+) recurrent heads \(layer (?P<layer>\d+)\) cannot be split across (?P<tp>\d+) GPUs",
           "{heads} 個遞迴層的頭（第 {layer} 層）無法平均分配到 {tp} 張 GPU"),
    _error(r"(?P<name>\S+) width (?P<width>\d+) is not divisible by (?P<tp>\d+) GPUs "
           r"\(column/row-parallel layers split it evenly\)",
           "{name} 的寬度 {width} 無法被 {tp} 張 GPU 整除（column-parallel 與 row-parallel 層需要平均切分它）"),
    _error(r"vLLM does not run on Apple GPUs; use engine 'transformers' \(MPS\)",
           "vLLM 無法在 Apple GPU 上執行；請改用 'transformers' 推論引擎（MPS）"),
    _error(r"Apple GPUs are planned one at a time; got count (?P<value>.+)",
           "Apple GPU 一次只能規劃一張，但收到的數量為 {value}"),
    _error(r"expected a number in \(0, 1\], got (?P<value>.+)", "應為 (0, 1] 區間內的數字，但收到 {value}"),
    _error(r"applies to engine 'vllm' only", "只適用於 'vllm' 推論引擎"),
    # weights.py
    _error(r"bpw:<bits> needs bits between 1 and 32, got (?P<value>.+)",
           "bpw:<bits> 的位元數必須介於 1 到 32 之間，但收到 {value}"),
    _error(r"(?P<method>\w+) supports (?P<allowed>int\d+(?:, int\d+)*); got (?P<value>\S+)",
           "{method} 只支援 {allowed}，但收到 {value}"),
    _error(r"group size must be a positive integer, got (?P<value>.+)", "群組大小必須是正整數，但收到 {value}"),
    _error(r"awq is asymmetric \(it stores zero points\); drop '-sym'",
           "awq 是非對稱量化（會儲存零點）；請去掉 '-sym'"),
    _error(r"expected transformers or vllm; got (?P<value>.+)", "應為 transformers 或 vllm，但收到 {value}"),
    _error(r"(?P<format>\S+) is not a quantized linear format", "{format} 不是量化線性層的格式"),
    _error(r"linear tensor (?P<name>.+) has shape (?P<shape>\(.*\))",
           "線性層張量 {name} 的形狀為 {shape}，不是矩陣"),
    # families/
    _error(r"must be an integer when use_sliding_window is true", "use_sliding_window 為 true 時必須是整數"),
    _error(r"must be smaller than (?P<other>\S+) \((?P<period>\d+)\)", "必須小於 {other}（{period}）"),
    _error(r"expected an integer or \"auto\", got (?P<value>.+)", "應為整數或 \"auto\"，但收到 {value}"),
    _error(r"must divide num_attention_heads \((?P<heads>\d+)\) for grouped-query attention; got (?P<value>.+)",
           "分組查詢注意力要求它能整除 num_attention_heads（{heads}），但收到 {value}"),
    _error(r"must divide (?P<other>\w+) \((?P<size>\d+)\); got (?P<value>.+)",
           "必須能整除 {other}（{size}），但收到 {value}"),
    _error(r"only decoder-only GPT-2 \(false\) is supported", "只支援純解碼器（decoder-only）的 GPT-2（false）"),
    _error(r"model_type (?P<model_type>.+) has no reader, and estimating it needs (?P<names>.+) \(integers\)",
           "model_type {model_type} 沒有對應的讀取器，要估算它需要 {names}（整數）"),
    _error(r"expected a JSON object, got (?P<value>.+)", "應為 JSON 物件，但收到 {value}"),
    _error(r"must not exceed hidden_size \((?P<hidden>\d+)\) when head_dim is not given; got (?P<value>.+)",
           "未指定 head_dim 時不可超過 hidden_size（{hidden}），但收到 {value}"),
    _error(r"missing; sliding_attention layers need a window \(a positive integer\)",
           "缺少此欄位；sliding_attention 層需要視窗大小（正整數）"),
    _error(r"must not exceed the number of experts \((?P<experts>\d+)\); got (?P<value>.+)",
           "不可超過專家數（{experts}），但收到 {value}"),
    _error(r"conflicts with (?P<other>\S+) \((?P<this_value>.+) != (?P<other_value>.+)\); give one",
           "與 {other} 衝突（{this_value} != {other_value}）；請只給其中一個"),
    _error(r"missing; a (?P<model_type>.+) config needs (?P<names>.+) \(an integer\)",
           "缺少此欄位；{model_type} 的設定檔需要 {names}（整數）"),
    _error(r"expected an integer, got (?P<value>.+)", "應為整數，但收到 {value}"),
    _error(r"expected a list of integers, got (?P<value>.+)", "應為整數清單，但收到 {value}"),
    _error(r"expected one entry per layer \((?P<layers>\d+)\), got (?P<value>\d+)",
           "應為每層一個項目（共 {layers} 個），但收到 {value} 個"),
]

#: Every shape, in the order they are tried: term descriptions, notes, then errors.
MESSAGES: list[tuple[re.Pattern, str]] = [*TERMS, *NOTES, *ERRORS]

# ----------------------------------------------------------------------------------------------------------------
# Groups whose English text is translated too (by group name); every other group is inserted unchanged.

#: KV-cache dtype descriptions (calculators.dtypes.KV_DTYPES) quoted by the kv notes.
KV_DESCRIPTIONS: list[tuple[re.Pattern, str]] = [
    _text(r"(?P<base>.+?) \+ one (?P<scale>\S+) scale per token per head",
          "{base}，每個詞元的每個頭各有一個 {scale} 縮放因子"),
    _text(r"(?P<base>.+?) \+ one (?P<scale>\S+) scale per (?P<elements>\d+) elements",
          "{base}，每 {elements} 個元素一個 {scale} 縮放因子"),
]

_JSON_MESSAGES = {  # json.JSONDecodeError.msg (CPython 3.11-3.13)
    "Expecting value": "此處應為一個值",
    "Expecting property name enclosed in double quotes": "此處應為以雙引號括住的屬性名稱",
    "Expecting ',' delimiter": "此處應為逗號 ','",
    "Expecting ':' delimiter": "此處應為冒號 ':'",
    "Unterminated string starting at": "字串從此處開始卻沒有結尾",
    "Invalid control character at": "無效的控制字元",
    "Invalid \\escape": "無效的跳脫字元",
    "Invalid \\uXXXX escape": "無效的 \\uXXXX 跳脫序列",
    "Extra data": "JSON 結束後還有多餘的資料",
    "Illegal trailing comma before end of object": "物件結尾前不可有多餘的逗號",
    "Illegal trailing comma before end of array": "陣列結尾前不可有多餘的逗號",
}
_UTF8_REASONS = {  # UnicodeDecodeError.reason
    "invalid start byte": "無效的起始位元組",
    "invalid continuation byte": "無效的延續位元組",
    "unexpected end of data": "資料意外結束",
}
_OS_ERRORS = {  # OSError.strerror
    "No such file or directory": "找不到檔案或目錄",
    "Permission denied": "權限不足",
    "Is a directory": "這是目錄，不是檔案",
    "Not a directory": "路徑中有一部分不是目錄",
    "File name too long": "檔名太長",
}
_JSON_TYPES = {"list": "陣列（list）", "str": "字串（str）", "int": "整數（int）", "float": "數字（float）",
               "bool": "布林值（bool）", "NoneType": "null"}
_ARG_TYPES = {"int": "整數", "float": "數字"}


def _skipped(text: str) -> str:
    """``"rtx-4070 x2: count: <error>; rtx-4070 x4: count: <error>"``: each error translated."""
    items = []
    for item in re.split(r"; (?=\S+ x\d+: )", text):
        match = re.fullmatch(r"(\S+ x\d+): (.*)", item, _FLAGS)
        items.append(f"{match[1]}: {to_zh(match[2])}" if match else to_zh(item))
    return "；".join(items)


def _from(table: list[tuple[re.Pattern, str]]):
    return lambda text: _translate(text, table)


#: The fragments of calculators.vllm_releases summaries ("; "-separated).
_VLLM_FRAGMENTS = {
    "V0": "V0 引擎",
    "V1": "V1 引擎",
    "KV budget = total x utilization - (free memory at start - free memory after the profile run), NCCL included":
        "KV 預算 = 總記憶體 × 使用率 −（啟動時的可用記憶體 − 剖析執行後的可用記憶體），含 NCCL",
    "KV budget = total x utilization - torch peak (weights included) - every non-torch byte on the device (CUDA "
    "context and NCCL included)":
        "KV 預算 = 總記憶體 × 使用率 − PyTorch 峰值（含權重）− 裝置上所有 PyTorch 以外的記憶體"
        "（含 CUDA context 與 NCCL）",
    "KV budget = total x utilization - weights - activation peak - non-torch increase (NCCL included, set up after "
    "the baseline)":
        "KV 預算 = 總記憶體 × 使用率 − 權重 − 激活值峰值 − PyTorch 以外記憶體的增量（含在基準線之後建立的 NCCL）",
    "KV budget = total x utilization - weights - activation peak - non-torch increase since a start-up snapshot "
    "taken before NCCL is set up":
        "KV 預算 = 總記憶體 × 使用率 − 權重 − 激活值峰值 − 自啟動快照以來 PyTorch 以外記憶體的增量"
        "（快照在建立 NCCL 之前）",
    "KV budget = total x utilization - weights - activation peak - non-torch increase since a snapshot taken "
    "after NCCL is set up":
        "KV 預算 = 總記憶體 × 使用率 − 權重 − 激活值峰值 − 自快照以來 PyTorch 以外記憶體的增量（快照在建立 NCCL 之後）",
    "KV budget = total x utilization - weights - activation peak - non-torch increase - estimated CUDA graph memory":
        "KV 預算 = 總記憶體 × 使用率 − 權重 − 激活值峰值 − PyTorch 以外記憶體的增量 − 估計的 CUDA graph 記憶體",
    "CUDA graphs captured after the KV cache is allocated, outside the budget":
        "CUDA graph 在配置 KV 快取之後才擷取，不在預算之內",
    "CUDA graphs captured after the KV cache is allocated, outside the budget (0.18-0.19 estimate them only with "
    "VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1)":
        "CUDA graph 在配置 KV 快取之後才擷取，不在預算之內（0.18–0.19 只在設定 "
        "VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1 時估計）",
    "the sampler sorts the vocabulary": "取樣器會對整個詞彙表排序",
    "default utilization 0.92": "預設使用率 0.92",
}


def _vllm_summary(text: str) -> str:
    return "；".join(_VLLM_FRAGMENTS.get(part, part) for part in text.split("; "))


_EXTRAS = {"vocabulary padded to a multiple of 64": "填充到 64 倍數的詞彙表",
           "rotary cos/sin tables": "旋轉位置編碼的 cos/sin 表"}

_GROUP_FILTERS = {
    "vllm_summary": _vllm_summary,
    "extras": lambda text: "與".join(_EXTRAS.get(part, part) for part in text.split(" and ")),
    "skipped": _skipped,
    "kv_description": _from(KV_DESCRIPTIONS),
    "json_message": lambda text: _JSON_MESSAGES.get(text, text),
    "utf8_reason": lambda text: _UTF8_REASONS.get(text, text),
    "os_error": lambda text: _OS_ERRORS.get(text, text),
    "json_type": lambda text: _JSON_TYPES.get(text, text),
    "arg_type": lambda text: _ARG_TYPES.get(text, f" {text}"),
}


def _translate(text: str, table: list[tuple[re.Pattern, str]]) -> str:
    for pattern, template in table:
        match = pattern.fullmatch(text)
        if match:
            values = {name: _GROUP_FILTERS.get(name, str)(value or "") for name, value in match.groupdict().items()}
            return template.format_map(values)
    return text


def to_zh(text: str) -> str:
    """The zh-TW rendering of one engine message (term description, note or ``FIELD: message`` error).

    Numbers, dtypes, field names and anything else the English message quotes are kept exactly; text of a
    shape this module does not know is returned unchanged.
    """
    if not isinstance(text, str):
        return text
    return _translate(text, MESSAGES)
