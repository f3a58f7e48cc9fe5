"""Residual scaling: exact identity at β = 1, no absorbing zero, held-out protocol, early stopping."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from inforidge.probes._batches import first_target_batches, head_states, score, score_states
from inforidge.probes.registry import ResidualScalingConfig
from inforidge.probes.residual_scaling import (
    FitSettings,
    Objective,
    ResidualScales,
    _model_objective,
    _temperature_objective,
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
    defaults = {"max_steps": 12, "lr": 1.0, "batch_size": 8, "eval_every": 3, "patience": 2, "min_delta": 1e-3}
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


def _joint_fit(model, tokenizer, frames, settings):
    val = list(first_target_batches(tokenizer, frames["eval_id"], 16, CPU))
    train = list(first_target_batches(tokenizer, frames["probe_ood"], 8, CPU))
    with scaled_residuals(model) as scales:
        objective = Objective([scales.theta, scales.tau], _model_objective(model, scales, train))
        trace = early_stopped_fit(scales, objective,
                                  lambda: score(model, val, scales.temperature_value())["loss"], settings)
        restored = score(model, val, scales.temperature_value())["loss"]
    return trace, restored


def test_early_stopping_restores_the_best_validation_step(make_model, frames) -> None:
    model, tokenizer = make_model()
    settings = FitSettings(max_steps=60, lr=1.0, batch_size=8, eval_every=2, patience=3, min_delta=1e-3)
    trace, restored = _joint_fit(model, tokenizer, frames, settings)
    history = pd.DataFrame(trace.history)
    improving = history["val_loss"] < history["val_loss"].cummin().shift(fill_value=float("inf")) - 1e-3
    assert trace.stopped_step == history.loc[improving, "opt_step"].iloc[-1]  # the last check that improved
    assert restored == pytest.approx(history.set_index("opt_step").loc[trace.stopped_step, "val_loss"], rel=1e-5)
    last = history.iloc[-1]
    gradient_small = last["grad_norm"] <= settings.grad_tol
    stable = history["val_loss"].iloc[-settings.patience - 1:].agg(lambda v: v.max() - v.min()) <= 1e-3
    assert trace.converged == (gradient_small or (len(history) > settings.patience and stable))


def test_full_batch_fit_reaches_a_small_gradient(make_model, frames) -> None:
    # L+1 = 3 parameters, one smooth full-batch loss: L-BFGS ends at a stationary point.
    model, tokenizer = make_model()
    settings = FitSettings(max_steps=200, lr=1.0, batch_size=8, eval_every=1, patience=200, min_delta=0.0,
                           grad_tol=1e-3)
    trace, _ = _joint_fit(model, tokenizer, frames, settings)
    assert trace.converged and trace.history[-1]["grad_norm"] <= 1e-3
    assert len(trace.history) < 60  # iterations, not Adam's hundreds of steps


def test_a_rising_validation_loss_is_a_stop_not_convergence(make_model) -> None:
    model, _ = make_model()
    losses = iter([1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])  # best at check 1, then rising by > min_delta
    with scaled_residuals(model) as scales:
        def bowl() -> float:  # a smooth training loss with its minimum far away: the fit keeps moving
            loss = (scales.tau - 3.0).pow(2)
            loss.backward()
            return loss.item()

        objective = Objective([scales.tau], bowl)
        trace = early_stopped_fit(scales, objective, lambda: next(losses),
                                  FitSettings(max_steps=50, lr=0.1, batch_size=8, eval_every=1, patience=3,
                                              min_delta=1e-3, grad_tol=0.0))
    assert trace.stopped_step == 1 and not trace.converged
    assert [row["val_loss"] for row in trace.history] == [1.0, 0.5, 0.6, 0.7, 0.8]


def test_temperature_fit_on_cached_states_matches_the_forward_pass(make_model, frames) -> None:
    # The temperature-only objective replays the head on cached states: the same loss and
    # gradient as the model's own forward pass at β = 1.
    model, tokenizer = make_model("llama")
    batches = list(first_target_batches(tokenizer, frames["probe_ood"], 8, CPU))
    states = head_states(model, batches)
    with scaled_residuals(model) as scales:
        with torch.no_grad():
            scales.tau.fill_(0.3)
        scales.theta.requires_grad_(False)
        cached = Objective([scales.tau], _temperature_objective(model, scales, states))
        loss_cached, grad_cached = float(cached()), scales.tau.grad.clone()
        forward = Objective([scales.tau], _model_objective(model, scales, batches))
        loss_forward, grad_forward = float(forward()), scales.tau.grad.clone()
        assert score_states(model, states, 1.5) == pytest.approx(score(model, batches, 1.5), rel=1e-5)
    assert loss_cached == pytest.approx(loss_forward, rel=1e-5)
    torch.testing.assert_close(grad_cached, grad_forward, rtol=1e-4, atol=1e-7)


def test_a_fit_cut_by_the_step_cap_is_flagged(make_model, frames) -> None:
    model, tokenizer = make_model()
    study = _study(model, tokenizer, frames, max_steps=1, eval_every=1, patience=50, grad_tol=0.0)
    assert not study.summary.loc[study.summary["phase"] != "before", "converged"].any()
    assert not study.betas["converged"].any()


def test_joint_fit_starts_from_the_temperature_solution(make_model, frames) -> None:
    model, tokenizer = make_model()
    study = _study(model, tokenizer, frames, seeds=(0, 1), max_steps=30, eval_every=1)
    history = study.history
    for _, g in history.groupby("seed"):
        temperature, joint = g[g["fit"] == "temperature"], g[g["fit"] == "joint"]
        restored = temperature.set_index("opt_step")["val_loss"].min()
        # check 0 of the joint fit is the temperature fit's best point (θ = 0, τ = τ*) ...
        assert joint["val_loss"].iloc[0] == pytest.approx(restored, rel=1e-6)
        # ... and it restores its best check, so it cannot end worse on validation
        assert joint["val_loss"].min() <= joint["val_loss"].iloc[0]


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
    temperature, joint = (study.history[study.history["fit"] == fit] for fit in ("temperature", "joint"))
    assert temperature["val_loss"].min() < temperature["val_loss"].iloc[0]  # the restored point beats T = 1
    restored = study.summary.query("phase == 'after' and split == 'heldout'")
    assert joint["val_loss"].min() <= joint["val_loss"].iloc[0] and len(restored) == 1  # never worse than its start


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
