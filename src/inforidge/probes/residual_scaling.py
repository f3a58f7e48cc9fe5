"""Residual scaling: how much of each block's update the data wants to keep, fitted carefully.

Each block l is rewired to h_l = h_{l−1} + β_l·(Block_l(h_{l−1}) − h_{l−1}) with one
scalar β_l = exp(θ_l) > 0 per block; all model weights stay frozen. The study
(``residual_scaling_study``) fits β on one part of a frame, stops early on a second
part and scores on a third (held-out, same distribution) part and on the eval splits;
each seed draws a fresh partition, so seed bands cover it. The fits are full-batch L-BFGS
(L+1 parameters: no minibatches, no learning-rate schedule). β is fitted jointly with one
softmax temperature, starting from the temperature-only fit on the same data, which is the
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

from inforidge.models import lmhead
from inforidge.models.architecture import find_blocks, find_lm_head
from inforidge.models.batching import PromptBatch
from inforidge.models.hooks import block_hooks
from inforidge.probes._batches import HeadStates, first_target_batches, head_states, score, score_states
from inforidge.probes._softmax import HeadMatrix, cross_entropy
from inforidge.probes.registry import ResidualScalingConfig


class ResidualScales(nn.Module):
    """Trainable scales β = exp(θ) per block (θ = 0: β = 1 exactly) and a temperature exp(τ).

    exp has no zero, so no block can get stuck at β = 0 (β = θ² made 0 absorbing: the
    gradient vanishes there); and the optimizer moves log β, so a step changes β by a
    factor, not by an amount.
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
    """One early-stopped full-batch fit: L-BFGS (strong Wolfe line search) for at most ``max_steps`` iterations.

    The objective is the mean loss over the whole fit part (L+1 parameters need no
    minibatches); ``batch_size`` only sets how many rows one forward pass takes. The
    validation loss is measured every ``eval_every`` iterations; the fit stops when the
    largest gradient component is at most ``grad_tol`` or once the validation loss has not
    fallen by more than ``min_delta`` nats for ``patience`` checks in a row, and the
    parameters of the best check are restored. ``lr`` is the line search's first trial step.
    """

    # No defaults here: they live in ResidualScalingConfig (``fit_settings`` converts).
    max_steps: int
    lr: float
    batch_size: int
    eval_every: int
    patience: int
    min_delta: float
    grad_tol: float = 1.0e-4
    restore_best: bool = True  # False: keep the last step's parameters (the no-early-stopping control)

    def __post_init__(self) -> None:
        if (min(self.max_steps, self.batch_size, self.eval_every, self.patience) < 1 or self.lr <= 0
                or self.min_delta < 0 or self.grad_tol < 0):
            raise ValueError(f"invalid residual-scaling fit settings: {self}")


@dataclass
class FitTrace:
    """What one fit did: the iteration restored, whether it converged, and its validation history.

    ``converged``: the fit ended at a small gradient (every component ≤ ``grad_tol``) or on
    a stable validation loss (the last ``patience`` + 1 checks within ``min_delta``); a fit
    stopped by a rising validation loss or by the iteration cap while still moving is not.
    """

    stopped_step: int
    converged: bool
    history: list[dict]  # opt_step, train_loss, val_loss, grad_norm


class Objective:
    """A full-batch loss whose gradient lands in ``params``, memoised on their values.

    ``evaluate`` computes the mean loss, calling ``backward`` itself (chunk by chunk, so a
    large batch never holds all its logits); L-BFGS evaluates the point it has just
    accepted again at its next iteration, which the memo answers for free.
    """

    def __init__(self, params: Sequence[nn.Parameter], evaluate: Callable[[], float]) -> None:
        self.params, self.evaluate = list(params), evaluate
        self._key: torch.Tensor | None = None
        self._loss, self._grads = float("nan"), []
        self.evaluations = 0

    def point(self) -> torch.Tensor:
        return torch.cat([p.detach().flatten() for p in self.params])

    def __call__(self) -> torch.Tensor:
        point = self.point()
        if self._key is None or not torch.equal(point, self._key):
            for p in self.params:
                p.grad = torch.zeros_like(p)
            self._loss, self._key = self.evaluate(), point.clone()
            self._grads = [p.grad.clone() for p in self.params]
            self.evaluations += 1
        for p, g in zip(self.params, self._grads):
            p.grad = g.clone()
        return torch.tensor(self._loss)

    def max_gradient(self) -> float:
        """Largest |component| of the gradient at the current parameters."""
        self()
        return float(max(g.abs().max() for g in self._grads))


def _stable(history: list[dict], patience: int, min_delta: float) -> bool:
    recent = [row["val_loss"] for row in history[-(patience + 1):]]
    return len(recent) == patience + 1 and max(recent) - min(recent) <= min_delta


def early_stopped_fit(
    scales: ResidualScales, objective: Objective, val_loss: Callable[[], float], settings: FitSettings,
) -> FitTrace:
    """Minimise ``objective`` over its params (a subset of ``scales``) from their current values.

    The starting point is check 0: a fit restores it unless validation improves on it, so
    a fit started from another fit's solution cannot end worse on validation.
    """
    def fresh() -> torch.optim.LBFGS:
        return torch.optim.LBFGS(objective.params, lr=settings.lr, max_iter=1, history_size=10,
                                 tolerance_grad=settings.grad_tol, tolerance_change=0.0, line_search_fn="strong_wolfe")

    optimizer, restarted = fresh(), False
    grad = objective.max_gradient()
    best_loss, best_step = val_loss(), 0
    best_state = {k: v.clone() for k, v in scales.state_dict().items()}
    history = [{"opt_step": 0, "train_loss": float(objective()), "val_loss": best_loss, "grad_norm": grad}]
    stale, step = 0, 0
    while grad > settings.grad_tol and stale < settings.patience and step < settings.max_steps:
        step += 1
        before = objective.point()
        optimizer.step(objective)
        grad = objective.max_gradient()
        # No decrease along the quasi-Newton direction (its curvature pairs can ask for a step
        # far too long on a flat loss): forget them and retry from a gradient step once.
        stuck = torch.equal(before, objective.point())
        if stuck and not restarted:
            optimizer, restarted, stuck = fresh(), True, False
        elif not stuck:
            restarted = False
        if step % settings.eval_every and step != settings.max_steps and grad > settings.grad_tol and not stuck:
            continue
        current = val_loss()
        history.append({"opt_step": step, "train_loss": float(objective()), "val_loss": current, "grad_norm": grad})
        if current < best_loss - settings.min_delta:
            best_loss, best_step, stale = current, step, 0
            best_state = {k: v.clone() for k, v in scales.state_dict().items()}
        else:
            stale += 1
        if stuck:
            break
    converged = grad <= settings.grad_tol or _stable(history, settings.patience, settings.min_delta)
    if not settings.restore_best:
        best_step, best_state = history[-1]["opt_step"], scales.state_dict()
    scales.load_state_dict(best_state)
    return FitTrace(stopped_step=best_step, converged=converged, history=history)


def _model_objective(model: PreTrainedModel, scales: ResidualScales, batches: Sequence[PromptBatch]) -> Callable[[], float]:
    """Mean first-target cross-entropy of the rescaled model over ``batches``, backward per batch.

    The forward pass stops at the head's input; the head's loss and its gradient come from
    ``_softmax.cross_entropy`` (vocabulary in tiles, no [B, V] logits kept for the backward).
    """
    count = sum(len(b.rows) for b in batches)
    head = HeadMatrix.of(find_lm_head(model))

    def evaluate() -> float:
        total = 0.0
        for batch in batches:
            hidden = lmhead.last_prompt_head_inputs(model, batch)  # [B, d], differentiable in β
            loss = cross_entropy(hidden, batch.target_first, head, scales.temperature()).sum() / count
            loss.backward()
            total += loss.item()
        return total

    return evaluate


def _temperature_objective(model: PreTrainedModel, scales: ResidualScales, states: HeadStates) -> Callable[[], float]:
    """The same loss with β fixed at 1: the head replayed on cached states, only the temperature has a gradient."""
    count = len(states.targets)
    head = HeadMatrix.of(find_lm_head(model))

    def evaluate() -> float:
        loss = cross_entropy(states.hidden, states.targets, head, scales.temperature()).sum() / count
        loss.backward()
        return loss.item()

    return evaluate


def split_indices(n_rows: int, seed: int, fractions: tuple[float, float, float]) -> dict[str, np.ndarray]:
    """Sorted row indices of the fit / validation / heldout parts of a frame of ``n_rows`` (``split_fit_frame``)."""
    if min(fractions) <= 0 or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions (fit, validation, heldout) must be positive and sum to 1, got {fractions}")
    order = np.random.default_rng(seed).permutation(n_rows)
    cuts = np.rint(np.cumsum(fractions)[:2] * n_rows).astype(int)
    parts = dict(zip(("fit", "validation", "heldout"), np.split(order, cuts)))
    if min(map(len, parts.values())) == 0:
        raise ValueError(f"a frame of {n_rows} rows is too small to split into {fractions}")
    return {name: np.sort(idx) for name, idx in parts.items()}


def split_fit_frame(frame: pd.DataFrame, seed: int, fractions: tuple[float, float, float]) -> dict[str, pd.DataFrame]:
    """Partition ``frame`` at random (by ``seed``) into fit / validation / heldout parts.

    ``fractions`` are the (fit, validation, heldout) shares; they must be positive and sum to 1.
    """
    return {name: frame.iloc[idx].reset_index(drop=True) for name, idx in split_indices(len(frame), seed, fractions).items()}


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
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, frame: pd.DataFrame, states: HeadStates,
    eval_frames: Mapping[str, pd.DataFrame], eval_states: Mapping[str, HeadStates], seed: int,
    fractions: tuple[float, float, float], settings: FitSettings, device: torch.device,
) -> tuple[list[dict], list[dict], list[dict]]:
    index = split_indices(len(frame), seed, fractions)
    part_states = {name: states.subset(torch.as_tensor(idx, device=states.targets.device)) for name, idx in index.items()}

    def batches(f: pd.DataFrame) -> list[PromptBatch]:  # the head's logits are tiled: batches need no cap for them
        return list(first_target_batches(tokenizer, f, settings.batch_size, device))

    # β = 1 (before, temperature): the head replayed on cached states. β fitted (after): forward passes.
    cached = {"heldout": part_states["heldout"], **eval_states}
    frames = {"heldout": frame.iloc[index["heldout"]], **eval_frames}
    summary, history = [], []

    def measure(phase: str, scales: ResidualScales, trace: FitTrace | None) -> None:
        fit = {"converged": True, "stopped_step": 0} if trace is None else {"converged": trace.converged,
                                                                           "stopped_step": trace.stopped_step}
        t = scales.temperature_value()
        scored = ({role: score(model, batches(f), t) for role, f in frames.items()} if phase == "after"
                  else {role: score_states(model, st, t) for role, st in cached.items()})
        summary.extend({"split": role, "phase": phase, **scored[role], "temperature": t, **fit} for role in frames)

    with scaled_residuals(model) as scales:
        measure("before", scales, None)
        # Temperature only: β stays 1, so the trunk's output is the cached one and the fit
        # replays the head alone. The joint fit then starts from its solution (θ = 0, τ = τ*).
        scales.theta.requires_grad_(False)
        trace = early_stopped_fit(
            scales, Objective([scales.tau], _temperature_objective(model, scales, part_states["fit"])),
            lambda: score_states(model, part_states["validation"], scales.temperature_value(), accuracy=False)["loss"],
            settings)
        history += [{"fit": "temperature", **row} for row in trace.history]
        measure("temperature", scales, trace)
        scales.theta.requires_grad_(True)
        fit_part, validation = batches(frame.iloc[index["fit"]]), batches(frame.iloc[index["validation"]])
        trace = early_stopped_fit(
            scales, Objective([scales.theta, scales.tau], _model_objective(model, scales, fit_part)),
            lambda: score(model, validation, scales.temperature_value(), accuracy=False)["loss"], settings)
        history += [{"fit": "joint", **row} for row in trace.history]
        measure("after", scales, trace)
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
    temperature-only fit and then a joint β + temperature fit, started from the
    temperature-only solution, run on the fit part with early stopping on the validation
    part (``early_stopped_fit``); the model is scored before, with the temperature
    baseline and after the joint fit, on the held-out part (role ``heldout``) and on every
    eval frame. The model is left unchanged.

    Cost: one forward pass over each fit and eval frame (β = 1: the head's inputs are kept
    and everything at β = 1 replays the head on them: the ``before`` and ``temperature``
    scores and the whole temperature fit); per (fit split, seed) the joint fit's L-BFGS
    evaluations (a forward+backward pass over the fit part each) and validation passes,
    and one scoring pass over the held-out part and the eval frames.
    """
    model.to(device).eval()

    def states(frame: pd.DataFrame) -> HeadStates:
        return head_states(model, first_target_batches(tokenizer, frame, settings.batch_size, device))

    eval_states = {role: states(f) for role, f in eval_frames.items()}  # shared by every fit split and seed
    betas, summary, history = [], [], []
    for fit_split, frame in fit_frames.items():
        frame = frame.reset_index(drop=True)
        frame_states = states(frame)
        for seed in seeds:
            b, s, h = _one_seed(model, tokenizer, frame, frame_states, eval_frames, eval_states, seed, fractions,
                                settings, device)
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
                       eval_every=settings.eval_every, patience=settings.patience, min_delta=settings.min_delta,
                       grad_tol=settings.grad_tol)
