"""Causal checks of each block: ablate its update, or patch the residual stream across inputs.

Residual scaling and the lenses read a frozen model; these probes intervene on it.

- ``block_ablation``: for each block l, remove its residual update (zero ablation:
  resid_post[l] = resid_post[l−1]) or replace it by its mean over a reference set that
  is not the eval data (mean ablation: resid_post[l] = resid_post[l−1] + mean update,
  the mean taken per position), and measure accuracy and cross-entropy of the first
  target token against the intact model.
- ``activation_patching``: for each layer l = 1..L, copy ``resid_post[l]`` at the last
  prompt position from a source example (with a different first target token) into a
  target example and measure how much the target's answer survives: probability of
  the target's own answer, the logit difference (target answer − source answer), and
  how often the patched model predicts the target's or the source's answer. Layer 0
  (the embedding output) is not patched: ``inforidge.models.hooks.block_hooks``, the one hook
  primitive, rewrites block outputs, and resid_post[0] at the last position is only the
  last token's own embedding.

Cost: ablation 2L + 1 scoring passes per eval frame plus one pass over the reference
frame; patching one pass over the sources plus L passes over the targets.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from inforidge.models.architecture import num_layers
from inforidge.models.batching import PromptBatch, gather_positions
from inforidge.models.hooks import BlockFn, block_hooks
from inforidge.probes._batches import first_target_batches, last_prompt_logits, score
from inforidge.probes.early_exit import residual_stream
from inforidge.probes.registry import CausalConfig


@torch.no_grad()
def mean_updates(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, reference: pd.DataFrame, *, batch_size: int,
    device: torch.device,
) -> torch.Tensor:
    """Mean residual update of every block per position over ``reference``: [L, T_ref + 1, d].

    Entry [l−1, t] averages resid_post[l] − resid_post[l−1] at position t over the
    reference examples that have a token there; the last slot [l−1, T_ref] is the mean
    over all positions, used for positions beyond the longest reference sequence.
    """
    model.to(device).eval()
    sums: torch.Tensor | None = None  # [L, T, d]
    counts = torch.zeros(0, device=device)  # [T]
    with residual_stream(model) as stream:
        for batch in first_target_batches(tokenizer, reference, batch_size, device):
            model.base_model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, use_cache=False)
            states = torch.stack(stream).float()  # [L+1, B, T, d]
            mask = batch.attention_mask.float()  # [B, T]
            update = ((states[1:] - states[:-1]) * mask[None, :, :, None]).sum(dim=1)  # [L, T, d]
            width = max(update.shape[1], counts.shape[0])
            sums = _pad_to(update, width) if sums is None else _pad_to(sums, width) + _pad_to(update, width)
            counts = _pad_end(counts, width) + _pad_end(mask.sum(0), width)
    if sums is None:
        raise ValueError("the reference frame for mean ablation is empty")
    per_position = sums / counts.clamp(min=1)[None, :, None]
    overall = sums.sum(dim=1, keepdim=True) / counts.sum()  # [L, 1, d]
    return torch.cat([per_position, overall], dim=1)


def _pad_to(x: torch.Tensor, width: int) -> torch.Tensor:
    """Zero-pad dim 1 of x [A, T, C] to ``width``."""
    return torch.nn.functional.pad(x, (0, 0, 0, width - x.shape[1]))


def _pad_end(x: torch.Tensor, width: int) -> torch.Tensor:
    """Zero-pad x [T] to ``width``."""
    return torch.nn.functional.pad(x, (0, width - x.shape[0]))


def _mean_update_at(means: torch.Tensor, block: int, length: int) -> torch.Tensor:
    """Mean update of ``block`` (1..L) for positions 0..length−1: [length, d]."""
    known = means[block - 1, :-1][:length]  # [≤length, d]
    extra = means[block - 1, -1:].expand(length - known.shape[0], -1)
    return torch.cat([known, extra])


def _ablate(block: int, means: torch.Tensor | None) -> BlockFn:
    # Hooked on block ``block`` (1..L) only: its output becomes its input (+ the mean update).
    def rewrite(index: int, h_in: torch.Tensor, h_out: torch.Tensor) -> torch.Tensor:  # [B, T, d] each
        if means is None:
            return h_in
        return h_in + _mean_update_at(means, block, h_in.shape[1]).to(h_in.dtype)

    return rewrite


ABLATION_COLUMNS = ["split", "layer", "ablation", "accuracy", "loss", "n", "delta_accuracy", "delta_loss"]


def block_ablation(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, frames: Mapping[str, pd.DataFrame],
    reference: pd.DataFrame, *, batch_size: int, device: torch.device,
) -> pd.DataFrame:
    """Zero- and mean-ablate each block's update; accuracy and loss change on each eval frame.

    Returns one row per (split, layer 1..L, ablation ``zero``/``mean``) with accuracy,
    loss (mean first-target cross-entropy, nats), n, and delta_accuracy / delta_loss
    (ablated − intact model). ``reference`` (for the mean update) must not be eval data.
    """
    means = mean_updates(model, tokenizer, reference, batch_size=batch_size, device=device)
    rows = []
    for role, frame in frames.items():
        batches = list(first_target_batches(tokenizer, frame, batch_size, device))
        intact = score(model, batches)
        for block in range(1, num_layers(model) + 1):
            for kind, block_means in (("zero", None), ("mean", means)):
                with block_hooks(model, _ablate(block, block_means), blocks=[block - 1]):
                    ablated = score(model, batches)
                rows.append({"split": role, "layer": block, "ablation": kind, **ablated,
                             "delta_accuracy": ablated["accuracy"] - intact["accuracy"],
                             "delta_loss": ablated["loss"] - intact["loss"]})
    return pd.DataFrame(rows, columns=ABLATION_COLUMNS)


def _patch(positions: torch.Tensor, vectors: torch.Tensor) -> BlockFn:
    # Hooked on one block only: its output resid_post[l] takes the source's vectors at ``positions``.
    def rewrite(index: int, h_in: torch.Tensor, h_out: torch.Tensor) -> torch.Tensor:  # [B, T, d] each
        patched = h_out.clone()
        patched[torch.arange(len(positions), device=h_out.device), positions] = vectors.to(h_out.dtype)
        return patched

    return rewrite


def _pair_metrics(logits: torch.Tensor, target: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """Per pair: p(target answer), logit(target) − logit(source), target top-1, source top-1: [B, 4]."""
    b = torch.arange(len(target), device=logits.device)
    prob = torch.softmax(logits, -1)[b, target]
    diff = logits[b, target] - logits[b, source]
    top = logits.argmax(-1)
    return torch.stack([prob, diff, (top == target).float(), (top == source).float()], dim=1)


PATCH_METRICS = ["p_target", "logit_diff", "target_accuracy", "source_rate"]
PATCH_COLUMNS = ["layer", *PATCH_METRICS, *(f"{m}_clean" for m in PATCH_METRICS), "n"]


def _paired_batches(
    tokenizer: PreTrainedTokenizerBase, targets: pd.DataFrame, sources: pd.DataFrame, seed: int, batch_size: int,
    device: torch.device,
) -> list[tuple[PromptBatch, PromptBatch]]:
    # Pair target i with a random source; the two frames are iterated in lockstep.
    n = min(len(targets), len(sources))
    order = np.random.default_rng(seed).permutation(len(sources))[:n]
    paired_sources = sources.iloc[order].reset_index(drop=True)
    return list(zip(first_target_batches(tokenizer, targets.head(n).reset_index(drop=True), batch_size, device),
                    first_target_batches(tokenizer, paired_sources, batch_size, device)))


@torch.no_grad()
def activation_patching(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, targets: pd.DataFrame, sources: pd.DataFrame, *,
    batch_size: int, device: torch.device, seed: int = 0,
) -> pd.DataFrame:
    """Patch ``resid_post[l]`` at the last prompt position from a source into a target example.

    Target i is paired with a seed-random source; pairs whose first target tokens agree
    are dropped (they cannot tell the answers apart). Returns one row per layer l = 1..L
    with the pair means of p_target (probability of the target's own answer),
    logit_diff (logit of the target's answer − logit of the source's answer),
    target_accuracy and source_rate (top-1 is the target's / the source's answer), the
    same four on the unpatched model (``*_clean``), and n (pairs kept).
    """
    model.to(device).eval()
    n_layers = num_layers(model)
    sums, clean, count = torch.zeros(n_layers, 4), torch.zeros(4), 0
    for target, source in _paired_batches(tokenizer, targets, sources, seed, batch_size, device):
        keep = target.target_first != source.target_first  # [B]
        with residual_stream(model) as stream:
            model.base_model(input_ids=source.input_ids, attention_mask=source.attention_mask, use_cache=False)
            vectors = [gather_positions(h, source.last_prompt) for h in stream]  # L+1 × [B, d]
        metrics = _pair_metrics(last_prompt_logits(model, target), target.target_first, source.target_first)
        clean += metrics[keep].sum(0).cpu()
        for block in range(n_layers):  # patch resid_post[block + 1], the output of block index ``block``
            with block_hooks(model, _patch(target.last_prompt, vectors[block + 1]), blocks=[block]):
                logits = last_prompt_logits(model, target)
            sums[block] += _pair_metrics(logits, target.target_first, source.target_first)[keep].sum(0).cpu()
        count += int(keep.sum())
    if count == 0:
        raise ValueError("activation patching found no (target, source) pair with different answers")
    rows = [{"layer": block + 1, **dict(zip(PATCH_METRICS, (sums[block] / count).tolist())),
             **{f"{m}_clean": v for m, v in zip(PATCH_METRICS, (clean / count).tolist())}, "n": count}
            for block in range(n_layers)]
    return pd.DataFrame(rows, columns=PATCH_COLUMNS)


def causal_probe(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, eval_frames: Mapping[str, pd.DataFrame],
    reference: pd.DataFrame, settings: CausalConfig, *, device: torch.device,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The whole probe for one checkpoint: (ablation, patching) frames.

    Frames and the reference are capped at ``settings.max_examples`` rows. Patching runs
    once per seed in ``settings.seeds`` for every (target, source) pair of eval roles:
    within a split (id → id, ood → ood: how much of the answer a layer carries when the
    input distribution is the same) and across splits (both directions between ``id``
    and ``ood``); its frame gains ``seed``, ``target_split`` and ``source_split`` columns.
    """
    cap = settings.max_examples
    frames = {role: f.head(cap) if cap else f for role, f in eval_frames.items()}
    ablation = block_ablation(model, tokenizer, frames, reference.head(cap) if cap else reference,
                              batch_size=settings.batch_size, device=device)
    directions = [(a, b) for a in frames for b in frames]  # within each split and across splits
    patching = [
        activation_patching(model, tokenizer, frames[target], frames[source], batch_size=settings.batch_size,
                            device=device, seed=seed).assign(seed=seed, target_split=target, source_split=source)
        for seed in settings.seeds for target, source in directions
    ]
    return ablation, pd.concat(patching, ignore_index=True)
