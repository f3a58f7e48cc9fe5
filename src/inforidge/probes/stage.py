"""Probe jobs of the workflow: one (run, checkpoint) each, tidy frames out.

Each function here is a registered probe's ``job`` (:mod:`inforidge.probes.registry`):
``job(checkpoint, frames, settings, device) -> {output file stem: frame}`` with the typed
settings of its config section.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from inforidge.devices import resolve_device
from inforidge.modeling import load_model
from inforidge.probes.attention import attention_mass
from inforidge.probes.early_exit import early_exit
from inforidge.probes.registry import ProbeFrames, ReadoutProbeConfig, ResidualScalingConfig
from inforidge.probes.residual_scaling import fit_residual_scaling


def residual_scaling_job(checkpoint: Path, frames: ProbeFrames, settings: ResidualScalingConfig,
                         device: str) -> dict[str, pd.DataFrame]:
    """Fit β on each fit split (role id/ood) for each seed: the betas and accuracy frames.

    Both frames gain ``fit_split`` and ``fit_seed`` columns; accuracy rows keep ``split``
    for the evaluated role and ``phase`` before/after.
    """
    dev = resolve_device(device)
    model, tokenizer = load_model(str(checkpoint), dev)
    betas, accuracy = [], []
    for fit_split, fit_frame in frames.fit.items():
        for seed in settings.seeds:
            result = fit_residual_scaling(
                model, tokenizer, fit_frame, dict(frames.eval), steps=settings.steps, lr=settings.lr,
                batch_size=settings.batch_size, seed=seed, device=dev, record_every=settings.record_every,
            )
            betas.append(result.betas.assign(fit_split=fit_split, fit_seed=seed))
            accuracy.append(result.accuracy.assign(fit_split=fit_split, fit_seed=seed))
    return {"residual_scaling_betas": pd.concat(betas, ignore_index=True),
            "residual_scaling_accuracy": pd.concat(accuracy, ignore_index=True)}


def early_exit_job(checkpoint: Path, frames: ProbeFrames, settings: ReadoutProbeConfig,
                   device: str) -> dict[str, pd.DataFrame]:
    """The logit lens on each eval split (keyed by role)."""
    return {"early_exit": _readout(early_exit, checkpoint, frames, settings, device)}


def attention_job(checkpoint: Path, frames: ProbeFrames, settings: ReadoutProbeConfig,
                  device: str) -> dict[str, pd.DataFrame]:
    """Attention mass of the last prompt position on each eval split (keyed by role)."""
    return {"attention": _readout(attention_mass, checkpoint, frames, settings, device)}


def _readout(probe_fn, checkpoint: Path, frames: ProbeFrames, settings: ReadoutProbeConfig, device: str) -> pd.DataFrame:
    dev = resolve_device(device)
    model, tokenizer = load_model(str(checkpoint), dev)
    cap = settings.max_examples
    evals = {role: frame.head(cap) if cap else frame for role, frame in frames.eval.items()}
    return probe_fn(model, tokenizer, evals, batch_size=settings.batch_size, device=dev)
