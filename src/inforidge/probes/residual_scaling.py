"""Residual scaling: how much of each block's update the data wants to keep, fitted carefully.

Each block l is rewired to h_l = h_{l−1} + β_l·(Block_l(h_{l−1}) − h_{l−1}) with one
scalar β_l = exp(θ_l) > 0 per block; all model weights stay frozen. The study
(``residual_scaling_study``) fits β on one part of a frame, stops early on a second
part and scores on a third (held-out, same distribution) part and on the eval splits;
each seed draws a fresh partition and data order, so seed bands cover both. β is fitted
jointly with one softmax temperature, and a temperature-only fit on the same data is the
baseline: what β adds is ``after`` minus ``temperature``, not ``after`` minus ``before``
(a lone temperature already buys most of the loss drop on a task the model cannot solve).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from inforidge.architecture import find_blocks
from inforidge.batching import PromptBatch, encode_frame, iterate_batches
from inforidge.hooks import block_hooks
from inforidge.probes._batches import first_target_batches, last_prompt_logits, score
from inforidge.probes.registry import ResidualScalingConfig


class ResidualScales(nn.Module):
    """Trainable scales β = exp(θ) per block (θ = 0: β = 1 exactly) and a temperature exp(τ).

    exp has no zero, so no block can get stuck at β = 0 (β = θ² made 0 absorbing: the
    gradient vanishes there); and Adam moves log β, so a step changes β by a factor,
    not by an amount.
    """

    def __init__(self, n_blocks: int) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.zeros(n_blocks))  # [L]
        self.tau = nn.Parameter(torch.zeros(()))  # log temperature

    def betas(self) -> torch.Tensor:
        """Current β, one per block: [L]."""
        return self.theta.exp()

    def temperature(self) -> torch.Tensor:
        """Current softmax temperature (scalar): logits are divided by it."""
        return self.tau.exp()

    def temperature_value(self) -> float:
        """The temperature as a plain number (for scoring and tables)."""
        return float(self.tau.detach().exp())

    @torch.no_grad()
    def set_betas(self, betas: torch.Tensor) -> None:
        """Overwrite β (positive, shape [L]); used to pin the model to fixed scales."""
        if not (betas > 0).all():
            raise ValueError("residual scales must be positive (β = exp θ); use probes.causal for zero ablation")
        self.theta.copy_(betas.log())


def _rescaler(scales: ResidualScales) -> Callable[[int, torch.Tensor, torch.Tensor], torch.Tensor]:
    def rescale(index: int, h_in: torch.Tensor, h_out: torch.Tensor) -> torch.Tensor:  # [B, T, d] each
        # Equal to h_in + β(h_out − h_in), but written so that β = 1 returns h_out
        # bit for bit (h_in + (h_out − h_in) can differ from h_out by rounding).
        beta_minus_one = (scales.betas()[index] - 1).to(h_out.dtype)
        return h_out + beta_minus_one * (h_out - h_in)

    return rescale


@contextmanager
def scaled_residuals(model: PreTrainedModel) -> Iterator[ResidualScales]:
    """Rewire every block's residual update with trainable scales (initially β = 1, T = 1).

    Inside the context all model weights are frozen (``requires_grad`` False) so only
    the yielded scales receive gradients; on exit the hooks are removed and the
    original ``requires_grad`` flags restored, so the model is exactly as before. The
    temperature is not applied by the hook (it acts on logits): divide by
    ``scales.temperature()`` where logits are read.
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


@dataclass(frozen=True)
class FitSettings:
    """One early-stopped fit: Adam at ``lr`` for at most ``max_steps`` steps of ``batch_size``.

    The validation loss is measured every ``eval_every`` steps; the fit stops once it has
    not fallen by more than ``min_delta`` nats for ``patience`` evaluations in a row, and
    the parameters of the best evaluation are restored. A fit that reaches
    ``max_steps`` before that is flagged ``converged = False``.
    """

    # No defaults here: they live in ResidualScalingConfig (``fit_settings`` converts).
    max_steps: int
    lr: float
    batch_size: int
    eval_every: int
    patience: int
    min_delta: float
    restore_best: bool = True  # False: keep the last step's parameters (the no-early-stopping control)

    def __post_init__(self) -> None:
        if min(self.max_steps, self.batch_size, self.eval_every, self.patience) < 1 or self.lr <= 0 or self.min_delta < 0:
            raise ValueError(f"invalid residual-scaling fit settings: {self}")


@dataclass
class FitTrace:
    """What one fit did: the step restored, whether it converged, and its validation history."""

    stopped_step: int
    converged: bool
    history: list[dict]  # opt_step, train_loss, val_loss, grad_norm


def _endless_batches(
    examples: Sequence, batch_size: int, pad_id: int, generator: torch.Generator, device: torch.device,
) -> Iterator[PromptBatch]:
    # Epochs of fresh permutations: the data order depends only on the seed.
    while True:
        order = torch.randperm(len(examples), generator=generator).tolist()
        for batch in iterate_batches(examples, batch_size, pad_id, order=order, target_tokens=1):
            yield batch.to(device)


def _batch_loss(model: PreTrainedModel, scales: ResidualScales, batch: PromptBatch) -> torch.Tensor:
    logits = last_prompt_logits(model, batch) / scales.temperature()  # [B, V]
    return torch.nn.functional.cross_entropy(logits, batch.target_first)


def early_stopped_fit(
    model: PreTrainedModel, scales: ResidualScales, params: Sequence[nn.Parameter], train: Iterator[PromptBatch],
    validation: Sequence[PromptBatch], settings: FitSettings,
) -> FitTrace:
    """Fit ``params`` (a subset of ``scales``) on ``train`` with early stopping on ``validation``."""
    optimizer = torch.optim.Adam(params, lr=settings.lr)

    def val_loss() -> float:
        return score(model, validation, scales.temperature_value())["loss"]

    best_loss, best_step, best_state = val_loss(), 0, {k: v.clone() for k, v in scales.state_dict().items()}
    history = [{"opt_step": 0, "train_loss": float("nan"), "val_loss": best_loss, "grad_norm": float("nan")}]
    stale = 0
    for step in range(1, settings.max_steps + 1):
        loss = _batch_loss(model, scales, next(train))
        optimizer.zero_grad()
        loss.backward()
        grad_norm = float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in params])))
        optimizer.step()
        if step % settings.eval_every and step != settings.max_steps:
            continue
        current = val_loss()
        history.append({"opt_step": step, "train_loss": loss.item(), "val_loss": current, "grad_norm": grad_norm})
        if current < best_loss - settings.min_delta:
            best_loss, best_step, stale = current, step, 0
            best_state = {k: v.clone() for k, v in scales.state_dict().items()}
        else:
            stale += 1
        if stale >= settings.patience:
            break
    if not settings.restore_best:
        best_step, best_state = history[-1]["opt_step"], scales.state_dict()
    scales.load_state_dict(best_state)
    return FitTrace(stopped_step=best_step, converged=stale >= settings.patience, history=history)


def split_fit_frame(frame: pd.DataFrame, seed: int, fractions: tuple[float, float, float]) -> dict[str, pd.DataFrame]:
    """Partition ``frame`` at random (by ``seed``) into fit / validation / heldout parts.

    ``fractions`` are the (fit, validation, heldout) shares; they must be positive and sum to 1.
    """
    if min(fractions) <= 0 or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions (fit, validation, heldout) must be positive and sum to 1, got {fractions}")
    order = np.random.default_rng(seed).permutation(len(frame))
    cuts = np.rint(np.cumsum(fractions)[:2] * len(frame)).astype(int)
    parts = dict(zip(("fit", "validation", "heldout"), np.split(order, cuts)))
    if min(map(len, parts.values())) == 0:
        raise ValueError(f"a frame of {len(frame)} rows is too small to split into {fractions}")
    return {name: frame.iloc[np.sort(idx)].reset_index(drop=True) for name, idx in parts.items()}


@dataclass
class ResidualScalingStudy:
    """Tidy outcome of ``residual_scaling_study`` (one row set per fit split and seed).

    Attributes:
        betas: seed, fit_split, layer (1..L), beta, beta_norm (β / mean β over layers),
            opt_step (the restored step), converged.
        summary: seed, fit_split, split (``heldout`` or an eval role), phase (``before``:
            the model; ``temperature``: temperature-only baseline; ``after``: β and
            temperature fitted jointly), loss, accuracy, n, temperature, converged,
            stopped_step (the last two describe the fit of that phase; ``before`` is
            trivially converged at step 0).
        history: seed, fit_split, fit (``temperature``/``joint``), opt_step, train_loss,
            val_loss, grad_norm, one row per validation evaluation.
    """

    betas: pd.DataFrame
    summary: pd.DataFrame
    history: pd.DataFrame


def _one_seed(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, frame: pd.DataFrame, eval_frames: Mapping[str, pd.DataFrame],
    seed: int, fractions: tuple[float, float, float], settings: FitSettings, device: torch.device,
) -> tuple[list[dict], list[dict], list[dict]]:
    parts = split_fit_frame(frame, seed, fractions)

    def batches(f: pd.DataFrame) -> list[PromptBatch]:
        return list(first_target_batches(tokenizer, f, settings.batch_size, device))

    validation = batches(parts["validation"])
    evals = {"heldout": batches(parts["heldout"]), **{role: batches(f) for role, f in eval_frames.items()}}
    examples = encode_frame(tokenizer, parts["fit"])
    summary, history = [], []

    def measure(phase: str, scales: ResidualScales, trace: FitTrace | None) -> None:
        fit = {"converged": True, "stopped_step": 0} if trace is None else {"converged": trace.converged,
                                                                           "stopped_step": trace.stopped_step}
        t = scales.temperature_value()
        summary.extend({"split": role, "phase": phase, **score(model, b, t), "temperature": t, **fit}
                       for role, b in evals.items())

    with scaled_residuals(model) as scales:
        measure("before", scales, None)
        for fit, params in (("temperature", [scales.tau]), ("joint", [scales.theta, scales.tau])):
            scales.load_state_dict({k: torch.zeros_like(v) for k, v in scales.state_dict().items()})
            # With θ frozen (the temperature-only fit) no graph runs through the model: the
            # backward pass is the division by T alone, and the fit costs forwards only.
            scales.theta.requires_grad_(fit == "joint")
            generator = torch.Generator().manual_seed(seed)
            train = _endless_batches(examples, settings.batch_size, tokenizer.pad_token_id, generator, device)
            trace = early_stopped_fit(model, scales, params, train, validation, settings)
            history += [{"fit": fit, **row} for row in trace.history]
            measure("temperature" if fit == "temperature" else "after", scales, trace)
        betas = scales.betas().detach().cpu()
    beta_rows = [{"layer": layer, "beta": float(b), "beta_norm": float(b / betas.mean()), "opt_step": trace.stopped_step,
                  "converged": trace.converged} for layer, b in enumerate(betas, start=1)]
    return beta_rows, summary, history


BETA_COLUMNS = ["seed", "fit_split", "layer", "beta", "beta_norm", "opt_step", "converged"]
SUMMARY_COLUMNS = ["seed", "fit_split", "split", "phase", "loss", "accuracy", "n", "temperature", "converged",
                   "stopped_step"]
HISTORY_COLUMNS = ["seed", "fit_split", "fit", "opt_step", "train_loss", "val_loss", "grad_norm"]


def residual_scaling_study(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, fit_frames: Mapping[str, pd.DataFrame],
    eval_frames: Mapping[str, pd.DataFrame], *, seeds: Sequence[int], settings: FitSettings,
    fractions: tuple[float, float, float] = (0.5, 0.25, 0.25), device: torch.device,
) -> ResidualScalingStudy:
    """Fit β on each of ``fit_frames`` (keyed by fit split, e.g. id/ood) once per seed.

    Per (fit split, seed): the frame is partitioned by ``split_fit_frame``; a
    temperature-only fit and a joint β + temperature fit run on the fit part with early
    stopping on the validation part (``early_stopped_fit``); the model is scored before,
    with the temperature baseline and after the joint fit, on the held-out part (role
    ``heldout``) and on every eval frame. The model is left unchanged.

    Cost: per (fit split, seed) two fits of at most ``max_steps`` forward+backward passes
    of ``batch_size`` examples, plus one validation pass every ``eval_every`` steps, plus
    3 scoring passes over the held-out part and the eval frames.
    """
    model.to(device).eval()
    betas, summary, history = [], [], []
    for fit_split, frame in fit_frames.items():
        for seed in seeds:
            b, s, h = _one_seed(model, tokenizer, frame, eval_frames, seed, fractions, settings, device)
            keys = {"seed": seed, "fit_split": fit_split}
            betas += [{**keys, **r} for r in b]
            summary += [{**keys, **r} for r in s]
            history += [{**keys, **r} for r in h]
    return ResidualScalingStudy(
        betas=pd.DataFrame(betas, columns=BETA_COLUMNS),
        summary=pd.DataFrame(summary, columns=SUMMARY_COLUMNS),
        history=pd.DataFrame(history, columns=HISTORY_COLUMNS),
    )


def improvement_over_temperature(summary: pd.DataFrame) -> pd.DataFrame:
    """What β adds beyond the temperature baseline, per seed, fit split and eval split.

    Returns seed, fit_split, split, delta_loss (after − temperature; negative: β helps),
    delta_accuracy (after − temperature), delta_loss_vs_model (after − before) and
    delta_accuracy_vs_model (after − before).
    """
    wide = summary.pivot_table(index=["seed", "fit_split", "split"], columns="phase", values=["loss", "accuracy"])
    out = pd.DataFrame({
        "delta_loss": wide["loss"]["after"] - wide["loss"]["temperature"],
        "delta_accuracy": wide["accuracy"]["after"] - wide["accuracy"]["temperature"],
        "delta_loss_vs_model": wide["loss"]["after"] - wide["loss"]["before"],
        "delta_accuracy_vs_model": wide["accuracy"]["after"] - wide["accuracy"]["before"],
    })
    return out.reset_index()


def fit_settings(settings: ResidualScalingConfig) -> FitSettings:
    """``FitSettings`` from the probe's config section."""
    return FitSettings(max_steps=settings.steps, lr=settings.lr, batch_size=settings.batch_size,
                       eval_every=settings.eval_every, patience=settings.patience, min_delta=settings.min_delta)
