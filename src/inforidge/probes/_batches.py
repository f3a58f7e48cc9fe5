"""Batches for the probes (prompt plus the first target token) and their readout."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pandas as pd
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from inforidge import lmhead
from inforidge.batching import PromptBatch, encode_frame, iterate_batches


def first_target_batches(
    tokenizer: PreTrainedTokenizerBase, frame: pd.DataFrame, batch_size: int, device: torch.device,
) -> Iterator[PromptBatch]:
    """Yield batches of ``frame`` on ``device``, keeping only the first target token.

    Every probe reads the last prompt position only; the target is truncated to one
    token so sequences (and the causal forward pass) stay as short as possible.
    """
    examples = encode_frame(tokenizer, frame)
    for batch in iterate_batches(examples, batch_size, tokenizer.pad_token_id, target_tokens=1):
        yield batch.to(device)


def last_prompt_logits(model: PreTrainedModel, batch: PromptBatch) -> torch.Tensor:
    """Next-token logits at the last prompt position only: [B, V] in float32 (``inforidge.lmhead``)."""
    return lmhead.last_prompt_logits(model, batch).float()


def score_logits(logits: torch.Tensor, targets: torch.Tensor) -> tuple[float, int]:
    """(summed cross-entropy, number correct) of logits [B, V] against targets [B]."""
    loss = torch.nn.functional.cross_entropy(logits, targets, reduction="sum").item()
    return loss, int((logits.argmax(-1) == targets).sum().item())


@torch.no_grad()
def score(model: PreTrainedModel, batches: Iterable[PromptBatch], temperature: float = 1.0) -> dict[str, float]:
    """Mean first-target cross-entropy ``loss``, ``accuracy`` and ``n`` of the model's last-position readout.

    Logits are divided by ``temperature`` before the loss (accuracy does not depend on it).
    Any hooks active on the model (scales, ablations) apply.
    """
    loss_sum, correct, count = 0.0, 0, 0
    for batch in batches:
        loss, right = score_logits(last_prompt_logits(model, batch) / temperature, batch.target_first)
        loss_sum, correct, count = loss_sum + loss, correct + right, count + len(batch.rows)
    return {"loss": loss_sum / count, "accuracy": correct / count, "n": count}
