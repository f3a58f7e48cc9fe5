"""Target accuracy: does the model's top prediction at the last prompt position match?"""

from __future__ import annotations

import pandas as pd
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from inforidge.models.batching import encode_frame, iterate_batches
from inforidge.models.lmhead import last_prompt_logits


@torch.no_grad()
def evaluate_split(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, frame: pd.DataFrame, *, batch_size: int,
    device: torch.device,
) -> dict[str, float]:
    """Mean target-token loss and first-target-token accuracy of ``model`` on ``frame``."""
    model.eval()
    examples = encode_frame(tokenizer, frame)
    correct, loss_sum, count = 0, 0.0, 0
    for batch in iterate_batches(examples, batch_size, tokenizer.pad_token_id, target_tokens=1):
        batch = batch.to(device)
        last = last_prompt_logits(model, batch).float()  # [B, V]; the head runs on these positions only
        loss_sum += torch.nn.functional.cross_entropy(last, batch.target_first, reduction="sum").item()
        correct += (last.argmax(-1) == batch.target_first).sum().item()
        count += len(batch.rows)
    return {"loss": loss_sum / count, "accuracy": correct / count, "n": count}
