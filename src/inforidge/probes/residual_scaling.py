"""Residual scaling: how much of each block's update the data wants to keep.

Each block l is rewired to h_l = h_{l−1} + β_l·(Block_l(h_{l−1}) − h_{l−1}) with one
scalar β_l ≥ 0 per block; all model weights stay frozen and only β is fitted, on ID or
on OOD data. β_l < 1 damps a block, β_l > 1 amplifies it. The paper finds OOD-fitted β
lower on the final layers and higher on the middle (ridge) layers.

The rewiring goes through ``inforidge.hooks.block_hooks`` (the one residual-stream hook
primitive), so it works for any architecture whose blocks map the residual stream to the
residual stream (GPT-2, Llama, Qwen2, ...), and leaves no trace once the context exits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from inforidge.architecture import find_blocks
from inforidge.batching import PromptBatch, encode_frame, iterate_batches
from inforidge.encoding import EncodedExample
from inforidge.evaluation import evaluate_split
from inforidge.hooks import block_hooks
from inforidge.lmhead import last_prompt_logits


class ResidualScales(nn.Module):
    """The trainable scales: β = θ² per block, θ initialised to 1.

    Squaring keeps β ≥ 0 for any θ an optimizer may reach, and makes the unmodified
    model (β = 1) exactly representable, unlike softplus or exp parametrizations.
    """

    def __init__(self, n_blocks: int) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.ones(n_blocks))  # [L]

    def betas(self) -> torch.Tensor:
        """Current β, one per block: [L]."""
        return self.theta.square()

    @torch.no_grad()
    def set_betas(self, betas: torch.Tensor) -> None:
        """Overwrite β (non-negative, shape [L]); used to pin the model to fixed scales."""
        if (betas < 0).any():
            raise ValueError("residual scales must be non-negative")
        self.theta.copy_(betas.sqrt())


def _rescaler(scales: ResidualScales) -> Callable[[int, torch.Tensor, torch.Tensor], torch.Tensor]:
    def rescale(index: int, h_in: torch.Tensor, h_out: torch.Tensor) -> torch.Tensor:  # [B, T, d] each
        # Equal to h_in + β(h_out − h_in), but written so that β = 1 returns h_out
        # bit for bit (h_in + (h_out − h_in) can differ from h_out by rounding).
        beta_minus_one = (scales.betas()[index] - 1).to(h_out.dtype)
        return h_out + beta_minus_one * (h_out - h_in)

    return rescale


@contextmanager
def scaled_residuals(model: PreTrainedModel) -> Iterator[ResidualScales]:
    """Rewire every block's residual update with trainable scales (initially β = 1).

    Inside the context all model weights are frozen (``requires_grad`` False) so only
    the yielded scales receive gradients; on exit the hooks are removed and the
    original ``requires_grad`` flags restored, so the model is exactly as before.
    """
    device = next(model.parameters()).device
    scales = ResidualScales(len(find_blocks(model))).to(device)
    flags = {name: p.requires_grad for name, p in model.named_parameters()}
    try:
        model.requires_grad_(False)
        with block_hooks(model, _rescaler(scales)):
            yield scales
    finally:
        for name, p in model.named_parameters():
            p.requires_grad_(flags[name])


@dataclass
class ResidualScalingResult:
    """Outcome of one fit.

    Attributes:
        betas: opt_step, layer (1..L), beta; recorded at step 0, every ``record_every``
            steps and at the final step.
        accuracy: split (role name), phase ("before"/"after" fitting), accuracy, loss, n.
        fit_loss: opt_step (1..steps), loss (mean first-target cross-entropy of the batch).
    """

    betas: pd.DataFrame
    accuracy: pd.DataFrame
    fit_loss: pd.DataFrame


def _endless_batches(
    examples: Sequence[EncodedExample], batch_size: int, pad_id: int, generator: torch.Generator,
) -> Iterator[PromptBatch]:
    # Epochs of fresh permutations: the data order depends only on the seed.
    while True:
        order = torch.randperm(len(examples), generator=generator).tolist()
        yield from iterate_batches(examples, batch_size, pad_id, order=order, target_tokens=1)


def _beta_rows(step: int, scales: ResidualScales) -> list[dict]:
    betas = scales.betas().detach().cpu().tolist()
    return [{"opt_step": step, "layer": layer, "beta": beta} for layer, beta in enumerate(betas, start=1)]


def _accuracy_rows(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, frames: dict[str, pd.DataFrame], phase: str,
    batch_size: int, device: torch.device,
) -> list[dict]:
    return [
        {"split": role, "phase": phase, **evaluate_split(model, tokenizer, frame, batch_size=batch_size, device=device)}
        for role, frame in frames.items()
    ]


def fit_residual_scaling(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, fit_frame: pd.DataFrame,
    eval_frames: dict[str, pd.DataFrame], *, steps: int, lr: float, batch_size: int, seed: int,
    device: torch.device, record_every: int,
) -> ResidualScalingResult:
    """Fit per-block residual scales β on ``fit_frame`` with the model frozen.

    Adam minimises the cross-entropy of the first target token at the last prompt
    position for ``steps`` steps over seed-shuffled epochs of ``fit_frame``. Accuracy
    and loss on each of ``eval_frames`` (keyed by role, e.g. "id"/"ood") are measured
    before and after fitting. The model is left unchanged (weights and behaviour).
    """
    if steps < 0 or record_every < 1:
        raise ValueError(f"need steps >= 0 and record_every >= 1, got {steps} and {record_every}")
    model.to(device).eval()
    accuracy = _accuracy_rows(model, tokenizer, eval_frames, "before", batch_size, device)
    examples = encode_frame(tokenizer, fit_frame)
    batches = _endless_batches(examples, batch_size, tokenizer.pad_token_id, torch.Generator().manual_seed(seed))
    with scaled_residuals(model) as scales:
        optimizer = torch.optim.Adam(scales.parameters(), lr=lr)
        betas, losses = _beta_rows(0, scales), []
        for step in range(1, steps + 1):
            batch = next(batches).to(device)
            last = last_prompt_logits(model, batch).float()  # [B, V]; the head runs on these positions only
            loss = torch.nn.functional.cross_entropy(last, batch.target_first)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append({"opt_step": step, "loss": loss.item()})
            if step % record_every == 0 or step == steps:
                betas += _beta_rows(step, scales)
        accuracy += _accuracy_rows(model, tokenizer, eval_frames, "after", batch_size, device)
    return ResidualScalingResult(
        betas=pd.DataFrame(betas, columns=["opt_step", "layer", "beta"]),
        accuracy=pd.DataFrame(accuracy, columns=["split", "phase", "accuracy", "loss", "n"]),
        fit_loss=pd.DataFrame(losses, columns=["opt_step", "loss"]),
    )
