"""English: the template of every message code (``str.format`` placeholders name the values), the text the
command line prints and the JSON carries. :mod:`calculators.messages.zh_tw` has the same codes and placeholders."""

LIST_SEPARATOR = "; "

MESSAGES = {
    # ---- errors: values of the wrong kind (calculators/errors.py and every module's argument checks)
    "value.positive_int": "expected a positive integer, got {value}",
    "value.non_negative_int": "expected a non-negative integer, got {value}",
    "value.int_range": "expected an integer from {minimum} to {maximum:,}, got {value:,}",
    "value.integer": "expected an integer, got {value}",
    "value.boolean": "expected true or false, got {value}",
    "value.one_of": "expected one of {options}; got {value}",
    "value.string": "expected a string, got {value}",
    "value.string_list": "expected a list of strings, got {value}",
    "value.int_list": "expected a list of integers, got {value}",
    "value.model_spec": "expected a ModelSpec (from model_spec), got {type}",
    "value.fraction": "expected a number in (0, 1], got {value}",
    # ---- errors: the command line (calculators/cli.py; argparse's own errors, read by .arguments)
    "arguments.help_without_json": "--help prints text; run it without run_json",
    "arguments.invalid_value": "argument {argument}: invalid {type} value: {value}",
    "arguments.type.int": "int",
    "arguments.type.float": "float",
    "arguments.invalid_choice": "argument {argument}: invalid choice: {value} (choose from {choices})",
    "arguments.invalid_choice_suggested": "argument {argument}: invalid choice: {value}, maybe you meant {closest}? "
                                          "(choose from {choices})",
    "arguments.expected_one": "argument {argument}: expected one argument",
    "arguments.ignored_explicit": "argument {argument}: ignored explicit argument {value}",
    "arguments.required": "the following arguments are required: {arguments}",
    "arguments.unrecognized": "unrecognized arguments: {arguments}",
    "arguments.ambiguous": "ambiguous option: {option} could match {matches}",
    "arguments.other": "{text}",
    # ---- errors: where the config comes from (calculators/model/configs.py)
    "config.not_utf8": "is not UTF-8 text ({reason} at byte {position})",
    "config.not_text": "expected JSON text, got {type}",
    "config.too_long": "is {length:,} characters; a config.json is at most {limit:,}",
    "config.too_deep": "is nested {depth:,} levels deep; a config.json is at most {limit}",
    "config.invalid_json": "is not valid JSON ({reason} at line {line} column {column})",
    "config.unusable_json": "is not usable JSON ({type})",
    "config.not_an_object": "expected a JSON object ({{...}}), got a JSON {type}",
    "config.preset_id": "expected a preset id, got {value}",
    "config.unknown_preset_close": "unknown preset {value}; did you mean {close}?",
    "config.unknown_preset": "unknown preset {value}; see calculators.model.presets.PRESETS",
    "config.source_type": "expected a preset id, a path to config.json, or JSON text; got {type}",
    "config.no_source": "{value} is not a preset id, an existing config.json path, or JSON text",
    "config.unreadable": "cannot read {path}: {reason}",
    # ---- errors: config.json fields (calculators/model/families)
    "config.not_dict": "expected a JSON object (dict), got {type}",
    "config.text_config": "expected a JSON object, got {value}",
    "config.missing": "missing; a {model_type} config needs {names} (an integer)",
    "config.conflict": "conflicts with {other} ({this_value} != {other_value}); give one",
    "config.layer_count": "expected one entry per layer ({layers}), got {value}",
    "config.layer_type": "expected one of {options} for {model_type}; got {value}",
    "config.kv_heads_divide_gqa": "must divide num_attention_heads ({heads}) for grouped-query attention; got {value}",
    "config.divide": "must divide {other} ({size}); got {value}",
    "config.heads_over_hidden": "must not exceed hidden_size ({hidden}) when head_dim is not given; got {value}",
    "config.sliding_window_missing": "missing; sliding_attention layers need a window (a positive integer)",
    "config.sliding_window_integer": "must be an integer when use_sliding_window is true",
    "config.top_k_over_experts": "must not exceed the number of experts ({experts}); got {value}",
    "config.offset_over_period": "must be smaller than {other} ({period})",
    "config.dt_rank": "expected an integer or \"auto\", got {value}",
    "config.gpt2_cross_attention": "only decoder-only GPT-2 (false) is supported",
    "config.generic_needs": "model_type {model_type} has no reader, and estimating it needs {names} (integers)",
    "config.kv_heads_divide": "{kv_heads} KV heads (layer {layer}) must divide the {heads} attention heads",
    "config.experts_per_token": "{top_k} experts per token is more than the {experts} experts",
    # ---- errors: GPUs, engines, tensor parallelism (plan/gpus.py, plan/deployment.py, plan/vllm_releases.py,
    # model/spec.py, memory/kv.py)
    "gpu.name": "expected a GPU name such as 'H100' or 'RTX 4090', got {value}",
    "gpu.unknown": "unknown GPU {value}; expected one of: {keys}",
    "gpu.missing": "name a GPU (e.g. H100, 'RTX 4090') or give its memory with gpu_memory_gib",
    "gpu.memory_gib": "expected a number of GiB in (0, {maximum}], got {value}",
    "gpu.names": "expected a list of GPU names, got {type}",
    "engine.apple_vllm": "vLLM does not run on Apple GPUs; use engine 'transformers' (MPS)",
    "engine.apple_count": "Apple GPUs are planned one at a time; got count {value}",
    "engine.vllm_only": "applies to engine 'vllm' only",
    "vllm.version": "expected a vLLM version such as 0.10.1 or 0.33; got {value}",
    "vllm.version_unmodelled": "this calculator models vLLM {first} to {last}; got {value}",
    "vllm.version_extensible_kv": "this calculator models vLLM {first} to {last}; got {value} (0.34 sizes the KV "
                                  "cache from measured free memory, the extensible KV cache, which is not modelled)",
    "vllm.no_bitsandbytes": "vLLM {label} does not load bitsandbytes checkpoints (removed in 0.28.0); choose "
                            "--vllm-version 0.27 or earlier, or another format",
    "tp.degree": "expected a tensor-parallel degree of 1, 2, 4 or 8; got {value}",
    "tp.degrees": "expected a list of tensor-parallel degrees from 1, 2, 4, 8; got {value}",
    "tp.heads": "{heads} attention heads (layer {layer}) cannot be split across {tp} GPUs: tensor parallelism "
                "needs the head count divisible by the GPU count",
    "tp.kv_heads": "{kv_heads} KV heads (layer {layer}) cannot be split or replicated evenly across {tp} GPUs "
                   "(vLLM needs kv_heads % tp == 0, or tp % kv_heads == 0 when tp > kv_heads)",
    "tp.recurrent_heads": "{heads} recurrent heads (layer {layer}) cannot be split across {tp} GPUs",
    "tp.width": "{name} width {width} is not divisible by {tp} GPUs (column/row-parallel layers split it evenly)",
    "kv.tp_not_divisor": "must divide the number of attention heads ({heads}); got {value}",
    "kv.tp_kv_heads": "must divide the number of KV heads ({kv_heads}) or be a multiple of it; got {value}",
    "kv.tp_state": "must divide the {kind} heads/channels ({heads}) to split its state; got {value}",
    "plan.no_context": "expected at least one context length",
    # ---- errors: weight formats and training (memory/formats.py, memory/weights.py, plan/training.py)
    "weights.bpw": "bpw:<bits> needs bits between 1 and 32, got {bits:g}",
    "weights.bits": "{method} supports {allowed}; got {value}",
    "weights.group_size": "group size must be a positive integer, got {value}",
    "weights.awq_sym": "awq is asymmetric (it stores zero points); drop '-sym'",
    "weights.loader": "expected transformers or vllm; got {value}",
    "weights.not_quantized": "{format} is not a quantized linear format",
    "weights.shape": "linear tensor {name} has shape {shape}",
    "train.lora_targets": "expected 'all-linear' or module names, got {value}",
    "train.no_linear": "no linear weight named {value}; expected some of {names}",
    # ---- notes: the engine (plan/inference.py, plan/engines/, memory/kv.py, memory/weights.py,
    # plan/training.py)
    "note.vllm_release": "vLLM {label}: {rules}",
    "note.no_fp8_tensor_cores": "{gpu} has no FP8 tensor cores: vLLM runs FP8 weights through its weight-only "
                                "Marlin kernels (same memory, 16-bit compute)",
    "note.hybrid_pages": "hybrid model: the recurrent state is counted per sequence beside the attention pages; "
                         "vLLM's page alignment of the two kinds is not modelled",
    "note.apple_gpu": "Apple GPU (PyTorch MPS): the cuda_context and gemm_workspace terms stand for the Metal "
                      "runtime's own allocations, modelled with the same constants",
    "note.beyond_max_position": "seq_len {seq_len:,} is beyond the model's max_position_embeddings ({cap:,}): vLLM "
                                "refuses such a max_model_len unless VLLM_ALLOW_LONG_MAX_MODEL_LEN=1, and quality is "
                                "not assured",
    "note.checkpoint_format": "weights: {format}, the format the config's quantization_config declares",
    "note.tp_skipped": "tensor-parallel degrees the model cannot be split into were skipped: {skipped}",
    "note.tp_skipped_item": "{gpu} x{count}: {field}: {reason}",
    "note.none_fit": "no catalogued GPU set of up to {count} GPUs fits; try a smaller weight format or KV dtype",
    "note.bitsandbytes_kept": "bitsandbytes keeps {bytes:,} bytes of the base in bf16 (see "
                              "weights.kept_high_precision)",
    "note.paged_optimizer": "paged optimizer states can be evicted to CPU RAM under memory pressure; counted on GPU",
    "note.grad_accumulation": "gradient accumulation: gradients persist through the forward pass and add to "
                              "activations",
    "note.sliding_window_cap": "sliding-window layers keep at most window - 1 tokens, as transformers' DynamicCache "
                               "does",
    "note.mla_decompressed": "MLA: per-head decompressed keys and values (older transformers eager layout), split "
                             "across TP ranks",
    "note.mla_latent": "MLA: one latent of kv_lora_rank + qk_rope_head_dim elements per token per layer, on every TP "
                       "rank",
    "note.recurrent_state": "recurrent layers: constant state per sequence, in recurrent_state_bytes, not in "
                            "kv_cache_bytes",
    "note.per_tensor_scales": "{dtype}: per-tensor K/V scales (8 bytes per layer) are not counted",
    "note.scales_counted": "{dtype}: {description}; scales are counted",
    "note.ragged_groups": "some in_features are not multiples of the group size {group}: counted with ceil(in/g) "
                          "groups as GPTQ checkpoints do (compressed-tensors refuses such shapes)",
    "note.checkpoint_only": "checkpoint-only weights (e.g. an MTP layer) are not loaded by transformers and are "
                            "excluded from total_bytes; their size is checkpoint_only_bytes",
    # ---- notes: the config readers (calculators/model/families)
    "note.model_type_missing": "config.model_type missing",
    "note.multimodal": "multimodal config ({model_type}): counted the text model that AutoModelForCausalLM builds "
                       "from text_config; the vision tower and multimodal projector are not counted",
    "note.falcon_broadcast": "transformers' Falcon attention caches K/V broadcast to all num_attention_heads "
                             "({heads}); the KV cache here counts the num_kv_heads ({kv_heads}) that vLLM stores",
    "note.moe_layer_freq_ignored": "{field} ignored: transformers makes every layer after the dense ones MoE",
    "note.layer_types_full_attention": "{field} ignored: every layer is estimated as full attention",
    "note.layer_types_alike": "{field} ignored: {model_type} layers are all built alike",
    "note.mtp_layers": "{layers} multi-token-prediction layer(s) (num_nextn_predict_layers) are in the checkpoint "
                       "but not built by transformers: listed as checkpoint_only, not in the total",
    "note.alias": "{alias} read as {key}",
    "note.assumed_moe": "assumed every layer is MoE: {experts} experts of size {size}, {top_k} per token",
    "note.generic_model_type": "model_type {model_type} is not one of the supported families: estimated as a "
                               "Llama-style decoder (q/k/v/o attention without biases, gated MLP of 3 matrices, "
                               "RMSNorm, rotary positions)",
    "note.default": "{field} not given: used the transformers default for {model_type}, {default}",
    # ---- how each memory term is computed: plan (plan/engines/vllm.py, plan/engines/transformers.py)
    "term.weights": "{format} weights, sharded over {tp} GPU(s) as vLLM shards them",
    "term.weights_with": "{format} weights, sharded over {tp} GPU(s) as vLLM shards them (with {extras})",
    "term.vocab_padding": "vocabulary padded to a multiple of {multiple}",
    "term.rotary_tables": "rotary cos/sin tables",
    "term.kv_cache": "{dtype} KV cache for {batch} x {seq_len} tokens",
    "term.kv_cache_paged": "{dtype} KV cache for {batch} x {seq_len} tokens, paged in blocks of {block_size}",
    "term.recurrent_state": "recurrent (Mamba/DeltaNet) state per sequence",
    "term.profile_run": "profile run: forward of {tokens} tokens ({forward_gib:.2f} GiB) vs sampler on {rows} rows "
                        "({sampler_gib:.2f} GiB)",
    "term.non_torch_device_wide": "all memory outside PyTorch on the device, CUDA context included, as this release "
                                  "counts it",
    "term.non_torch": "cuBLAS/attention workspaces outside PyTorch",
    "term.cuda_graphs": "CUDA graph buffers, capture sizes up to {size}",
    "term.cuda_graphs_outside": "CUDA graph buffers, capture sizes up to {size}, captured after the KV cache: outside "
                                "the budget",
    "term.cuda_context_outside": "CUDA context, outside the gpu_memory_utilization budget",
    "term.generate_peak": "max of the prefill of {batch} x {seq_len} tokens ({prefill_gib:.2f} GiB) and a step's "
                          "last-position logits ({logits_gib:.2f} GiB) + one layer's cache copy ({copy_gib:.2f} GiB)",
    "term.gemm_workspaces": "cuBLAS + cuBLASLt workspaces",
    "term.nccl": "one NCCL communicator (tp_plan)",
    "term.cuda_context": "CUDA context",
    "and": "{first} and {second}",
    # ---- how each memory term is computed: train (plan/training.py)
    "formula.weights": "bf16 weights: 2 B x P",
    "formula.master_weights": "fp32 master copy: 4 B x P",
    "formula.gradients": "{dtype} gradients: {bytes} B x P",
    "formula.adamw": "AdamW fp32 first and second moments: 8 B per trainable parameter",
    "formula.paged_adamw": "paged AdamW (32-bit) moments: 8 B per trainable parameter",
    "formula.adamw_8bit": "8-bit AdamW (bitsandbytes, blockwise 256): ~2.03 B per trainable parameter",
    "formula.paged_adamw_8bit": "paged 8-bit AdamW: ~2.03 B per trainable parameter",
    "formula.sgd": "SGD without momentum: no state",
    "formula.frozen_base": "frozen base in bf16: 2 B x P",
    "formula.frozen_nf4": "frozen base in NF4 + double-quantized absmax (bitsandbytes), skipped modules in bf16",
    "formula.dequant_buffer": "largest NF4 weight dequantized to bf16 while in use",
    "formula.lora": "LoRA A and B in {dtype}: {bytes} B x r(in+out)",
    "formula.adapter_gradients": "adapter gradients in {dtype}",
    "formula.logits_and_loss": "LM head input 2sbh + bf16 logits 2sbV + fp32 upcast 4sbV + fp32 log-softmax 4sbV",
    "formula.recompute_one_layer": "one decoder layer's activations recomputed",
    "formula.cuda_context": "CUDA context (see calculators.memory.runtime)",
    "formula.gemm_workspaces": "cuBLAS + cuBLASLt workspaces (see calculators.memory.runtime)",
    "formula.checkpointed_inputs": "checkpointed layer inputs: 2sbh x {layers} layers",
    "formula.saved_for_backward": "saved-for-backward tensors of {layers} layers: {bytes:,} B per token "
                                  "(Korthikanti et al. 2022 adapted to these shapes)",
    # ---- KV-cache dtypes (model/dtypes.py)
    "kv_dtype.fp32": "32-bit float",
    "kv_dtype.bf16": "bfloat16",
    "kv_dtype.fp16": "float16",
    "kv_dtype.fp8": "fp8 e4m3 with one K and one V scale per layer (8 bytes/layer, not counted)",
    "kv_dtype.fp8_e5m2": "fp8 e5m2 (per-tensor scale, not counted)",
    "kv_dtype.per_token_head": "{base} + one {scale} scale per token per head",
    "kv_dtype.per_elements": "{base} + one {scale} scale per {elements} elements",
    # ---- vLLM's memory rules, release by release (plan/vllm_releases.py)
    "vllm_rule.v0": "V0",
    "vllm_rule.v1": "V1",
    "vllm_rule.budget_free_memory": "KV budget = total x utilization - (free memory at start - free memory after the "
                                    "profile run), NCCL included",
    "vllm_rule.budget_device_wide": "KV budget = total x utilization - torch peak (weights included) - every "
                                    "non-torch byte on the device (CUDA context and NCCL included)",
    "vllm_rule.budget_profiled": "KV budget = total x utilization - weights - activation peak - non-torch increase "
                                 "(NCCL included, set up after the baseline)",
    "vllm_rule.budget_snapshot_before_nccl": "KV budget = total x utilization - weights - activation peak - "
                                             "non-torch increase since a start-up snapshot taken before NCCL is set up",
    "vllm_rule.budget_snapshot_after_nccl": "KV budget = total x utilization - weights - activation peak - non-torch "
                                            "increase since a snapshot taken after NCCL is set up",
    "vllm_rule.budget_cuda_graphs": "KV budget = total x utilization - weights - activation peak - non-torch "
                                    "increase - estimated CUDA graph memory",
    "vllm_rule.graphs_outside": "CUDA graphs captured after the KV cache is allocated, outside the budget",
    "vllm_rule.graphs_outside_estimated": "CUDA graphs captured after the KV cache is allocated, outside the budget "
                                          "(0.18-0.19 estimate them only with "
                                          "VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1)",
    "vllm_rule.sampler_sorts": "the sampler sorts the vocabulary",
    "vllm_rule.default_utilization": "default utilization 0.92",
    # ---- Python's own messages quoted in errors, found by their English text (messages.python_text)
    "python.json.expecting_value": "Expecting value",
    "python.json.expecting_property_name": "Expecting property name enclosed in double quotes",
    "python.json.expecting_comma": "Expecting ',' delimiter",
    "python.json.expecting_colon": "Expecting ':' delimiter",
    "python.json.unterminated_string": "Unterminated string starting at",
    "python.json.control_character": "Invalid control character at",
    "python.json.invalid_escape": "Invalid \\escape",
    "python.json.invalid_unicode_escape": "Invalid \\uXXXX escape",
    "python.json.extra_data": "Extra data",
    "python.json.trailing_comma_object": "Illegal trailing comma before end of object",
    "python.json.trailing_comma_array": "Illegal trailing comma before end of array",
    "python.utf8.invalid_start_byte": "invalid start byte",
    "python.utf8.invalid_continuation_byte": "invalid continuation byte",
    "python.utf8.unexpected_end": "unexpected end of data",
    "python.os.no_such_file": "No such file or directory",
    "python.os.permission_denied": "Permission denied",
    "python.os.is_a_directory": "Is a directory",
    "python.os.not_a_directory": "Not a directory",
    "python.os.name_too_long": "File name too long",
    "python.type.list": "list",
    "python.type.str": "str",
    "python.type.int": "int",
    "python.type.float": "float",
    "python.type.bool": "bool",
    "python.type.NoneType": "NoneType",
}
