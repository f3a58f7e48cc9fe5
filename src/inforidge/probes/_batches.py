"""Batches for the probes (prompt plus the first target token) and their readout.

Every readout here goes through the LM head's input at the last prompt position: a forward
pass stops before the head (``lmhead.last_prompt_head_inputs``) and the loss and accuracy
come from ``_softmax`` (full-vocabulary work in cache-sized tiles, no [B, V] tensor). A
readout whose trunk does not change (the model itself, or a fit that acts on logits only)
caches those inputs once (``head_states``) and replays the head on them (``score_states``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pandas as pd
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from inforidge.models import lmhead
from inforidge.models.architecture import find_lm_head
from inforidge.models.batching import PromptBatch, encode_frame, iterate_batches
from inforidge.probes._softmax import HeadMatrix, score_rows


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
    """Next-token logits at the last prompt position only: [B, V] in float32 (``inforidge.models.lmhead``)."""
    return lmhead.last_prompt_logits(model, batch).float()


def score_logits(logits: torch.Tensor, targets: torch.Tensor) -> tuple[float, int]:
    """(summed cross-entropy, number correct) of logits [B, V] against targets [B]."""
    loss = torch.nn.functional.cross_entropy(logits, targets, reduction="sum").item()
    return loss, int((logits.argmax(-1) == targets).sum().item())


@torch.no_grad()
def score(model: PreTrainedModel, batches: Iterable[PromptBatch], temperature: float = 1.0,
          accuracy: bool = True) -> dict[str, float]:
    """Mean first-target cross-entropy ``loss``, ``accuracy`` and ``n`` of the model's last-position readout.

    Logits are divided by ``temperature`` before the loss (accuracy does not depend on it).
    Any hooks active on the model (scales, ablations) apply. ``accuracy=False``: the loss
    and n only (a validation check needs no argmax over the vocabulary).
    """
    head = HeadMatrix.of(find_lm_head(model))
    loss_sum, correct, count = 0.0, 0, 0
    for batch in batches:
        loss, right = score_rows(lmhead.last_prompt_head_inputs(model, batch), batch.target_first, head, temperature,
                                 accuracy)
        loss_sum, correct, count = loss_sum + loss, correct + (right or 0), count + len(batch.rows)
    return {"loss": loss_sum / count, "n": count, **({"accuracy": correct / count} if accuracy else {})}


@dataclass(frozen=True)
class HeadStates:
    """The LM head's input at the last prompt position of every example of a frame (frame order).

    Attributes:
        hidden: [N, d] in the head's dtype, on the model's device.
        targets: [N] first target token ids.
    """

    hidden: torch.Tensor
    targets: torch.Tensor

    def subset(self, rows: torch.Tensor) -> HeadStates:
        """The states of ``rows`` (indices into the frame)."""
        return HeadStates(self.hidden[rows], self.targets[rows])


@torch.no_grad()
def head_states(model: PreTrainedModel, batches: Iterable[PromptBatch]) -> HeadStates:
    """One forward pass per batch; keeps the head's input, not the [B, V] logits."""
    hidden, targets = [], []
    for batch in batches:
        hidden.append(lmhead.last_prompt_head_inputs(model, batch))
        targets.append(batch.target_first)
    return HeadStates(torch.cat(hidden), torch.cat(targets))


@torch.no_grad()
def score_states(model: PreTrainedModel, states: HeadStates, temperature: float = 1.0,
                 accuracy: bool = True) -> dict[str, float]:
    """``score`` replayed from cached head inputs (no forward pass): the same loss, accuracy and n."""
    loss, correct = score_rows(states.hidden, states.targets, HeadMatrix.of(find_lm_head(model)), temperature,
                               accuracy)
    count = len(states.targets)
    return {"loss": loss / count, "n": count, **({"accuracy": correct / count} if accuracy else {})}
