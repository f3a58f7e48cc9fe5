"""The one residual-stream hook primitive, shared by activation capture and the probes.

Vocabulary (docs/method.md): ``resid_post[l]`` is the residual stream after block l, with
``resid_post[0]`` the input of block 0 (the embedding output). A forward hook on block i
sees both ``resid_post[i]`` (its input) and ``resid_post[i + 1]`` (its output), so one
hook per block serves every use: reading the stream (capture, the logit lens) and
rewriting a block's output (residual scaling). Blocks are found through
:mod:`inforidge.models.architecture`, so this works for every supported model family.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import torch
from torch import nn
from transformers import PreTrainedModel

from inforidge.models.architecture import block_output_hidden, find_blocks

#: ``fn(index, resid_in, resid_out)`` with both [B, S, d]: return None to leave the block's
#: output alone, or a tensor [B, S, d] that replaces it.
BlockFn = Callable[[int, torch.Tensor, torch.Tensor], "torch.Tensor | None"]


@contextmanager
def block_hooks(model: PreTrainedModel, fn: BlockFn, blocks: Iterable[int] | None = None) -> Iterator[int]:
    """Call ``fn`` after each forward of the chosen blocks (all by default) inside the context.

    Yields the number of blocks L. The hooks are removed on exit, even on error.
    """
    modules = find_blocks(model)
    chosen = range(len(modules)) if blocks is None else sorted(set(blocks))
    handles = [modules[index].register_forward_hook(_hook(fn, index), with_kwargs=True) for index in chosen]
    try:
        yield len(modules)
    finally:
        for handle in handles:
            handle.remove()


def _hook(fn: BlockFn, index: int) -> Callable:
    def hook(module: nn.Module, args: tuple, kwargs: dict, output: torch.Tensor | tuple) -> torch.Tensor | tuple | None:
        resid_in = args[0] if args else kwargs["hidden_states"]  # [B, S, d] resid_post[index]
        replaced = fn(index, resid_in, block_output_hidden(output))  # output: resid_post[index + 1]
        if replaced is None:
            return None
        if isinstance(output, (tuple, list)):
            return type(output)([replaced, *output[1:]])
        return replaced

    return hook
