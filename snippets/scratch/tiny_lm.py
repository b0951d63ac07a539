"""A tiny byte-level Llama trained on the Python standard library's own source, for honest comparisons.

Every machine with Python has the corpus, so nothing is downloaded: the training text is the top-level `*.py`
files of `sysconfig.get_paths()["stdlib"]`, sorted by name; every 8th file is held out for perplexity. Tokens are
bytes (vocabulary 256), so there is no tokenizer to fit or ship.

The compression snippets plug into `compress_sequentially`, which walks the decoder layers one at a time like the
GPTQ reference code (IST-DASLab/gptq, llama.py): run the calibration batches through layer i, record the inputs of
its linear layers with forward hooks, compress them, then feed the compressed layer's outputs to layer i + 1.

    python -m snippets.scratch.tiny_lm      # trains (or loads the cached model) and prints held-out perplexity
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from transformers import LlamaConfig, LlamaForCausalLM

from snippets import REPO_ROOT
from snippets.scratch.compressor import Compressor

DEFAULT_CACHE = REPO_ROOT / ".cache" / "tiny-lm"


# --8<-- [start:corpus]
def stdlib_sources() -> list[Path]:
    """The corpus: the standard library's top-level modules, in a fixed (sorted) order."""
    return sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))


def load_corpus(heldout_every: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """Byte tokens of the training files and of the held-out files (split by file, never inside one)."""
    train, heldout = [], []
    for i, path in enumerate(stdlib_sources()):
        (heldout if i % heldout_every == 0 else train).append(path.read_bytes())
    return encode(b"".join(train)), encode(b"".join(heldout))


def encode(data: bytes) -> torch.Tensor:
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).long()


def decode(ids: torch.Tensor) -> str:
    return bytes(ids.tolist()).decode("utf-8", errors="replace")


def random_windows(tokens: torch.Tensor, n: int, seq_len: int, generator: torch.Generator) -> torch.Tensor:
    """n windows of seq_len tokens at random offsets: training and calibration batches."""
    starts = torch.randint(0, len(tokens) - seq_len, (n,), generator=generator)
    return torch.stack([tokens[s : s + seq_len] for s in starts.tolist()])


def spread_windows(tokens: torch.Tensor, n: int, seq_len: int) -> torch.Tensor:
    """n windows at evenly spaced offsets, covering every held-out file: the evaluation set."""
    starts = torch.linspace(0, len(tokens) - seq_len, n).long()
    return torch.stack([tokens[s : s + seq_len] for s in starts.tolist()])
# --8<-- [end:corpus]


@dataclasses.dataclass(frozen=True)
class TinyConfig:
    """Model shape and training recipe. Every field goes into the cache key."""

    hidden_size: int = 128
    intermediate_size: int = 384
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    seq_len: int = 128
    batch_size: int = 16
    steps: int = 512
    lr: float = 2e-3
    warmup_steps: int = 50
    weight_decay: float = 0.1
    seed: int = 0

    def llama_config(self) -> LlamaConfig:
        return LlamaConfig(
            vocab_size=256,
            hidden_size=self.hidden_size,
            intermediate_size=self.intermediate_size,
            num_hidden_layers=self.num_hidden_layers,
            num_attention_heads=self.num_attention_heads,
            num_key_value_heads=self.num_attention_heads,
            max_position_embeddings=self.seq_len,
            tie_word_embeddings=False,
            bos_token_id=None,
            eos_token_id=None,
            pad_token_id=None,
        )


def new_model(cfg: TinyConfig) -> LlamaForCausalLM:
    torch.manual_seed(cfg.seed)
    return LlamaForCausalLM(cfg.llama_config()).float()


# --8<-- [start:train]
def lm_loss(model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    """Next-byte cross-entropy; transformers shifts the labels by one inside the model."""
    return model(input_ids=batch, labels=batch).loss


def train(
    model: nn.Module,
    train_tokens: torch.Tensor,
    cfg: TinyConfig,
    loss_fn: Callable[[nn.Module, torch.Tensor], torch.Tensor] = lm_loss,
    log_every: int = 0,
) -> list[float]:
    """AdamW with linear warm-up and cosine decay; the data order depends only on cfg.seed."""
    generator = torch.Generator().manual_seed(cfg.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.95), weight_decay=cfg.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / cfg.warmup_steps, 0.5 * (1 + math.cos(math.pi * step / cfg.steps))),
    )
    model.train()
    losses = []
    for step in range(cfg.steps):
        batch = random_windows(train_tokens, cfg.batch_size, cfg.seq_len, generator).to(model.device)
        loss = loss_fn(model, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if log_every and step % log_every == 0:
            print(f"step {step:4d}  loss {loss.item():.3f}", flush=True)
    model.eval()
    return losses


@torch.no_grad()
def perplexity(model: nn.Module, windows: torch.Tensor, batch_size: int = 32) -> float:
    """exp(mean next-byte negative log-likelihood) over every predicted position of the windows."""
    nll, count = 0.0, 0
    for batch in windows.split(batch_size):
        batch = batch.to(model.device)
        logits = model(input_ids=batch).logits[:, :-1].float()
        targets = batch[:, 1:]
        nll += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="sum")
        count += targets.numel()
    return math.exp(nll / count)
# --8<-- [end:train]


# --8<-- [start:sequential]
# The linear layers of a Llama decoder layer, in the order the reference code's --true-sequential option compresses
# them. The linears in one group read the same input, so it is recorded once per group.
SEQUENTIAL_GROUPS = [
    ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"],
    ["self_attn.o_proj"],
    ["mlp.gate_proj", "mlp.up_proj"],
    ["mlp.down_proj"],
]

@torch.no_grad()
def compress_sequentially(model: LlamaForCausalLM, calibration: torch.Tensor, compress: Compressor,
                          batch_size: int = 8, true_sequential: bool = True) -> dict[str, float]:
    """Compress every decoder layer in turn; the next layer is calibrated on the compressed layer's outputs.

    true_sequential: inside a layer too, each group of linears is calibrated on the outputs of the groups already
    compressed (q, k, v, then o, then gate, up, then down); otherwise all four groups record their inputs in one
    pass through the uncompressed layer (as llm-compressor and the Wanda reference code do).
    Returns the relative output error ||W X - W' X'||^2 / ||W X||^2 of every linear on its calibration inputs.
    AWQ needs true_sequential (its scales fold into the op before each group, e.g. v_proj before o_proj).
    """
    inps, kwargs = layer0_inputs(model, calibration, batch_size)
    errors = {}
    for i, layer in enumerate(model.model.layers):
        if not true_sequential:
            X_all = record_inputs(layer, [names[0] for names in SEQUENTIAL_GROUPS], inps, kwargs)
        for names in SEQUENTIAL_GROUPS:
            X = record_inputs(layer, [names[0]], inps, kwargs) if true_sequential else X_all
            W = {name: layer.get_submodule(name).weight.detach().clone() for name in names}
            compress(layer, names, X[names[0]])
            # what the group reads now: the same inputs, unless the method rescaled them (AWQ folds 1/s upstream)
            X_new = record_inputs(layer, [names[0]], inps, kwargs) if true_sequential else X
            for name in names:
                errors[f"model.layers.{i}.{name}"] = relative_output_error(
                    W[name], X[names[0]], layer.get_submodule(name).weight, X_new[names[0]])
        inps = [layer(inp, **kw) for inp, kw in zip(inps, kwargs, strict=True)]
    return errors


@torch.no_grad()
def layer0_inputs(model, calibration, batch_size):
    """Run the embeddings only: catch what the first decoder layer receives (hidden states and keyword arguments)."""
    inps, kwargs = [], []

    class Caught(Exception):
        pass

    def catch(module, args, kw):
        inps.append(args[0] if args else kw.pop("hidden_states"))
        kwargs.append({k: v for k, v in kw.items() if k != "hidden_states"})
        raise Caught

    handle = model.model.layers[0].register_forward_pre_hook(catch, with_kwargs=True)
    try:
        for batch in calibration.split(batch_size):
            with contextlib.suppress(Caught):
                model(input_ids=batch.to(model.device), use_cache=False)
    finally:
        handle.remove()
    return inps, kwargs


@torch.no_grad()
def record_inputs(layer, names, inps, kwargs) -> dict[str, list[torch.Tensor]]:
    """The input of layer.<name> for every name and calibration batch, seen through forward hooks."""
    seen = {name: [] for name in names}
    handles = [layer.get_submodule(name).register_forward_hook(
        lambda module, args, out, name=name: seen[name].append(args[0])) for name in names]
    try:
        for inp, kw in zip(inps, kwargs, strict=True):
            layer(inp, **kw)
    finally:
        for handle in handles:
            handle.remove()
    return seen


def relative_output_error(W, X, W_new, X_new) -> float:
    """||W X - W_new X_new||^2 / ||W X||^2 over all calibration tokens (X: list of [batch, seq, in] tensors)."""
    num = den = 0.0
    for x, x_new in zip(X, X_new, strict=True):
        y = x.reshape(-1, x.shape[-1]).float() @ W.float().T
        y_new = x_new.reshape(-1, x_new.shape[-1]).float() @ W_new.float().T
        num += (y_new - y).square().sum().item()
        den += y.square().sum().item()
    return num / den
# --8<-- [end:sequential]


# ---------------------------------------------------------------------------------------------------------------
# The trained model, cached on disk: training takes 2-3 minutes on a 2-core CPU, loading a fraction of a second.

def cache_key(cfg: TinyConfig, train_tokens: torch.Tensor) -> str:
    """Changes whenever the recipe, this file, the corpus or the library versions change."""
    import transformers

    h = hashlib.sha256()
    h.update(json.dumps(dataclasses.asdict(cfg), sort_keys=True).encode())
    h.update(Path(__file__).read_bytes())
    h.update(train_tokens.to(torch.uint8).numpy().tobytes())
    h.update(f"{torch.__version__} {transformers.__version__}".encode())
    return h.hexdigest()[:16]


def load_or_train(cfg: TinyConfig = TinyConfig(), cache_dir: Path = DEFAULT_CACHE, log_every: int = 0):
    """The trained model (cached under cache_dir/<key>/), with the metadata of the run that trained it.

    A model just trained is saved and read back like a cached one, so callers always get the same thing: in eval
    mode, with ``config._name_or_path`` naming its folder (llm-compressor's ``oneshot`` reads the config from there).
    """
    train_tokens, _ = load_corpus()
    path = Path(cache_dir) / cache_key(cfg, train_tokens)
    if not (path / "meta.json").exists():
        model = new_model(cfg)
        start = time.perf_counter()
        losses = train(model, train_tokens, cfg, log_every=log_every)
        meta = {"config": dataclasses.asdict(cfg), "train_seconds": time.perf_counter() - start,
                "final_loss": sum(losses[-10:]) / 10, "parameters": sum(p.numel() for p in model.parameters())}
        path.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(path)
        (path / "meta.json").write_text(json.dumps(meta, indent=2))
    model = LlamaForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    return model, {**json.loads((path / "meta.json").read_text()), "path": str(path)}


def calibration_windows(n: int = 32, seq_len: int = 128, seed: int = 1) -> torch.Tensor:
    """Calibration batches: random training windows, drawn with a seed different from the training one."""
    train_tokens, _ = load_corpus()
    return random_windows(train_tokens, n, seq_len, torch.Generator().manual_seed(seed))


def heldout_windows(n: int = 64, seq_len: int = 128) -> torch.Tensor:
    _, heldout_tokens = load_corpus()
    return spread_windows(heldout_tokens, n, seq_len)


if __name__ == "__main__":
    torch.manual_seed(0)
    model, meta = load_or_train(log_every=25)
    print(f"{meta['parameters']:,} parameters, trained in {meta['train_seconds']:.0f} s, "
          f"final training loss {meta['final_loss']:.3f}")
    print(f"held-out perplexity: {perplexity(model, heldout_windows()):.3f} (per byte)")
