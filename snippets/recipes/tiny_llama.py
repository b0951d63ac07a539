"""Llama models built on the spot, so that the recipes run with nothing downloaded.

``TINY_LLAMA`` (2 layers, hidden 128) runs every recipe end to end on a CPU in seconds; ``LLAMA_3_2_1B_SHAPE`` has
the shapes and memory of Llama-3.2-1B for GPU measurements. Both get random weights and a byte-level BPE tokenizer
trained on the given texts: enough for "does it run, how fast, how much memory", none of a real model's knowledge.
The recipe tests and the cost benchmark build their models here.
"""

from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

TINY_LLAMA = dict(
    hidden_size=128, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
    max_position_embeddings=512, tie_word_embeddings=True,
)
# Llama-3.2-1B's shape (its config.json on the Hub): 1.24B parameters, tied embeddings, GQA with 8 KV heads.
LLAMA_3_2_1B_SHAPE = dict(
    hidden_size=2048, intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8,
    head_dim=64, vocab_size=128256, max_position_embeddings=131072, rms_norm_eps=1e-5, tie_word_embeddings=True,
    rope_parameters={"rope_type": "default", "rope_theta": 500000.0},
)


def build_tokenizer(texts: list[str], vocab_size: int = 512) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on `texts` in well under a second; no download."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", pad_token="<pad>")


def save_random_llama(path: Path, tokenizer, dtype=torch.float32, **shape) -> Path:
    """Write a randomly initialised LlamaForCausalLM of the given shape, and `tokenizer`, to `path`."""
    shape.setdefault("vocab_size", len(tokenizer))
    config = LlamaConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        **shape,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).to(dtype)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
