"""Padding encoded examples into model batches (shared by training, dumping, probes).

Sequences are ``prompt + target`` token ids, right-padded, so absolute positions (and
GPT-2's position embeddings) match the unpadded sequence. ``last_prompt[b]`` is the
position whose hidden state predicts the first target token.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd
import torch
from transformers import PreTrainedTokenizerBase

from inforidge.tasks.encoding import EncodedExample, encode_example

IGNORE_INDEX = -100  # label value ignored by the cross-entropy loss


@dataclass
class PromptBatch:
    """One padded batch; B examples, T = longest sequence.

    Attributes:
        input_ids: [B, T] prompt + target ids, right-padded with the pad id.
        attention_mask: [B, T] 1 on real tokens.
        labels: [B, T] next-token labels on target tokens only, IGNORE_INDEX elsewhere
            (shifted inside the HF loss: labels[b, t] is the token at position t).
        last_prompt: [B] index of the last prompt position.
        target_first: [B] id of the first target token.
        rows: [B] row indices into the source frame.
    """

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor
    last_prompt: torch.Tensor
    target_first: torch.Tensor
    rows: torch.Tensor

    def to(self, device: torch.device) -> "PromptBatch":
        """Move every tensor to ``device``."""
        return PromptBatch(**{k: v.to(device) for k, v in vars(self).items()})


def encode_frame(tokenizer: PreTrainedTokenizerBase, frame: pd.DataFrame) -> list[EncodedExample]:
    """Encode every (prompt, target) row of a split frame."""
    return [encode_example(tokenizer, p, t) for p, t in zip(frame["prompt"], frame["target"])]


def collate(examples: Sequence[EncodedExample], rows: Sequence[int], pad_id: int, target_tokens: int | None = None) -> PromptBatch:
    """Pad examples into a batch keeping the first ``target_tokens`` target ids (all if None).

    Built in numpy with one boolean-mask fill rather than a tensor write per example: training
    collates a batch every step, and per-row torch calls cost more than the tiny model's step.
    """
    seqs = [e.prompt_ids + e.target_ids[:target_tokens] for e in examples]
    lengths = np.array([len(s) for s in seqs])  # (B,)
    prompt = np.array([len(e.prompt_ids) for e in examples])  # (B,)
    column = np.arange(lengths.max())  # (T,)
    real = column < lengths[:, None]  # (B, T): row-major order matches the concatenated seqs
    input_ids = np.full(real.shape, pad_id, dtype=np.int64)
    input_ids[real] = np.fromiter(chain.from_iterable(seqs), dtype=np.int64, count=int(lengths.sum()))
    labels = np.where(real & (column >= prompt[:, None]), input_ids, IGNORE_INDEX)
    return PromptBatch(
        input_ids=torch.from_numpy(input_ids),
        attention_mask=torch.from_numpy(real.astype(np.int64)),
        labels=torch.from_numpy(labels),
        last_prompt=torch.from_numpy(prompt - 1),
        target_first=torch.tensor([e.target_ids[0] for e in examples]),
        rows=torch.as_tensor(list(rows)),
    )


def iterate_batches(
    examples: Sequence[EncodedExample], batch_size: int, pad_id: int, *, order: Sequence[int] | None = None,
    target_tokens: int | None = None,
) -> Iterator[PromptBatch]:
    """Yield batches over ``examples`` in ``order`` (default: as given)."""
    order = list(range(len(examples))) if order is None else list(order)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        yield collate([examples[i] for i in idx], idx, pad_id, target_tokens)


def gather_positions(hidden: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Select hidden[b, positions[b]] for each b: [B, T, d] → [B, d]."""
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), positions]
