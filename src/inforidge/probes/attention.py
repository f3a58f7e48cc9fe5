"""Attention mass (the paper's Table 2): where the last prompt position looks.

For each layer, the attention row of the last prompt position is averaged over heads
and split into the mass on the attention sink (position 0: the first token, or the BOS
token where the tokenizer prepends one), on the task's signal tokens, on the last token
itself, and on everything else. The sink is counted apart because causal LMs park
attention on position 0 whatever it holds; where position 0 is also a signal token,
counting it as signal would report the sink as signal attention. The paper finds ridge
layers attending to signal tokens while the final layers revert to positional
heuristics (mass on the last token).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from inforidge.models.architecture import num_layers
from inforidge.probes._batches import first_target_batches
from inforidge.tasks.encoding import word_to_token_positions


MASSES = ("sink_mass", "signal_mass", "last_mass", "other_mass")


@contextmanager
def eager_attention(model: PreTrainedModel) -> Iterator[None]:
    """Run the model with the eager attention kernel inside the context.

    Fused kernels (SDPA, flash) never materialise the attention weights, so
    ``output_attentions`` needs the eager one; the original kernel is restored on exit.
    """
    original = model.config._attn_implementation
    model.set_attn_implementation("eager")
    try:
        yield
    finally:
        model.set_attn_implementation(original)


def signal_token_positions(tokenizer: PreTrainedTokenizerBase, frame: pd.DataFrame) -> list[list[int]]:
    """Token index of each signal word (its first token) for every row of ``frame``."""
    return [
        word_to_token_positions(tokenizer, prompt, [int(w) for w in words])
        for prompt, words in zip(frame["prompt"], frame["signal_positions"])
    ]


@torch.no_grad()
def attention_mass(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, frames: dict[str, pd.DataFrame], *,
    batch_size: int, device: torch.device,
) -> pd.DataFrame:
    """Attention from the last prompt position to the sink, signal tokens, itself and the rest.

    Returns one row per (split, layer) with columns split (the role name keying
    ``frames``), layer (1..L), sink_mass (on position 0), signal_mass (summed over the
    signal tokens other than position 0), last_mass (on the last prompt token, unless it
    is position 0), other_mass (on tokens that are none of these), each averaged over
    heads and then examples; sink_is_signal (fraction of examples whose position 0 is a
    signal token) and n (examples). A last token that is itself a signal token counts in
    both signal_mass and last_mass; otherwise the four masses sum to 1.
    """
    model.to(device).eval()
    rows = []
    with eager_attention(model):
        for role, frame in frames.items():
            signals = signal_token_positions(tokenizer, frame)
            total = torch.zeros(num_layers(model), 4, device=device)  # summed (sink, signal, last, other) masses
            count, sink_signal = 0, sum(0 in positions for positions in signals)
            for batch in first_target_batches(tokenizer, frame, batch_size, device):
                out = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask,
                            output_attentions=True, use_cache=False)
                b = torch.arange(len(batch.rows), device=device)
                is_last = torch.zeros_like(batch.input_ids, dtype=torch.bool)  # [B, T]
                is_last[b, batch.last_prompt] = True
                is_signal = torch.zeros_like(is_last)  # [B, T]
                for i, row in enumerate(batch.rows.tolist()):
                    is_signal[i, signals[row]] = True
                is_sink = torch.zeros_like(is_last)  # [B, T]
                is_sink[:, 0] = True
                is_signal &= ~is_sink
                is_last &= ~is_sink
                masks = torch.stack([is_sink, is_signal, is_last, ~(is_sink | is_signal | is_last)], dim=1).float()  # [B, 4, T]
                for layer, weights in enumerate(out.attentions):  # weights: [B, H, T, T]
                    last_row = weights[b, :, batch.last_prompt, :].float().mean(dim=1)  # [B, T]
                    total[layer] += (masks * last_row[:, None, :]).sum(dim=(0, 2))  # [4]
                count += len(batch.rows)
            for layer, masses in enumerate((total / count).tolist(), start=1):
                rows.append({"split": role, "layer": layer, **dict(zip(MASSES, masses)),
                             "sink_is_signal": sink_signal / count, "n": count})
    return pd.DataFrame(rows, columns=["split", "layer", *MASSES, "sink_is_signal", "n"])
