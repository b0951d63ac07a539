"""AWQ's activation-aware scale search (Lin et al. 2023, arXiv:2306.00978), from scratch, after mit-han-lab/llm-awq
(awq/quantize/auto_scale.py).

A few input channels carry much larger activations than the rest, and their weights matter more. Multiplying
those weight columns by s_j > 1 before quantization gives them a relatively finer grid; dividing the inputs by s_j
keeps the product unchanged: W X = (W diag(s)) (diag(s)^-1 X). AWQ takes s = mean|x|^alpha per input channel and
picks alpha in [0, 1) on a grid by the output error of the quantized layer on calibration inputs. alpha = 0 is
plain round-to-nearest, so the search never does worse than RTN on the calibration data.

In a model, diag(s)^-1 costs nothing at inference: it folds into the operation that produces X (an RMSNorm's
weight, or the rows of the previous linear layer). Not shown here: AWQ's second search, which clips the weight range.

    python -m snippets.scratch.awq
"""

from __future__ import annotations

import torch
from torch import nn

from snippets.scratch.rtn import rtn


# --8<-- [start:awq]
@torch.no_grad()
def awq_search_scale(W: torch.Tensor, X: torch.Tensor, bits: int = 4, group_size: int = 128, sym: bool = False,
                     n_grid: int = 20) -> tuple[torch.Tensor, float, list[float]]:
    """Best per-input-channel scale s for W [rows, in] given inputs X [tokens, in].

    Returns (s, alpha, loss for every alpha on the grid). The loss is the output MSE ||W X - Q(W s) (X / s)||^2.
    """
    X = X.reshape(-1, X.shape[-1]).float()
    W = W.float()
    x_mean = X.abs().mean(dim=0)  # activation magnitude per input channel
    Y = X @ W.T  # full-precision output
    losses, best = [], (float("inf"), None, None)
    for ratio in range(n_grid):
        alpha = ratio / n_grid
        s = x_mean.pow(alpha).clamp(min=1e-4)
        s = s / (s.max() * s.min()).sqrt()  # centre the scales around 1 (keeps W * s in range)
        W_q = rtn(W * s, bits, sym, "group", group_size)[0]
        loss = ((X / s) @ W_q.T - Y).square().mean().item()
        losses.append(loss)
        if loss < best[0]:
            best = (loss, s, alpha)
    return best[1], best[2], losses


@torch.no_grad()
def fold_scale(prev_op: nn.Module, linears: list[nn.Linear], s: torch.Tensor) -> None:
    """W <- W diag(s) for the linears reading X, and X <- X / s by rescaling the op that produces X."""
    if isinstance(prev_op, nn.Linear):  # its output rows are our input channels
        prev_op.weight.div_(s.view(-1, 1))
        if prev_op.bias is not None:
            prev_op.bias.div_(s)
    else:  # a norm layer: RMSNorm / LayerNorm weight (and bias)
        prev_op.weight.div_(s)
        if getattr(prev_op, "bias", None) is not None:
            prev_op.bias.div_(s)
    for linear in linears:
        linear.weight.mul_(s.view(1, -1))


@torch.no_grad()
def awq_quantize(prev_op: nn.Module, linears: list[nn.Linear], X: torch.Tensor, bits: int = 4,
                 group_size: int = 128, sym: bool = False) -> float:
    """AWQ for linears sharing the input X: one s (searched on their stacked outputs), folded, then RTN."""
    W = torch.cat([linear.weight for linear in linears])
    s, alpha, _ = awq_search_scale(W, X, bits, group_size, sym)
    fold_scale(prev_op, linears, s)
    for linear in linears:
        linear.weight.copy_(rtn(linear.weight.float(), bits, sym, "group", group_size)[0])
    return alpha
# --8<-- [end:awq]


# In a Llama decoder layer: which op produces the input of each group of linears (the group's first name).
# Folding into v_proj needs num_key_value_heads == num_attention_heads (otherwise o_proj's input channels do not
# map one-to-one to v_proj's output rows); down_proj's input is act(gate) * up, so it folds into up_proj's rows.
LLAMA_PREVIOUS_OP = {
    "self_attn.q_proj": "input_layernorm",
    "self_attn.o_proj": "self_attn.v_proj",
    "mlp.gate_proj": "post_attention_layernorm",
    "mlp.down_proj": "mlp.up_proj",
}


def awq_llama_compressor(bits: int = 4, group_size: int = 128, sym: bool = False):
    """A compressor for tiny_lm.compress_sequentially: AWQ on each group of linears of a decoder layer."""

    def compress(layer, names, X):
        linears = [layer.get_submodule(name) for name in names]
        awq_quantize(layer.get_submodule(LLAMA_PREVIOUS_OP[names[0]]), linears, torch.cat(
            [x.reshape(-1, x.shape[-1]) for x in X]), bits, group_size, sym)

    return compress


if __name__ == "__main__":
    torch.manual_seed(0)
    tokens, hidden, out = 2048, 256, 256
    prev = nn.Linear(hidden, hidden)  # produces fc's input
    fc = nn.Linear(hidden, out, bias=False)
    X_in = torch.randn(tokens, hidden)
    with torch.no_grad():
        prev.weight[:, :] *= 0.05
        prev.weight[:8] *= 40  # eight outlier channels in fc's input, as in real LLM activations
        X = prev(X_in)
        Y = fc(X)
        rtn_out = X @ rtn(fc.weight, 3, granularity="group", group_size=64)[0].T
        alpha = awq_quantize(prev, [fc], X, bits=3, group_size=64)
        awq_out = fc(prev(X_in))  # the folded model: prev now outputs X / s, fc holds Q(W diag(s))

    def err(y):
        return ((y - Y).square().sum() / Y.square().sum()).item()

    print(f"3-bit, group 64, relative output error: RTN {err(rtn_out):.4f}, AWQ {err(awq_out):.4f} (alpha {alpha})")
