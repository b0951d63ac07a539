"""What tiny_lm.compress_sequentially calls to compress a group of linears, and the one shape most methods share.

A Compressor is called as compress(layer, names, inputs): it rewrites the weights of layer.get_submodule(name) for
every name in names, in place; inputs holds one tensor [batch, seq, in_features] per calibration batch, what those
linears read. :func:`each_linear` builds one from a rule for a single weight.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

Compressor = Callable[[nn.Module, list[str], list[torch.Tensor]], None]


def each_linear(update: Callable[[torch.Tensor, object], torch.Tensor],
                statistic: Callable[[list[torch.Tensor]], object] = lambda inputs: None) -> Compressor:
    """A Compressor that replaces each linear's weight W by update(W, statistic(inputs)); the statistic of the
    group's shared inputs (GPTQ's and SparseGPT's H, Wanda's input norms, nothing for RTN) is computed once."""

    @torch.no_grad()
    def compress(layer: nn.Module, names: list[str], inputs: list[torch.Tensor]) -> None:
        stat = statistic(inputs)
        for name in names:
            linear = layer.get_submodule(name)
            linear.weight.copy_(update(linear.weight, stat))

    return compress
