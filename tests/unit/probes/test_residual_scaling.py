"""Residual scaling: exact identity at β = 1, no absorbing zero, held-out protocol, early stopping."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from inforidge.probes.registry import ResidualScalingConfig
from inforidge.probes._batches import first_target_batches, score
from inforidge.probes.residual_scaling import (
    FitSettings,
    ResidualScales,
    early_stopped_fit,
    fit_settings,
    improvement_over_temperature,
    residual_scaling_study,
    scaled_residuals,
    split_fit_frame,
)

ARCHITECTURES = ("gpt2", "llama", "qwen2")
CPU = torch.device("cpu")


def _inputs(tokenizer, frame: pd.DataFrame) -> dict[str, torch.Tensor]:
    return tokenizer(list(frame["prompt"][:8]), return_tensors="pt", padding=True)


def _study(model, tokenizer, frames, seeds=(0,), **overrides):
    defaults = {"max_steps": 12, "lr": 0.05, "batch_size": 8, "eval_every": 3, "patience": 2, "min_delta": 1e-3}
    settings = FitSettings(**{**defaults, **overrides})
    return residual_scaling_study(model, tokenizer, {"ood": frames["probe_ood"]}, {"id": frames["eval_id"]},
                                  seeds=list(seeds), settings=settings, device=CPU)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_unit_scales_reproduce_the_model_exactly(make_model, frames, architecture: str) -> None:
    model, tokenizer = make_model(architecture)
    inputs = _inputs(tokenizer, frames["eval_id"])
    with torch.no_grad():
        expected = model(**inputs).logits
        with scaled_residuals(model) as scales:
            assert torch.equal(scales.betas(), torch.ones(2))
            assert scales.temperature_value() == 1.0
            scaled = model(**inputs).logits
    assert torch.equal(scaled, expected)


def test_scales_change_the_output_and_unwrap_cleanly(make_model, frames) -> None:
    model, tokenizer = make_model()
    inputs = _inputs(tokenizer, frames["eval_id"])
    with torch.no_grad():
        expected = model(**inputs).logits
        with scaled_residuals(model) as scales:
            scales.set_betas(torch.tensor([0.5, 2.0]))
            torch.testing.assert_close(scales.betas(), torch.tensor([0.5, 2.0]))
            assert not torch.allclose(model(**inputs).logits, expected)
        assert torch.equal(model(**inputs).logits, expected)


def test_small_beta_is_not_absorbing() -> None:
    # With β = θ², a β driven to 0 has zero gradient and can never return; with
    # β = exp(θ) the gradient wrt θ is β·dL/dβ, never exactly 0, and β = 0 is unreachable.
    scales = ResidualScales(1)
    scales.set_betas(torch.tensor([1e-4]))
    (scales.betas() * -1.0).sum().backward()  # a loss that wants β larger
    assert scales.theta.grad.item() < 0
    with pytest.raises(ValueError, match="positive"):
        scales.set_betas(torch.tensor([0.0]))


def test_weights_are_frozen_inside_and_restored_after(make_model) -> None:
    model, _ = make_model()
    with scaled_residuals(model) as scales:
        assert not any(p.requires_grad for p in model.parameters())
        assert all(p.requires_grad for p in scales.parameters())
    assert all(p.requires_grad for p in model.parameters())


def test_split_is_a_seeded_partition(frames) -> None:
    frame = frames["probe_ood"]
    parts = split_fit_frame(frame, 0, (0.5, 0.25, 0.25))
    assert [len(p) for p in parts.values()] == [16, 8, 8]
    prompts = [set(p["prompt"]) for p in parts.values()]
    assert not (prompts[0] & prompts[1]) and not (prompts[0] & prompts[2]) and not (prompts[1] & prompts[2])
    assert set().union(*prompts) == set(frame["prompt"])
    again, other = split_fit_frame(frame, 0, (0.5, 0.25, 0.25)), split_fit_frame(frame, 1, (0.5, 0.25, 0.25))
    assert again["heldout"].equals(parts["heldout"])
    assert not other["heldout"].equals(parts["heldout"])
    with pytest.raises(ValueError, match="sum to 1"):
        split_fit_frame(frame, 0, (0.5, 0.5, 0.5))


def test_early_stopping_restores_the_best_validation_step(make_model, frames) -> None:
    model, tokenizer = make_model()
    val = list(first_target_batches(tokenizer, frames["eval_id"], 16, CPU))
    train = iter(list(first_target_batches(tokenizer, frames["probe_ood"], 8, CPU)) * 100)
    settings = FitSettings(max_steps=60, lr=0.5, batch_size=8, eval_every=2, patience=3, min_delta=1e-3)
    with scaled_residuals(model) as scales:
        trace = early_stopped_fit(model, scales, [scales.theta, scales.tau], train, val, settings)
        restored = score(model, val, scales.temperature_value())["loss"]
    history = pd.DataFrame(trace.history)
    best = history.loc[history["val_loss"].idxmin()]
    assert trace.stopped_step == best["opt_step"]
    assert restored == pytest.approx(best["val_loss"], rel=1e-5)
    if trace.converged:  # stopped by patience: the last `patience` checks did not beat the best
        assert history["opt_step"].iloc[-1] - trace.stopped_step == settings.patience * settings.eval_every


def test_a_fit_cut_by_the_step_cap_is_flagged(make_model, frames) -> None:
    model, tokenizer = make_model()
    study = _study(model, tokenizer, frames, max_steps=2, eval_every=1, patience=50)
    assert not study.summary.loc[study.summary["phase"] != "before", "converged"].any()
    assert not study.betas["converged"].any()


def test_study_frames(make_model, frames) -> None:
    model, tokenizer = make_model()
    study = _study(model, tokenizer, frames, seeds=(0, 1))
    betas, summary = study.betas, study.summary
    assert list(betas.columns) == ["seed", "fit_split", "layer", "beta", "beta_norm", "opt_step", "converged"]
    assert len(betas) == 2 * 2  # seeds × layers
    assert (betas["beta"] > 0).all()
    norm_means = betas.groupby("seed")["beta_norm"].mean()
    assert norm_means.tolist() == pytest.approx([1.0, 1.0])
    assert set(summary["split"]) == {"heldout", "id"}
    assert set(summary["phase"]) == {"before", "temperature", "after"}
    assert len(summary) == 2 * 2 * 3  # seeds × eval splits × phases
    assert (summary.loc[summary["phase"] == "before", "temperature"] == 1.0).all()
    assert (summary.loc[summary["split"] == "heldout", "n"] == 8).all()
    before = summary[summary["phase"] == "before"].set_index(["seed", "split"])
    temperature = summary[summary["phase"] == "temperature"].set_index(["seed", "split"])
    # A temperature cannot move the argmax: accuracy is unchanged by the baseline.
    pd.testing.assert_series_equal(before["accuracy"], temperature["accuracy"])
    gain = improvement_over_temperature(summary)
    assert list(gain.columns) == ["seed", "fit_split", "split", "delta_loss", "delta_accuracy", "delta_loss_vs_model",
                                  "delta_accuracy_vs_model"]
    assert len(gain) == 4
    assert set(study.history["fit"]) == {"temperature", "joint"}


def test_study_improves_the_validation_loss_and_leaves_the_model_unchanged(make_model, frames) -> None:
    model, tokenizer = make_model()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    study = _study(model, tokenizer, frames, max_steps=30, lr=0.1)
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    for _, fit in study.history.groupby("fit"):
        assert fit["val_loss"].min() < fit["val_loss"].iloc[0]  # the restored point beats the start


def test_study_is_deterministic_given_the_seed(make_model, frames) -> None:
    model, tokenizer = make_model()
    first, second = _study(model, tokenizer, frames, seeds=(3,)), _study(model, tokenizer, frames, seeds=(3,))
    pd.testing.assert_frame_equal(first.betas, second.betas)
    pd.testing.assert_frame_equal(first.summary, second.summary)


def test_settings_come_from_the_config() -> None:
    settings = fit_settings(ResidualScalingConfig(steps=7, eval_every=2))
    assert (settings.max_steps, settings.eval_every) == (7, 2)
    with pytest.raises(ValueError, match="3 positive shares"):
        ResidualScalingConfig(fractions=[0.5, 0.5])
