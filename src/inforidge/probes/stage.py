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
from inforidge.probes.residual_scaling import fit_settings, residual_scaling_study


def residual_scaling_job(
    checkpoint: Path, fit_frames: Mapping[str, pd.DataFrame], eval_frames: Mapping[str, pd.DataFrame],
    settings: Mapping[str, Any], device: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run ``residual_scaling_study`` and return (betas, accuracy) in the current table shapes.

    Until the probe registry wires the full study frames (docs/probes.md), betas keep
    opt_step (the early-stopped step), layer, beta, fit_split, seed; accuracy keeps the
    ``before``/``after`` rows (split includes ``heldout``).
    """
    dev = resolve_device(device)
    model, tokenizer = load_model(str(checkpoint), dev)
    cap = settings["max_fit_examples"]
    fit_frames = {role: frame.head(cap) if cap else frame for role, frame in fit_frames.items()}
    study = residual_scaling_study(model, tokenizer, dict(fit_frames), dict(eval_frames), seeds=settings["seeds"],
                                   settings=fit_settings(settings), fractions=tuple(settings["fractions"]), device=dev)
    betas = study.betas[["opt_step", "layer", "beta", "fit_split", "seed"]]
    accuracy = study.summary[study.summary["phase"].isin(["before", "after"])]
    return betas, accuracy[["split", "phase", "accuracy", "loss", "n", "fit_split", "seed"]].reset_index(drop=True)


def readout_job(probe: str, checkpoint: Path, frames: Mapping[str, pd.DataFrame], settings: Mapping[str, Any],
                device: str) -> pd.DataFrame:
    """Run the ``early_exit`` or ``attention`` probe on each eval split (keyed by role)."""
    dev = resolve_device(device)
    model, tokenizer = load_model(str(checkpoint), dev)
    cap = settings["max_examples"]
    frames = {role: frame.head(cap) if cap else frame for role, frame in frames.items()}
    probe_fn = {"early_exit": early_exit, "attention": attention_mass}[probe]
    return probe_fn(model, tokenizer, frames, batch_size=settings["batch_size"], device=dev)
