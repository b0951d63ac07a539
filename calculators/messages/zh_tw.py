"""繁體中文 (zh-TW): the template of every message code in :mod:`calculators.messages.en`, with the same placeholders.

Numbers, dtypes, field names and anything else a message quotes are the values themselves, unchanged. The terms
follow docs/_data/glossary.yml (量化、詞元、KV 快取、張量平行、預填充、解碼 ...) and the zh-TW calculator pages
(最佳化器、轉接器、記憶體剖析、工作區、遞迴層 ...).
"""

LIST_SEPARATOR = "；"

MESSAGES = {
    # ---- errors: values of the wrong kind
    "value.positive_int": "應為正整數，但收到 {value}",
    "value.non_negative_int": "應為非負整數，但收到 {value}",
    "value.int_range": "應為 {minimum} 到 {maximum:,} 之間的整數，但收到 {value:,}",
    "value.integer": "應為整數，但收到 {value}",
    "value.boolean": "應為 true 或 false，但收到 {value}",
    "value.one_of": "應為 {options} 其中之一，但收到 {value}",
    "value.string": "應為字串，但收到 {value}",
    "value.string_list": "應為字串清單，但收到 {value}",
    "value.int_list": "應為整數清單，但收到 {value}",
    "value.model_spec": "應為 ModelSpec（由 model_spec 產生），但收到 {type}",
    "value.fraction": "應為 (0, 1] 區間內的數字，但收到 {value}",
    # ---- errors: the command line
    "arguments.help_without_json": "--help 只會印出說明文字；請勿透過 run_json 執行",
    "arguments.invalid_value": "{argument} 的值無效：應為{type}，但收到 {value}",
    "arguments.type.int": "整數",
    "arguments.type.float": "數字",
    "arguments.invalid_choice": "{argument} 的值無效：應為 {choices} 其中之一，但收到 {value}",
    "arguments.invalid_choice_suggested": "{argument} 的值無效：應為 {choices} 其中之一，但收到 {value}；"
                                          "你要找的是不是 {closest}？",
    "arguments.expected_one": "{argument} 後面需要一個值",
    "arguments.ignored_explicit": "{argument} 不接受值，但收到 {value}",
    "arguments.required": "缺少必要的引數：{arguments}",
    "arguments.unrecognized": "無法辨識的引數：{arguments}",
    "arguments.ambiguous": "選項 {option} 不明確，可能是 {matches}",
    "arguments.other": "{text}",
    # ---- errors: where the config comes from
    "config.not_utf8": "不是 UTF-8 文字（位元組位置 {position}：{reason}）",
    "config.not_text": "應為 JSON 文字，但收到 {type}",
    "config.too_long": "長達 {length:,} 個字元；config.json 最多只能有 {limit:,} 個字元",
    "config.too_deep": "巢狀深度為 {depth:,} 層；config.json 最多 {limit} 層",
    "config.invalid_json": "不是有效的 JSON（第 {line} 行第 {column} 個字元：{reason}）",
    "config.unusable_json": "無法使用這份 JSON（{type}）",
    "config.not_an_object": "應為 JSON 物件（{{...}}），但收到的是 JSON {type}",
    "config.preset_id": "應為內建模型的 ID，但收到 {value}",
    "config.unknown_preset_close": "未知的內建模型 {value}；你要找的是不是 {close}？",
    "config.unknown_preset": "未知的內建模型 {value}；可用的 ID 見 calculators.model.presets.PRESETS",
    "config.source_type": "應為內建模型的 ID、config.json 的路徑或 JSON 文字，但收到 {type}",
    "config.no_source": "{value} 不是內建模型的 ID、現有的 config.json 路徑，也不是 JSON 文字",
    "config.unreadable": "無法讀取 {path}：{reason}",
    # ---- errors: config.json fields
    "config.not_dict": "應為 JSON 物件（dict），但收到 {type}",
    "config.text_config": "應為 JSON 物件，但收到 {value}",
    "config.missing": "缺少此欄位；{model_type} 的設定檔需要 {names}（整數）",
    "config.conflict": "與 {other} 衝突（{this_value} != {other_value}）；請只給其中一個",
    "config.layer_count": "應為每層一個項目（共 {layers} 個），但收到 {value} 個",
    "config.layer_type": "{model_type} 的層種類應為 {options} 其中之一，但收到 {value}",
    "config.kv_heads_divide_gqa": "分組查詢注意力要求它能整除 num_attention_heads（{heads}），但收到 {value}",
    "config.divide": "必須能整除 {other}（{size}），但收到 {value}",
    "config.heads_over_hidden": "未指定 head_dim 時不可超過 hidden_size（{hidden}），但收到 {value}",
    "config.sliding_window_missing": "缺少此欄位；sliding_attention 層需要視窗大小（正整數）",
    "config.sliding_window_integer": "use_sliding_window 為 true 時必須是整數",
    "config.top_k_over_experts": "不可超過專家數（{experts}），但收到 {value}",
    "config.offset_over_period": "必須小於 {other}（{period}）",
    "config.dt_rank": "應為整數或 \"auto\"，但收到 {value}",
    "config.gpt2_cross_attention": "只支援純解碼器（decoder-only）的 GPT-2（false）",
    "config.generic_needs": "model_type {model_type} 沒有對應的讀取器，要估算它需要 {names}（整數）",
    "config.kv_heads_divide": "{kv_heads} 個 KV 頭（第 {layer} 層）必須能整除 {heads} 個注意力頭",
    "config.experts_per_token": "每個詞元使用 {top_k} 個專家，多於總共的 {experts} 個專家",
    # ---- errors: GPUs, engines, tensor parallelism
    "gpu.name": "應為 GPU 名稱，例如 'H100' 或 'RTX 4090'，但收到 {value}",
    "gpu.unknown": "未知的 GPU {value}；可用的有：{keys}",
    "gpu.missing": "請指定一款 GPU（例如 H100、'RTX 4090'），或以 gpu_memory_gib 給出它的記憶體",
    "gpu.memory_gib": "應為 (0, {maximum}] 之間的 GiB 數，但收到 {value}",
    "gpu.names": "應為 GPU 名稱的清單，但收到 {type}",
    "engine.apple_vllm": "vLLM 無法在 Apple GPU 上執行；請改用 'transformers' 推論引擎（MPS）",
    "engine.apple_count": "Apple GPU 一次只能規劃一張，但收到的數量為 {value}",
    "engine.vllm_only": "只適用於 'vllm' 推論引擎",
    "vllm.version": "應為 vLLM 的版本號，例如 0.10.1 或 0.33，但收到 {value}",
    "vllm.version_unmodelled": "此計算器涵蓋 vLLM {first} 到 {last}，但收到 {value}",
    "vllm.version_extensible_kv": "此計算器涵蓋 vLLM {first} 到 {last}，但收到 {value}（0.34 起改依實測的可用記憶體"
                                  "決定 KV 快取大小，即可擴充 KV 快取，未納入模型）",
    "vllm.no_bitsandbytes": "vLLM {label} 不再載入 bitsandbytes 檢查點（0.28.0 已移除）；請選擇 --vllm-version 0.27 "
                            "或更早的版本，或改用其他格式",
    "tp.degree": "張量平行度應為 1、2、4 或 8，但收到 {value}",
    "tp.degrees": "應為由 1、2、4、8 組成的張量平行度清單，但收到 {value}",
    "tp.heads": "{heads} 個注意力頭（第 {layer} 層）無法平均分配到 {tp} 張 GPU：張量平行需要注意力頭數能被 GPU 數整除",
    "tp.kv_heads": "{kv_heads} 個 KV 頭（第 {layer} 層）無法在 {tp} 張 GPU 之間平均切分或複製"
                   "（vLLM 要求 kv_heads % tp == 0；tp > kv_heads 時則要求 tp % kv_heads == 0）",
    "tp.recurrent_heads": "{heads} 個遞迴層的頭（第 {layer} 層）無法平均分配到 {tp} 張 GPU",
    "tp.width": "{name} 的寬度 {width} 無法被 {tp} 張 GPU 整除（column-parallel 與 row-parallel 層需要平均切分它）",
    "kv.tp_not_divisor": "必須能整除注意力頭數（{heads}），但收到 {value}",
    "kv.tp_kv_heads": "必須能整除 KV 頭數（{kv_heads}）或是它的倍數，但收到 {value}",
    "kv.tp_state": "必須能整除 {kind} 的頭數／通道數（{heads}）才能切分它的狀態，但收到 {value}",
    "plan.no_context": "至少需要一個上下文長度",
    # ---- errors: weight formats and training
    "weights.bpw": "bpw:<bits> 的位元數必須介於 1 到 32 之間，但收到 {bits:g}",
    "weights.bits": "{method} 只支援 {allowed}，但收到 {value}",
    "weights.group_size": "群組大小必須是正整數，但收到 {value}",
    "weights.awq_sym": "awq 是非對稱量化（會儲存零點）；請去掉 '-sym'",
    "weights.loader": "應為 transformers 或 vllm，但收到 {value}",
    "weights.not_quantized": "{format} 不是量化線性層的格式",
    "weights.shape": "線性層張量 {name} 的形狀為 {shape}，不是矩陣",
    "train.lora_targets": "應為 'all-linear' 或模組名稱，但收到 {value}",
    "train.no_linear": "沒有名為 {value} 的線性層權重；可用的名稱有 {names}",
    # ---- notes: the engine
    "note.vllm_release": "vLLM {label} 版的記憶體計算方式：{rules}",
    "note.no_fp8_tensor_cores": "{gpu} 沒有 FP8 張量核心：vLLM 以僅權重的 Marlin 核心執行 FP8 權重"
                                "（記憶體用量相同，以 16 位元運算）",
    "note.hybrid_pages": "混合模型：遞迴層狀態按序列計入，與注意力分頁分開；vLLM 對兩者分頁大小的對齊未納入模型",
    "note.apple_gpu": "Apple GPU（PyTorch MPS）：cuda_context 與 gemm_workspace 兩項代表 Metal 執行環境本身的配置，"
                      "沿用相同的常數建模",
    "note.beyond_max_position": "seq_len {seq_len:,} 超過模型的 max_position_embeddings（{cap:,}）：除非設定 "
                                "VLLM_ALLOW_LONG_MAX_MODEL_LEN=1，vLLM 不接受這樣的 max_model_len，而且品質沒有保證",
    "note.checkpoint_format": "權重：{format}，即設定檔的 quantization_config 所宣告的格式",
    "note.tp_skipped": "已略過模型無法切分的張量平行度：{skipped}",
    "note.tp_skipped_item": "{gpu} x{count}: {field}: {reason}",
    "note.none_fit": "型錄中沒有任何最多 {count} 張 GPU 的組合放得下；請改用較小的權重格式或 KV 快取資料型別",
    "note.bitsandbytes_kept": "bitsandbytes 把基礎模型中的 {bytes:,} 位元組保留為 bf16"
                              "（見 weights.kept_high_precision）",
    "note.paged_optimizer": "分頁式最佳化器狀態在記憶體吃緊時可被移出到 CPU RAM；這裡仍計入 GPU",
    "note.grad_accumulation": "梯度累積：梯度在前向傳播期間仍然保留，與激活值同時占用記憶體",
    "note.sliding_window_cap": "滑動視窗層最多保留 window - 1 個詞元，與 transformers 的 DynamicCache 相同",
    "note.mla_decompressed": "MLA：每個頭各自解壓縮後的鍵與值（較舊的 transformers eager 排列方式），"
                             "切分到各個 TP rank",
    "note.mla_latent": "MLA：每層每個詞元一個潛在向量，含 kv_lora_rank + qk_rope_head_dim 個元素，"
                       "每個 TP rank 各存一份",
    "note.recurrent_state": "遞迴層：每個序列的狀態大小固定，計入 recurrent_state_bytes，不計入 kv_cache_bytes",
    "note.per_tensor_scales": "{dtype}：逐張量的 K/V 縮放因子（每層 8 位元組）未計入",
    "note.scales_counted": "{dtype}：{description}；縮放因子已計入",
    "note.ragged_groups": "部分 in_features 不是群組大小 {group} 的倍數：依 GPTQ 檢查點的做法以 ceil(in/g) 個群組計算"
                          "（compressed-tensors 不接受這種形狀）",
    "note.checkpoint_only": "只存在於檢查點的權重（例如 MTP 層）不會由 transformers 載入，不計入 total_bytes；"
                            "其大小見 checkpoint_only_bytes",
    # ---- notes: the config readers
    "note.model_type_missing": "缺少 config.model_type",
    "note.multimodal": "多模態設定檔（{model_type}）：只計入 AutoModelForCausalLM 依 text_config 建立的文字模型；"
                       "視覺塔與多模態投影層不計入",
    "note.falcon_broadcast": "transformers 的 Falcon 注意力會把 K/V 廣播到全部 num_attention_heads（{heads}）後再快取；"
                             "這裡的 KV 快取計入的是 vLLM 實際儲存的 num_kv_heads（{kv_heads}）",
    "note.moe_layer_freq_ignored": "已忽略 {field}：transformers 會把稠密層之後的每一層都建成 MoE",
    "note.layer_types_full_attention": "已忽略 {field}：每一層都以全注意力估算",
    "note.layer_types_alike": "已忽略 {field}：{model_type} 的每一層都以相同方式建立",
    "note.mtp_layers": "檢查點中有 {layers} 個多詞元預測（MTP）層（num_nextn_predict_layers），"
                       "但 transformers 不會建立：列為 checkpoint_only，不計入總數",
    "note.alias": "把 {alias} 當作 {key} 讀取",
    "note.assumed_moe": "假設每一層都是 MoE：{experts} 個大小為 {size} 的專家，每個詞元使用 {top_k} 個",
    "note.generic_model_type": "model_type {model_type} 不屬於支援的模型家族：以 Llama 式的解碼器估算"
                               "（q/k/v/o 注意力不含偏差項、由 3 個矩陣組成的閘控 MLP、RMSNorm、旋轉位置編碼）",
    "note.default": "未指定 {field}：採用 transformers 對 {model_type} 的預設值 {default}",
    # ---- how each memory term is computed: plan
    "term.weights": "{format} 權重，依 vLLM 的切分方式分散到 {tp} 張 GPU",
    "term.weights_with": "{format} 權重，依 vLLM 的切分方式分散到 {tp} 張 GPU（含{extras}）",
    "term.vocab_padding": "填充到 {multiple} 倍數的詞彙表",
    "term.rotary_tables": "旋轉位置編碼的 cos/sin 表",
    "term.kv_cache": "{dtype} KV 快取：{batch} × {seq_len} 個詞元",
    "term.kv_cache_paged": "{dtype} KV 快取：{batch} × {seq_len} 個詞元，以每區塊 {block_size} 個詞元分頁",
    "term.recurrent_state": "每個序列的遞迴層（Mamba/DeltaNet）狀態",
    "term.profile_run": "記憶體剖析執行：{tokens} 個詞元的前向傳播（{forward_gib:.2f} GiB）與處理 {rows} 列的取樣器"
                        "（{sampler_gib:.2f} GiB），取較大者",
    "term.non_torch_device_wide": "裝置上 PyTorch 以外的全部記憶體（含 CUDA context），依此版本的計算方式計入",
    "term.non_torch": "PyTorch 配置器以外的 cuBLAS 與注意力工作區",
    "term.cuda_graphs": "CUDA graph 的緩衝區，擷取大小最多 {size}",
    "term.cuda_graphs_outside": "CUDA graph 的緩衝區，擷取大小最多 {size}；在 KV 快取之後才擷取，不在預算之內",
    "term.cuda_context_outside": "CUDA context，不在 gpu_memory_utilization 的預算之內",
    "term.generate_peak": "取兩者中較大者：{batch} × {seq_len} 個詞元的預填充（{prefill_gib:.2f} GiB），"
                          "或解碼一步時最後一個位置的 logits（{logits_gib:.2f} GiB）"
                          "加上一層快取的複本（{copy_gib:.2f} GiB）",
    "term.gemm_workspaces": "cuBLAS 與 cuBLASLt 的工作區",
    "term.nccl": "一個 NCCL 通訊器（tp_plan）",
    "term.cuda_context": "CUDA context（計入預算）",
    "and": "{first}與{second}",
    # ---- how each memory term is computed: train
    "formula.weights": "bf16 權重：2 B × P",
    "formula.master_weights": "fp32 主權重副本：4 B × P",
    "formula.gradients": "{dtype} 梯度：{bytes} B × P",
    "formula.adamw": "AdamW 的 fp32 一階與二階動差：每個可訓練參數 8 B",
    "formula.paged_adamw": "分頁式 AdamW（32 位元）的動差：每個可訓練參數 8 B",
    "formula.adamw_8bit": "8 位元 AdamW（bitsandbytes，每 256 個值一個區塊）：每個可訓練參數約 2.03 B",
    "formula.paged_adamw_8bit": "分頁式 8 位元 AdamW：每個可訓練參數約 2.03 B",
    "formula.sgd": "不含動量的 SGD：沒有最佳化器狀態",
    "formula.frozen_base": "凍結的 bf16 基礎模型：2 B × P",
    "formula.frozen_nf4": "凍結的基礎模型以 NF4 儲存，absmax 經雙重量化（bitsandbytes）；略過的模組維持 bf16",
    "formula.dequant_buffer": "最大的 NF4 權重在使用時反量化為 bf16 的暫存",
    "formula.lora": "LoRA 的 A 與 B 矩陣（{dtype}）：{bytes} B × r(in+out)",
    "formula.adapter_gradients": "轉接器的梯度（{dtype}）",
    "formula.logits_and_loss": "LM head 的輸入 2sbh + bf16 logits 2sbV + 升為 fp32 的複本 4sbV + fp32 log-softmax 4sbV",
    "formula.recompute_one_layer": "重新計算的一個解碼器層的激活值",
    "formula.cuda_context": "CUDA context（見 calculators.memory.runtime）",
    "formula.gemm_workspaces": "cuBLAS 與 cuBLASLt 的工作區（見 calculators.memory.runtime）",
    "formula.checkpointed_inputs": "梯度檢查點保留的各層輸入：2sbh × {layers} 層",
    "formula.saved_for_backward": "{layers} 層為反向傳播保存的張量：每個詞元 {bytes:,} B"
                                  "（依這些形狀改寫 Korthikanti et al. 2022）",
    # ---- KV-cache dtypes
    "kv_dtype.fp32": "32 位元浮點數",
    "kv_dtype.bf16": "bfloat16",
    "kv_dtype.fp16": "float16",
    "kv_dtype.fp8": "fp8 e4m3，每層 K 與 V 各一個縮放因子（每層 8 位元組，未計入）",
    "kv_dtype.fp8_e5m2": "fp8 e5m2（逐張量的縮放因子，未計入）",
    "kv_dtype.per_token_head": "{base}，每個詞元的每個頭各有一個 {scale} 縮放因子",
    "kv_dtype.per_elements": "{base}，每 {elements} 個元素一個 {scale} 縮放因子",
    # ---- vLLM's memory rules, release by release
    "vllm_rule.v0": "V0 引擎",
    "vllm_rule.v1": "V1 引擎",
    "vllm_rule.budget_free_memory": "KV 預算 = 總記憶體 × 使用率 −（啟動時的可用記憶體 − 剖析執行後的可用記憶體），"
                                    "含 NCCL",
    "vllm_rule.budget_device_wide": "KV 預算 = 總記憶體 × 使用率 − PyTorch 峰值（含權重）− "
                                    "裝置上所有 PyTorch 以外的記憶體（含 CUDA context 與 NCCL）",
    "vllm_rule.budget_profiled": "KV 預算 = 總記憶體 × 使用率 − 權重 − 激活值峰值 − PyTorch 以外記憶體的增量"
                                 "（含在基準線之後建立的 NCCL）",
    "vllm_rule.budget_snapshot_before_nccl": "KV 預算 = 總記憶體 × 使用率 − 權重 − 激活值峰值 − 自啟動快照以來 "
                                             "PyTorch 以外記憶體的增量（快照在建立 NCCL 之前）",
    "vllm_rule.budget_snapshot_after_nccl": "KV 預算 = 總記憶體 × 使用率 − 權重 − 激活值峰值 − 自快照以來 PyTorch "
                                            "以外記憶體的增量（快照在建立 NCCL 之後）",
    "vllm_rule.budget_cuda_graphs": "KV 預算 = 總記憶體 × 使用率 − 權重 − 激活值峰值 − PyTorch 以外記憶體的增量 − "
                                    "估計的 CUDA graph 記憶體",
    "vllm_rule.graphs_outside": "CUDA graph 在配置 KV 快取之後才擷取，不在預算之內",
    "vllm_rule.graphs_outside_estimated": "CUDA graph 在配置 KV 快取之後才擷取，不在預算之內（0.18–0.19 只在設定 "
                                          "VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1 時估計）",
    "vllm_rule.sampler_sorts": "取樣器會對整個詞彙表排序",
    "vllm_rule.default_utilization": "預設使用率 0.92",
    # ---- Python's own messages
    "python.json.expecting_value": "此處應為一個值",
    "python.json.expecting_property_name": "此處應為以雙引號括住的屬性名稱",
    "python.json.expecting_comma": "此處應為逗號 ','",
    "python.json.expecting_colon": "此處應為冒號 ':'",
    "python.json.unterminated_string": "字串從此處開始卻沒有結尾",
    "python.json.control_character": "無效的控制字元",
    "python.json.invalid_escape": "無效的跳脫字元",
    "python.json.invalid_unicode_escape": "無效的 \\uXXXX 跳脫序列",
    "python.json.extra_data": "JSON 結束後還有多餘的資料",
    "python.json.trailing_comma_object": "物件結尾前不可有多餘的逗號",
    "python.json.trailing_comma_array": "陣列結尾前不可有多餘的逗號",
    "python.utf8.invalid_start_byte": "無效的起始位元組",
    "python.utf8.invalid_continuation_byte": "無效的延續位元組",
    "python.utf8.unexpected_end": "資料意外結束",
    "python.os.no_such_file": "找不到檔案或目錄",
    "python.os.permission_denied": "權限不足",
    "python.os.is_a_directory": "這是目錄，不是檔案",
    "python.os.not_a_directory": "路徑中有一部分不是目錄",
    "python.os.name_too_long": "檔名太長",
    "python.type.list": "陣列（list）",
    "python.type.str": "字串（str）",
    "python.type.int": "整數（int）",
    "python.type.float": "數字（float）",
    "python.type.bool": "布林值（bool）",
    "python.type.NoneType": "null",
}
