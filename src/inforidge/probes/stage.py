"""Probe jobs of the workflow: one (run, checkpoint) each, tidy frames out."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from inforidge.devices import resolve_device
from inforidge.modeling import load_model
from inforidge.probes.attention import attention_mass
from inforidge.probes.early_exit import early_exit
from inforidge.probes.residual_scaling import fit_residual_scaling


def residual_scaling_job(
    checkpoint: Path, fit_frames: Mapping[str, pd.DataFrame], eval_frames: Mapping[str, pd.DataFrame],
    settings: Mapping[str, Any], device: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit β on each fit split (role id/ood) for each seed; returns (betas, accuracy) frames.

    Both frames gain ``fit_split`` and ``seed`` columns; accuracy rows keep ``split``
    for the evaluated role and ``phase`` before/after.
    """
    dev = resolve_device(device)
    model, tokenizer = load_model(str(checkpoint), dev)
    betas, accuracy = [], []
    for fit_split, fit_frame in fit_frames.items():
        for seed in settings["seeds"]:
            result = fit_residual_scaling(
                model, tokenizer, fit_frame, dict(eval_frames), steps=settings["steps"], lr=settings["lr"],
                batch_size=settings["batch_size"], seed=seed, device=dev, record_every=settings["record_every"],
            )
            betas.append(result.betas.assign(fit_split=fit_split, seed=seed))
            accuracy.append(result.accuracy.assign(fit_split=fit_split, seed=seed))
    return pd.concat(betas, ignore_index=True), pd.concat(accuracy, ignore_index=True)


def readout_job(probe: str, checkpoint: Path, frames: Mapping[str, pd.DataFrame], settings: Mapping[str, Any],
                device: str) -> pd.DataFrame:
    """Run the ``early_exit`` or ``attention`` probe on each eval split (keyed by role)."""
    dev = resolve_device(device)
    model, tokenizer = load_model(str(checkpoint), dev)
    cap = settings["max_examples"]
    frames = {role: frame.head(cap) if cap else frame for role, frame in frames.items()}
    probe_fn = {"early_exit": early_exit, "attention": attention_mass}[probe]
    return probe_fn(model, tokenizer, frames, batch_size=settings["batch_size"], device=dev)
