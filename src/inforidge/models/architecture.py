"""Architecture-agnostic access to a causal LM's parts.

Hugging Face models name their pieces differently (GPT-2: ``transformer.h`` and
``transformer.ln_f``; Llama/Qwen2: ``model.layers`` and ``model.norm``). Every stage
that hooks into a model goes through these helpers instead of hard-coding paths.

Vocabulary (as in docs/method.md): ``resid_post[l]`` is the residual stream after block l
(l = 0 is the embedding output); ``final_norm`` is the final norm applied to
``resid_post[L]``.
"""

from __future__ import annotations

import torch
from torch import nn

# Known attribute paths first; the generic search below covers other families.
_BLOCK_PATHS = ("transformer.h", "model.layers", "gpt_neox.layers", "model.decoder.layers")
_NORM_PATHS = ("transformer.ln_f", "model.norm", "gpt_neox.final_layer_norm", "model.decoder.final_layer_norm")


def _get_path(module: nn.Module, path: str) -> nn.Module | None:
    for name in path.split("."):
        module = getattr(module, name, None)
        if module is None:
            return None
    return module


def find_blocks(model: nn.Module) -> nn.ModuleList:
    """Return the model's transformer blocks in order (length L).

    Tries the known paths, then falls back to the longest ``nn.ModuleList`` whose
    children all share one class (the repeated block of any decoder-only model).
    """
    for path in _BLOCK_PATHS:
        blocks = _get_path(model, path)
        if isinstance(blocks, nn.ModuleList):
            return blocks
    candidates = [
        m for m in model.modules()
        if isinstance(m, nn.ModuleList) and len(m) > 0 and len({type(c) for c in m}) == 1
    ]
    if not candidates:
        raise ValueError(f"cannot find transformer blocks in {type(model).__name__}")
    return max(candidates, key=len)


def find_final_norm(model: nn.Module) -> nn.Module:
    """Return the norm applied after the last block (before the LM head)."""
    for path in _NORM_PATHS:
        norm = _get_path(model, path)
        if isinstance(norm, nn.Module):
            return norm
    raise ValueError(f"cannot find the final norm of {type(model).__name__}")


def find_lm_head(model: nn.Module) -> nn.Module:
    """Return the output projection from the residual stream to vocabulary logits."""
    head = model.get_output_embeddings()
    if head is None:
        raise ValueError(f"{type(model).__name__} has no output embeddings (LM head)")
    return head


def find_input_embeddings(model: nn.Module) -> nn.Embedding:
    """Return the token embedding matrix (used by the ``lookup`` target mode)."""
    return model.get_input_embeddings()


def num_layers(model: nn.Module) -> int:
    """Number of transformer blocks L (so ``resid_post`` has L + 1 layers)."""
    return len(find_blocks(model))


def block_output_hidden(output: torch.Tensor | tuple) -> torch.Tensor:
    """The hidden state from a block's forward output (a tensor or a tuple led by it)."""
    return output[0] if isinstance(output, (tuple, list)) else output
