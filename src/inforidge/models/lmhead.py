"""The LM head only on the positions whose logits are read.

A causal LM's forward applies its head to every position, [B, T, d] → [B, T, V], yet each
stage reads a few: evaluation and the probes the last prompt position, training the
positions that predict a target token. With a real vocabulary (V = 50k–152k) and a
CLUTRR-length prompt (T ≈ 256) the unread logits are T times the head's work and a
[B, T, V] float tensor of several GB (benchmarks/README-lmhead.md).

A forward pre-hook on the head (``find_lm_head``) gathers the read positions first, so the
head runs on [N, d] and the model returns logits [N, V]. The forward still goes through the
model's own ``__call__``: the final norm stays where the family puts it (inside the base
model for GPT-2, Llama and Qwen2), and peft wrapping, gradient checkpointing, autocast and
FSDP (whose root forward gathers the head's sharded weight) work unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from inforidge.models.architecture import find_lm_head
from inforidge.models.batching import IGNORE_INDEX, PromptBatch


@contextmanager
def _head_on(model: nn.Module, rows: torch.Tensor, positions: torch.Tensor) -> Iterator[list[bool]]:
    """Inside the context the head sees hidden[rows, positions] ([N, d]) instead of [B, T, d]."""
    fired = [False]

    def gather(module: nn.Module, args: tuple) -> tuple:
        fired[0] = True
        return (args[0][rows, positions], *args[1:])  # [B, T, d] → [N, d]

    handle = find_lm_head(model).register_forward_pre_hook(gather)
    try:
        yield fired
    finally:
        handle.remove()


def logits_at(
    model: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor, rows: torch.Tensor,
    positions: torch.Tensor,
) -> torch.Tensor:
    """Logits [N, V] at (rows[n], positions[n]) of one forward pass over input_ids [B, T].

    Equal to ``model(...).logits[rows, positions]`` without computing the other positions.
    """
    with _head_on(model, rows, positions) as fired:
        logits = model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits
    if not fired[0]:
        raise ValueError(f"{type(model).__name__} never called its LM head; cannot read logits at positions")
    return logits


def last_prompt_logits(model: nn.Module, batch: PromptBatch) -> torch.Tensor:
    """Logits [B, V] at each example's last prompt position (the first target token's prediction)."""
    rows = torch.arange(len(batch.last_prompt), device=batch.last_prompt.device)
    return logits_at(model, batch.input_ids, batch.attention_mask, rows, batch.last_prompt)


def target_token_loss(model: nn.Module, batch: PromptBatch) -> torch.Tensor:
    """Mean next-token cross-entropy over the target tokens (the labels that are not ignored).

    The same value as Hugging Face's ``model(..., labels=batch.labels).loss`` (position t
    predicts labels[t + 1]; float32 logits; mean over target tokens), with the head applied
    to the target-predicting positions only.
    """
    targets = batch.labels[:, 1:]  # [B, T-1]: the token each position t predicts
    rows, positions = (targets != IGNORE_INDEX).nonzero(as_tuple=True)  # N target tokens
    logits = logits_at(model, batch.input_ids, batch.attention_mask, rows, positions)  # [N, V]
    return torch.nn.functional.cross_entropy(logits.float(), targets[rows, positions])


def last_prompt_head_inputs(model: nn.Module, batch: PromptBatch) -> torch.Tensor:
    """The LM head's input [B, d] at each example's last prompt position, without running the head.

    ``head(h)`` then equals ``last_prompt_logits``. For the forward pass the head is an
    identity (its [B, V] product is what the caller means to avoid, or to compute in tiles),
    and the model must return that identity's output untouched: a model whose forward
    alters the head's output afterwards (e.g. logit soft-capping) is refused, as its logits
    cannot be recomputed from ``h``. Differentiable: with gradients on, ``h`` carries them.
    """
    head = find_lm_head(model)
    if "forward" in vars(head):
        raise ValueError(f"{type(head).__name__}.forward is already replaced on the instance; cannot read its inputs")
    seen: dict[str, torch.Tensor] = {}

    def identity(hidden: torch.Tensor) -> torch.Tensor:
        seen["input"] = hidden
        return hidden

    head.forward = identity  # an instance attribute: nn.Module.__call__ (and its hooks) call it
    try:
        output = last_prompt_logits(model, batch)
    finally:
        del head.forward
    if output is not seen["input"]:
        raise ValueError(f"{type(model).__name__} changes its LM head's output; cached head inputs cannot replay it")
    return output
