"""Tuned lens (Belrose et al. 2023, "Eliciting Latent Predictions from Transformers with the Tuned Lens").

The logit lens reads ``resid_post[l]`` with the model's final norm and head, which assumes
every layer already speaks the last layer's basis. The tuned lens learns, per layer
l = 0..L−1, an affine translator h ↦ h + A_l h + b_l (A_l = 0, b_l = 0 at the start: the
logit lens) trained to minimise KL(p_final ‖ p_l), the divergence from the model's own
final next-token distribution to the translated readout. The last layer keeps the
identity (its readout is the model). Everything is read at the last prompt position.

The ``tuned-lens`` package (0.2.0, 2023) is not used: it pins no transformers 5 support,
and pulls torchdata, datasets, accelerate and wandb for what is here ~80 lines.

Cost: one frozen forward pass over the training frame (states at the last prompt
position cached on the CPU: N × (L+1) × d floats) and one readout of its final layer
(``FinalStatistics``: p_final reduced to a d-vector and a scalar per example), then
``steps`` Adam steps on the cache (no model forward; per step one sweep over the
vocabulary for all layers' rows at once: logits, exp and the log-sum-exp's gradient
E_p[W] in cache-sized tiles, ``_softmax``), then one forward pass per eval frame; the
logit lens and each eval frame's final distribution are read once, the tuned lens once
per seed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from inforidge.models.architecture import find_final_norm, find_lm_head
from inforidge.models.batching import gather_positions
from inforidge.probes._batches import first_target_batches
from inforidge.probes._softmax import HeadMatrix, log_sum_exp, softmax_moments
from inforidge.probes.early_exit import residual_stream
from inforidge.probes.registry import TunedLensConfig


@dataclass
class LastPositionStates:
    """``resid_post[0..L]`` at the last prompt position of every example of a frame.

    Attributes:
        hidden: [N, L+1, d] float32 on the CPU.
        targets: [N] first target token id.
    """

    hidden: torch.Tensor
    targets: torch.Tensor


@torch.no_grad()
def last_position_states(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, frame: pd.DataFrame, *, batch_size: int,
    device: torch.device,
) -> LastPositionStates:
    """Run the frozen model over ``frame`` once and keep each layer's state at the last prompt position."""
    model.to(device).eval()
    hidden, targets = [], []
    with residual_stream(model) as stream:
        for batch in first_target_batches(tokenizer, frame, batch_size, device):
            model.base_model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, use_cache=False)
            hidden.append(torch.stack([gather_positions(h, batch.last_prompt) for h in stream], dim=1).float().cpu())
            targets.append(batch.target_first.cpu())
    return LastPositionStates(hidden=torch.cat(hidden), targets=torch.cat(targets))  # [N, L+1, d], [N]


class TunedLens(nn.Module):
    """Affine translators for layers 0..L−1 (identity-initialised) plus the frozen final norm and head."""

    def __init__(self, model: PreTrainedModel, n_layers: int, width: int) -> None:
        super().__init__()
        self.translators = nn.ModuleList(nn.Linear(width, width) for _ in range(n_layers))
        for translator in self.translators:
            nn.init.zeros_(translator.weight)
            nn.init.zeros_(translator.bias)
        # Kept outside the module tree so the lens's parameters are the translators only.
        self._readout = (find_final_norm(model), find_lm_head(model))

    def logits(self, hidden: torch.Tensor, layer: int, tuned: bool = True) -> torch.Tensor:
        """Readout of hidden [N, d] at ``layer`` (0..L): [N, V]; ``tuned=False`` is the logit lens."""
        if tuned and layer < len(self.translators):
            hidden = hidden + self.translators[layer](hidden)
        norm, head = self._readout
        # States and translators are float32; a bf16/fp16 checkpoint's norm and head want their own dtype.
        return head(norm(hidden.to(head.weight.dtype))).float()

    def head_inputs(self, hidden: torch.Tensor, layer: int, tuned: bool = True) -> torch.Tensor:
        """The head's input for hidden [N, d] at ``layer`` as ``matrix()``'s rows: [N, k] float32.

        ``matrix()`` applied to it is ``logits(hidden, layer, tuned)`` (in float32 throughout).
        """
        if tuned and layer < len(self.translators):
            hidden = hidden + self.translators[layer](hidden)
        norm, head = self._readout
        return self.matrix().inputs(norm(hidden.to(head.weight.dtype)).float())

    def matrix(self) -> HeadMatrix:
        """The frozen head as one float32 matrix (``_softmax.HeadMatrix``; built once per head)."""
        return HeadMatrix.of(self._readout[1])


@dataclass(frozen=True)
class FinalStatistics:
    """What the KL to the final layer needs of p_final, computed once per set of states.

    With the head as one matrix M = [W, b] and a readout's input x = [n, 1] (``head_inputs``),
    KL(p_final ‖ softmax(M x)) = ``offset − mean_row · x + logsumexp(M x)``, where
    ``mean_row`` = E_{p_final}[M_v] and ``offset`` = Σ p log p: the final distribution
    enters only through a k-vector and a scalar per example, so training never recomputes
    it (nor holds it: [N, V] would be gigabytes at a real vocabulary).

    Attributes:
        mean_row: [N, k] float32 (k = d, or d + 1 with a head bias).
        offset: [N] float32, Σ p log p = E_p[M_v]·x_final − lse(M x_final).
    """

    mean_row: torch.Tensor
    offset: torch.Tensor


@torch.no_grad()
def final_statistics(lens: TunedLens, hidden: torch.Tensor) -> FinalStatistics:
    """``FinalStatistics`` of states [N, L+1, d] (on the lens's device): one tiled sweep over the vocabulary."""
    x = lens.head_inputs(hidden[:, -1], hidden.shape[1] - 1, tuned=False)
    moments = softmax_moments(x, lens.matrix())
    return FinalStatistics(moments.mean, (moments.mean * x).sum(-1) - moments.lse)


def _kl_to_final_backward(lens: TunedLens, hidden: torch.Tensor, final: FinalStatistics, backward: bool = True) -> float:
    """Mean over layers 0..L−1 of the batch-mean KL(p_final ‖ p_l); gradients accumulate into the lens.

    All layers' rows go through the vocabulary in one sweep (``_softmax.log_sum_exp``: tiles
    of bounded size, the gradient E_p[M] computed in the same sweep, no logits kept).
    ``backward=False``: the value only.
    """
    n_rows, n_layers = hidden.shape[0], len(lens.translators)
    with torch.set_grad_enabled(backward):
        x = torch.cat([lens.head_inputs(hidden[:, layer], layer) for layer in range(n_layers)])  # [L·n, k]
        mean_row, offset = final.mean_row.repeat(n_layers, 1), final.offset.repeat(n_layers)
        kl = offset - (mean_row * x).sum(-1) + log_sum_exp(x, lens.matrix())
        loss = kl.sum() / (n_rows * n_layers)
        if backward:
            loss.backward()
    return loss.item()


def train_tuned_lens(
    model: PreTrainedModel, states: LastPositionStates, *, steps: int = 250, lr: float = 1e-3, batch_size: int = 256,
    seed: int = 0, validation: LastPositionStates | None = None, eval_every: int = 25,
) -> tuple[TunedLens, pd.DataFrame]:
    """Train one translator per layer on cached states of data that is not the eval data.

    With ``validation`` states the mean KL on them is measured at step 0, every
    ``eval_every`` steps and at the last step, and the lens of the best check is returned
    (the training length is chosen on validation data; ``lens.steps_chosen``). Returns the
    lens and its history (opt_step, kl: mean over layers of the batch KL to the final
    distribution, val_kl: the same on the validation states where checked, in nats).
    The model is frozen and unchanged.
    """
    n, width = states.hidden.shape[0], states.hidden.shape[2]
    device = next(model.parameters()).device
    lens = TunedLens(model, states.hidden.shape[1] - 1, width).to(device)
    flags = {name: p.requires_grad for name, p in model.named_parameters()}
    model.requires_grad_(False)
    optimizer = torch.optim.Adam(lens.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    history = []
    try:
        hidden = states.hidden.to(device)
        final = final_statistics(lens, hidden)  # once: p_final does not change while the lens trains
        check = _validation_check(lens, validation, device)
        best = (check(), 0, copy.deepcopy(lens.state_dict())) if validation is not None else None
        for step in range(1, steps + 1):
            idx = torch.randint(n, (min(batch_size, n),), generator=generator).to(device)
            optimizer.zero_grad()
            loss = _kl_to_final_backward(lens, hidden[idx], FinalStatistics(final.mean_row[idx], final.offset[idx]))
            optimizer.step()
            row = {"opt_step": step, "kl": loss, "val_kl": float("nan")}
            if best is not None and (step % eval_every == 0 or step == steps):
                row["val_kl"] = check()
                if row["val_kl"] < best[0]:
                    best = (row["val_kl"], step, copy.deepcopy(lens.state_dict()))
            history.append(row)
    finally:
        for name, p in model.named_parameters():
            p.requires_grad_(flags[name])
    lens.steps_chosen = steps
    if best is not None:
        lens.load_state_dict(best[2])
        lens.steps_chosen = best[1]
    return lens, pd.DataFrame(history, columns=["opt_step", "kl", "val_kl"])


def _validation_check(lens: TunedLens, validation: LastPositionStates | None, device: torch.device):
    """A function returning the lens's current mean KL on ``validation`` (its p_final reduced once)."""
    if validation is None:
        return None
    hidden = validation.hidden.to(device)
    final = final_statistics(lens, hidden)

    @torch.no_grad()
    def check() -> float:
        return _kl_to_final_backward(lens, hidden, final, backward=False)

    return check


LENS_COLUMNS = ["split", "layer", "lens", "accuracy", "loss", "kl_to_final", "n"]


@torch.no_grad()
def lens_readout(lens: TunedLens, states: Mapping[str, LastPositionStates], batch_size: int | None = None,
                 kinds: tuple[str, ...] = ("logit", "tuned")) -> pd.DataFrame:
    """Logit-lens and tuned-lens accuracy, loss and KL to the final layer per (split, layer).

    The early-exit frame shape plus ``lens`` (``logit``/``tuned``, those of ``kinds``) and
    ``kl_to_final`` (mean KL(p_final ‖ p_l), nats; 0 at l = L, where the readout is the
    model's). ``states`` are keyed by split role; ``batch_size`` rows at a time (default: all;
    the vocabulary is swept in tiles either way). Per (split, layer) one sweep gives the
    loss (lse − target logit), the argmax and the KL (``FinalStatistics``).
    """
    rows = []
    device = next(lens.parameters()).device
    matrix = lens.matrix()
    for role, st in states.items():
        n_layers, count = st.hidden.shape[1], len(st.targets)
        step = batch_size or count
        sums = {(kind, l): [0.0, 0, 0.0] for kind in kinds for l in range(n_layers)}
        for start in range(0, count, step):
            hidden, targets = st.hidden[start:start + step].to(device), st.targets[start:start + step].to(device)
            final = final_statistics(lens, hidden)
            for (kind, l), acc in sums.items():
                x = lens.head_inputs(hidden[:, l], l, tuned=kind == "tuned")
                moments = softmax_moments(x, matrix, mean=False, argmax=True)
                loss = moments.lse - (x * matrix.weight[targets]).sum(-1)
                kl = final.offset - (final.mean_row * x).sum(-1) + moments.lse
                # At l = L both lenses read the model itself: KL 0 exactly, not a rounding residue.
                acc[0] += float(loss.sum())
                acc[1] += int((moments.argmax == targets).sum())
                acc[2] += 0.0 if l == n_layers - 1 else float(kl.sum())
        rows += [{"split": role, "layer": l, "lens": kind, "accuracy": right / count, "loss": loss / count,
                  "kl_to_final": kl / count, "n": count} for (kind, l), (loss, right, kl) in sums.items()]
    return pd.DataFrame(rows, columns=LENS_COLUMNS).sort_values(["split", "lens", "layer"], ignore_index=True)


def tuned_lens_probe(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, train_frame: pd.DataFrame,
    eval_frames: Mapping[str, pd.DataFrame], settings: TunedLensConfig, *, batch_size: int, device: torch.device,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The whole probe for one checkpoint: one lens per seed, read out on every eval frame.

    ``train_frame`` must not be eval data (the workflow passes the ``train`` split).
    Per seed, ``validation_fraction`` of the training rows (a seeded draw) are held out
    and choose the training length (``train_tuned_lens``). Returns (readout, history):
    the ``lens_readout`` frame plus ``steps_chosen`` (0 for the logit lens) and the
    training history, each with a ``seed`` column (the logit-lens rows repeat per seed,
    unchanged).
    """
    cap = settings.max_train_examples
    train = last_position_states(model, tokenizer, train_frame.head(cap) if cap else train_frame,
                                 batch_size=batch_size, device=device)
    evals = {role: last_position_states(model, tokenizer, f, batch_size=batch_size, device=device)
             for role, f in eval_frames.items()}
    readouts, histories, logit = [], [], None
    n_val = round(settings.validation_fraction * len(train.targets))
    for seed in settings.seeds:
        # Each seed holds out its own validation rows (the bands cover the choice of rows too).
        order = torch.randperm(len(train.targets), generator=torch.Generator().manual_seed(seed))
        fit, validation = (LastPositionStates(train.hidden[rows], train.targets[rows])
                           for rows in (order[n_val:], order[:n_val]))
        lens, history = train_tuned_lens(model, fit if n_val else train, steps=settings.steps, lr=settings.lr,
                                         batch_size=settings.batch_size, seed=seed,
                                         validation=validation if n_val else None, eval_every=settings.eval_every)
        if logit is None:  # the logit lens has no parameters: read it once, repeat it per seed
            logit = lens_readout(lens, evals, kinds=("logit",)).assign(steps_chosen=0)
        tuned = lens_readout(lens, evals, kinds=("tuned",)).assign(steps_chosen=lens.steps_chosen)
        readouts.append(pd.concat([logit, tuned], ignore_index=True).assign(seed=seed))
        histories.append(history.assign(seed=seed))
    order = ["seed", "split", "lens", "layer"]
    readout = pd.concat(readouts, ignore_index=True).sort_values(order, ignore_index=True)
    return readout, pd.concat(histories, ignore_index=True)
