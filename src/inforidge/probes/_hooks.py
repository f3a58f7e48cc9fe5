"""The one hook the intervention probes use: rewrite ``resid_post[l]`` as it is computed.

Residual scaling, ablation and activation patching all replace the residual stream after
some layer by a function of it (and of the block's input). This module holds the hook
mechanics in one place so that they can be swapped for a shared residual-stream
primitive without touching the probes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import nn

from inforidge.architecture import block_output_hidden, find_blocks

#: rewrite(layer, h_post, h_prev) → new h_post, or None to leave it unchanged.
#: layer is l = 0..L; h_post = resid_post[l] [B, T, d]; h_prev = resid_post[l − 1]
#: [B, T, d] (the block's input), None at l = 0 (the embedding output).
Rewrite = Callable[[int, torch.Tensor, torch.Tensor | None], torch.Tensor | None]


def _block_input(args: tuple, kwargs: dict) -> torch.Tensor:
    return args[0] if args else kwargs["hidden_states"]


@contextmanager
def rewritten_stream(model: nn.Module, rewrite: Rewrite) -> Iterator[None]:
    """Inside the context, every forward pass replaces ``resid_post[l]`` by ``rewrite(l, ...)``.

    Layer 0 is rewritten in a pre-hook on the first block (its input), layer l ≥ 1 in a
    forward hook on block l (its output). The hooks are removed on exit, so the model is
    exactly as before.
    """
    blocks = find_blocks(model)

    def embed_hook(module: nn.Module, args: tuple, kwargs: dict) -> tuple | None:
        new = rewrite(0, _block_input(args, kwargs), None)
        if new is None:
            return None
        if args:
            return (new, *args[1:]), kwargs
        return args, {**kwargs, "hidden_states": new}

    def block_hook(layer: int) -> Callable:
        def hook(module: nn.Module, args: tuple, kwargs: dict, output: torch.Tensor | tuple) -> torch.Tensor | tuple | None:
            new = rewrite(layer, block_output_hidden(output), _block_input(args, kwargs))
            if new is None:
                return None
            return type(output)([new, *output[1:]]) if isinstance(output, (tuple, list)) else new

        return hook

    handles = [blocks[0].register_forward_pre_hook(embed_hook, with_kwargs=True)]
    handles += [block.register_forward_hook(block_hook(l), with_kwargs=True) for l, block in enumerate(blocks, start=1)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()
