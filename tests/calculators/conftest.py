"""Shared fixtures of the calculators tests: ``transformers`` as the reference, offline, on CPU.

The reference builds models from config dicts, never downloading anything: parameter counts come from a
meta-device build (milliseconds even at 405B), cache sizes from tiny random-weight models run on CPU.
"""

from __future__ import annotations

import copy
import os
import re

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

try:
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "calculators", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
    )
    settings.load_profile("calculators")
except ImportError:  # hypothesis is a test dependency; the modules using it import it themselves
    pass


class Reference:
    """What ``transformers`` builds from a config dict."""

    def __init__(self, torch, transformers):
        self.torch = torch
        self.transformers = transformers

    def hf_config(self, config: dict):
        """The ``transformers`` config the calculators describe (a multimodal config's text_config)."""
        config = copy.deepcopy(config)
        config.pop("quantization_config", None)  # from_config would not quantize anyway
        if isinstance(config.get("text_config"), dict):
            text = config["text_config"]
            text.setdefault("model_type", {"gemma3": "gemma3_text"}.get(config["model_type"], config["model_type"]))
            config = text
        model_type = config.pop("model_type")
        return self.transformers.AutoConfig.for_model(model_type, **config)

    def meta_model(self, config: dict):
        with self.torch.device("meta"):
            return self.transformers.AutoModelForCausalLM.from_config(self.hf_config(config))

    def param_count(self, config: dict) -> int:
        """Unique parameters (tied weights once), as ``model.parameters()`` yields them."""
        return sum(p.numel() for p in self.meta_model(config).parameters())

    def params_by_component(self, config: dict) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name, parameter in self.meta_model(config).named_parameters():
            if not parameter.numel():
                continue  # a zero-width module (e.g. no shared experts) holds no parameters
            component = hf_component(name)
            counts[component] = counts.get(component, 0) + parameter.numel()
        return counts

    def tiny_model(self, config: dict, dtype: str = "bfloat16"):
        """A random-weight model on CPU in ``dtype``, in eval mode (seeded, so runs repeat)."""
        self.torch.manual_seed(0)
        model = self.transformers.AutoModelForCausalLM.from_config(self.hf_config(config))
        return model.to(getattr(self.torch, dtype)).eval()

    def prefill_and_generate(self, model, vocab_size: int, batch: int, prompt: int, new_tokens: int):
        """(cache after a forward pass over ``prompt`` tokens, cache after greedy generation of ``new_tokens``)."""
        torch = self.torch
        generator = torch.Generator().manual_seed(1)
        ids = torch.randint(1, vocab_size, (batch, prompt), generator=generator)
        mask = torch.ones_like(ids)
        with torch.no_grad():
            prefill = model(input_ids=ids, attention_mask=mask, use_cache=True).past_key_values
            generated = model.generate(
                input_ids=ids,
                attention_mask=mask,
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
                use_cache=True,
                return_dict_in_generate=True,
                pad_token_id=0,
            )
        assert generated.sequences.shape[1] == prompt + new_tokens
        return prefill, generated.past_key_values

    @staticmethod
    def cache_bytes(cache) -> tuple[int, int]:
        return cache_bytes(cache)


def cache_bytes(cache) -> tuple[int, int]:
    """(attention K/V bytes, recurrent conv + SSM state bytes) summed over a transformers cache's layers."""
    kv = recurrent = 0
    for layer in cache.layers:
        for name in ("keys", "values"):
            tensor = getattr(layer, name, None)
            if tensor is not None and tensor.numel():
                kv += tensor.nbytes
        for name in ("conv_states", "recurrent_states"):
            for tensor in (getattr(layer, name, None) or {}).values():
                if tensor is not None:
                    recurrent += tensor.nbytes
    return kv, recurrent


_COMPONENT_PATTERNS = (
    ("norms", r"norm|(^|\.)ln_"),
    ("embeddings", r"embed_tokens|\.wte\.|\.wpe\.|word_embeddings|embed_in"),
    ("lm_head", r"^lm_head\."),
    ("experts", r"\.experts\."),
    ("router", r"shared_expert_gate|\.gate\.weight|\.router\."),
    ("shared_experts", r"shared_expert"),
    ("recurrent", r"\.mamba\.|\.linear_attn\."),
    ("attention", r"attn|attention"),
    ("mlp", r"\.mlp\.|feed_forward"),
)


def hf_component(name: str) -> str:
    """The calculators' component of a ``transformers`` parameter name."""
    for component, pattern in _COMPONENT_PATTERNS:
        if re.search(pattern, name):
            return component
    return "other"


@pytest.fixture(scope="session")
def reference() -> Reference:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(min(2, torch.get_num_threads()))
    return Reference(torch, transformers)
