"""Early exit (the paper's Table 1): read out every layer with the model's own head.

The logit lens: the final norm and LM head are applied to ``resid_post[l]`` at the last
prompt position for l = 0..L, and the top prediction is compared with the first target
token. At l = L this is the model's own prediction. The paper (GPT-2 Small, synthetic
task) finds ID accuracy highest at the last layer but OOD accuracy highest at the
ridge layer (10 of 12), where mutual information with the target peaks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from inforidge.models.architecture import find_blocks, find_final_norm, find_lm_head
from inforidge.models.batching import gather_positions
from inforidge.models.hooks import block_hooks
from inforidge.models.lmhead import last_prompt_logits
from inforidge.probes._batches import first_target_batches


@contextmanager
def residual_stream(model: PreTrainedModel) -> Iterator[list[torch.Tensor]]:
    """Collect ``resid_post[0..L]`` of each forward pass run inside the context.

    Yields a list that each forward pass refills with L + 1 tensors [B, T, d]: the
    first block's input (the embedding output) and every block's output. Read from
    hooks rather than ``output_hidden_states``, whose last entry some models (GPT-2,
    Llama) return after the final norm.
    """
    stream: list[torch.Tensor] = []

    def record(index: int, resid_in: torch.Tensor, resid_out: torch.Tensor) -> None:
        if index == 0:  # a new forward pass starts at block 0
            stream.clear()
            stream.append(resid_in)
        stream.append(resid_out)

    with block_hooks(model, record):
        yield stream


@torch.no_grad()
def early_exit(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, frames: dict[str, pd.DataFrame], *,
    batch_size: int, device: torch.device,
) -> pd.DataFrame:
    """Logit-lens accuracy and loss of every layer on each frame.

    Returns one row per (split, layer) with columns split (the role name keying
    ``frames``), layer (0..L, 0 = embeddings), accuracy, loss (mean cross-entropy of
    the first target token) and n (examples).
    """
    model.to(device).eval()
    norm, head = find_final_norm(model), find_lm_head(model)
    n_layers = len(find_blocks(model)) + 1  # resid_post[0..L]
    rows = []
    with residual_stream(model) as stream:
        for role, frame in frames.items():
            correct, loss_sum, count = [0] * n_layers, [0.0] * n_layers, 0
            for batch in first_target_batches(tokenizer, frame, batch_size, device):
                last_prompt_logits(model, batch)  # fills the stream; the model's own head runs on [B, d] only
                for layer, hidden in enumerate(stream):
                    logits = head(norm(gather_positions(hidden, batch.last_prompt))).float()  # [B, V]
                    loss = torch.nn.functional.cross_entropy(logits, batch.target_first, reduction="sum")
                    loss_sum[layer] += loss.item()
                    correct[layer] += (logits.argmax(-1) == batch.target_first).sum().item()
                count += len(batch.rows)
            rows += [
                {"split": role, "layer": layer, "accuracy": c / count, "loss": s / count, "n": count}
                for layer, (c, s) in enumerate(zip(correct, loss_sum))
            ]
    return pd.DataFrame(rows, columns=["split", "layer", "accuracy", "loss", "n"])
