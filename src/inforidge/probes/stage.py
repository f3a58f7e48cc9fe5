"""Probe jobs of the workflow: one (run, checkpoint) each, tidy frames out.

Each function here is a registered probe's ``job`` (:mod:`inforidge.probes.registry`):
``job(checkpoint, frames, settings, device) -> {output file stem: frame}`` with the typed
settings of its config section.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from inforidge.core.devices import resolve_device
from inforidge.models.modeling import load_model
from inforidge.probes.attention import attention_mass
from inforidge.probes.causal import causal_probe
from inforidge.probes.early_exit import early_exit
from inforidge.probes.registry import CausalConfig, ProbeFrames, ReadoutProbeConfig, ResidualScalingConfig, TunedLensConfig
from inforidge.probes.residual_scaling import fit_settings, residual_scaling_study
from inforidge.probes.tuned_lens import tuned_lens_probe


def _head(frame: pd.DataFrame, cap: int | None) -> pd.DataFrame:
    return frame.head(cap) if cap else frame


def residual_scaling_job(checkpoint: Path, frames: ProbeFrames, settings: ResidualScalingConfig,
                         device: str) -> dict[str, pd.DataFrame]:
    """The held-out residual-scaling study on each fit split (role id/ood) for each seed.

    The study's ``seed`` is the fit seed (``fit_seed``: every table's ``seed`` is the run's
    training seed); betas are the early-stopped ones, the summary holds before /
    temperature / after on the held-out part and the eval splits.
    """
    dev = resolve_device(device)
    model, tokenizer = load_model(str(checkpoint), dev)
    fits = {role: _head(frame, settings.max_fit_examples) for role, frame in frames.fit.items()}
    study = residual_scaling_study(model, tokenizer, fits, dict(frames.eval), seeds=settings.seeds,
                                   settings=fit_settings(settings), fractions=tuple(settings.fractions), device=dev)
    return {"residual_scaling_betas": study.betas.rename(columns={"seed": "fit_seed"}),
            "residual_scaling_accuracy": study.summary.rename(columns={"seed": "fit_seed"})}


def tuned_lens_job(checkpoint: Path, frames: ProbeFrames, settings: TunedLensConfig,
                   device: str) -> dict[str, pd.DataFrame]:
    """Tuned and logit lens per layer on each eval split; the lenses train on the train split (fit role ``id``)."""
    dev = resolve_device(device)
    model, tokenizer = load_model(str(checkpoint), dev)
    readout, _history = tuned_lens_probe(model, tokenizer, frames.fit["id"], dict(frames.eval), settings,
                                         batch_size=settings.batch_size, device=dev)
    return {"tuned_lens": readout.rename(columns={"seed": "fit_seed"})}


def causal_job(checkpoint: Path, frames: ProbeFrames, settings: CausalConfig, device: str) -> dict[str, pd.DataFrame]:
    """Block ablation and activation patching on the eval splits; the mean update comes from the train split."""
    dev = resolve_device(device)
    model, tokenizer = load_model(str(checkpoint), dev)
    ablation, patching = causal_probe(model, tokenizer, dict(frames.eval), frames.fit["id"], settings, device=dev)
    return {"causal_ablation": ablation, "causal_patching": patching.rename(columns={"seed": "fit_seed"})}


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
    evals = {role: _head(frame, settings.max_examples) for role, frame in frames.eval.items()}
    return probe_fn(model, tokenizer, evals, batch_size=settings.batch_size, device=dev)
