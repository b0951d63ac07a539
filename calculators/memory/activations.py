"""The tensor widths of a model that decide the size of its activations, read from its weight shapes.

Each engine's activation model (the largest transient of a forward pass) and the training calculator read
these widths; they are the maximum over the layers of each kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from calculators.memory.runtime import ACT_BYTES
from calculators.model.spec import ModelSpec


@dataclass
class LayerWidths:
    """Per-layer tensor widths the activation models need (maximum over layers of each kind)."""

    hidden: int
    attn_qkv: int = 0  # sum of out widths of attention linears that read the hidden state
    attn_out: int = 0  # in width of the attention output projection
    mlp_up: int = 0
    mlp_inter: int = 0
    moe_up: int = 0
    moe_inter: int = 0
    shared_up: int = 0
    shared_inter: int = 0
    rec_in: int = 0
    rec_out: int = 0
    num_experts: int = 0
    top_k: int = 0
    vocab: int = 0
    layers: int = 0
    attention_layers: int = 0
    head_dim: int = 0

    @classmethod
    def of(cls, spec: ModelSpec) -> LayerWidths:
        h = spec.hidden_size
        w = cls(hidden=h, num_experts=spec.num_experts, top_k=spec.experts_per_token, layers=spec.num_hidden_layers)
        up: dict[tuple[str, str], int] = {}  # (component, name) -> widest output among layers
        down: dict[str, int] = {}  # component -> widest input of a layer writing the hidden state
        for g in spec.tensors:
            if g.role != "linear" or g.component in ("lm_head", "embeddings", "router", "other"):
                continue
            out_f, in_f = g.shape[-2], g.shape[-1]
            if g.component == "attention":
                if g.split == "row":  # the output projection (o_proj, dense, c_proj): it writes the hidden state
                    down["attention"] = max(down.get("attention", 0), in_f)
                else:
                    up[("attention", g.name)] = max(up.get(("attention", g.name), 0), out_f)
            elif in_f == h and out_f != h:
                up[(g.component, g.name)] = max(up.get((g.component, g.name), 0), out_f)
            elif out_f == h:
                down[g.component] = max(down.get(g.component, 0), in_f)
        sums: dict[tuple[str, str], int] = {}
        for (component, _), width in up.items():
            sums[(component, "up")] = sums.get((component, "up"), 0) + width
        for component, width in down.items():
            sums[(component, "down")] = width
        w.attn_qkv, w.attn_out = sums.get(("attention", "up"), 0), sums.get(("attention", "down"), 0)
        w.mlp_up, w.mlp_inter = sums.get(("mlp", "up"), 0), sums.get(("mlp", "down"), 0)
        w.moe_up, w.moe_inter = sums.get(("experts", "up"), 0), sums.get(("experts", "down"), 0)
        w.shared_up, w.shared_inter = sums.get(("shared_experts", "up"), 0), sums.get(("shared_experts", "down"), 0)
        w.rec_in, w.rec_out = sums.get(("recurrent", "up"), 0), sums.get(("recurrent", "down"), 0)
        w.vocab = next((g.shape[-2] for g in spec.tensors if g.component == "lm_head" and g.role == "linear"),
                       spec.vocab_size)
        w.attention_layers = sum(1 for m in spec.mixers if m.caches_tokens)
        w.head_dim = max((getattr(m, "head_dim", 0) or getattr(m, "qk_rope_head_dim", 0) for m in spec.mixers),
                         default=0)
        return w

    def layer_transient(self, tokens: int, tp: int, engine: str) -> int:
        """Largest per-layer transient (bytes) of a forward pass over ``tokens`` tokens, one GPU."""
        h = self.hidden
        candidates = [0]
        if self.attn_qkv:
            rotary_copies = self.attn_qkv if engine == "transformers" else 0
            candidates.append(tokens * ((self.attn_qkv + rotary_copies + self.attn_out) // tp + h))
        if self.mlp_up:
            live = 3 * self.mlp_inter if engine == "transformers" else self.mlp_up + self.mlp_inter
            candidates.append(tokens * (live // tp + h))
        if self.moe_up:
            routed = tokens * self.top_k * ((self.moe_up + self.moe_inter) // tp + h)
            shared = tokens * ((self.shared_up + self.shared_inter) // tp) if self.shared_up else 0
            router = tokens * self.num_experts * 4 // ACT_BYTES  # fp32 logits, in ACT_BYTES units
            candidates.append(routed + shared + router)
        if self.rec_in:
            candidates.append(tokens * ((self.rec_in + self.rec_out) // tp + h))
        return ACT_BYTES * max(candidates)
