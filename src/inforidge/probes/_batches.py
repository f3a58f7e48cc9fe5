"""Batches for the probes: prompt plus the first target token, moved to a device."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import torch
from transformers import PreTrainedTokenizerBase

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
