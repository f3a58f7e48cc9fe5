"""Residual scaling: exact identity at β = 1, frozen weights, β ≥ 0, and a working fit."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from inforidge.architecture import find_final_norm, find_lm_head
from inforidge.probes.early_exit import residual_stream
from inforidge.probes.residual_scaling import fit_residual_scaling, scaled_residuals

ARCHITECTURES = ("gpt2", "llama", "qwen2")
CPU = torch.device("cpu")


def _inputs(tokenizer, frame: pd.DataFrame) -> dict[str, torch.Tensor]:
    return tokenizer(list(frame["prompt"][:8]), return_tensors="pt", padding=True)


def _fit(model, tokenizer, frames, **overrides):
    kwargs = dict(steps=8, lr=0.05, batch_size=16, seed=0, device=CPU, record_every=3)
    kwargs.update(overrides)
    return fit_residual_scaling(model, tokenizer, frames["train"], {"id": frames["eval_id"], "fit": frames["train"]},
                                **kwargs)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_unit_scales_reproduce_the_model_exactly(make_model, frames, architecture: str) -> None:
    model, tokenizer = make_model(architecture)
    inputs = _inputs(tokenizer, frames["eval_id"])
    with torch.no_grad():
        expected = model(**inputs).logits
        with scaled_residuals(model) as scales:
            assert torch.equal(scales.betas(), torch.ones(2))
            scaled = model(**inputs).logits
    assert torch.equal(scaled, expected)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_zero_scales_read_out_the_embeddings(make_model, frames, architecture: str) -> None:
    model, tokenizer = make_model(architecture)
    inputs = _inputs(tokenizer, frames["eval_id"])
    with torch.no_grad():
        with residual_stream(model) as stream:
            model(**inputs)
            embeddings = stream[0]  # [B, T, d]
        expected = find_lm_head(model)(find_final_norm(model)(embeddings))
        with scaled_residuals(model) as scales:
            scales.set_betas(torch.zeros(2))
            skipped = model(**inputs).logits
    torch.testing.assert_close(skipped, expected, atol=1e-5, rtol=1e-5)


def test_scales_change_the_output_and_unwrap_cleanly(make_model, frames) -> None:
    model, tokenizer = make_model()
    inputs = _inputs(tokenizer, frames["eval_id"])
    with torch.no_grad():
        expected = model(**inputs).logits
        with scaled_residuals(model) as scales:
            scales.set_betas(torch.tensor([0.5, 2.0]))
            assert not torch.allclose(model(**inputs).logits, expected)
        assert torch.equal(model(**inputs).logits, expected)


def test_weights_are_frozen_inside_and_restored_after(make_model) -> None:
    model, _ = make_model()
    with scaled_residuals(model) as scales:
        assert not any(p.requires_grad for p in model.parameters())
        assert all(p.requires_grad for p in scales.parameters())
    assert all(p.requires_grad for p in model.parameters())


def test_set_betas_rejects_negative_scales(make_model) -> None:
    model, _ = make_model()
    with scaled_residuals(model) as scales, pytest.raises(ValueError):
        scales.set_betas(torch.tensor([1.0, -0.1]))


def test_fit_leaves_the_model_unchanged(make_model, frames) -> None:
    model, tokenizer = make_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    inputs = _inputs(tokenizer, frames["eval_id"])
    with torch.no_grad():
        expected = model(**inputs).logits
    result = _fit(model, tokenizer, frames)
    assert (result.betas["beta"] != 1.0).any()  # the fit did move β
    after = model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    with torch.no_grad():
        assert torch.equal(model(**inputs).logits, expected)


def test_fit_reduces_the_fit_loss(make_model, frames) -> None:
    model, tokenizer = make_model()
    result = _fit(model, tokenizer, frames, steps=30)
    fit = result.accuracy[result.accuracy["split"] == "fit"].set_index("phase")
    assert fit.loc["after", "loss"] < fit.loc["before", "loss"]
    assert result.fit_loss["loss"].iloc[-5:].mean() < result.fit_loss["loss"].iloc[:5].mean()


def test_betas_stay_non_negative_under_a_large_learning_rate(make_model, frames) -> None:
    model, tokenizer = make_model()
    result = _fit(model, tokenizer, frames, lr=10.0, steps=10, record_every=1)
    assert (result.betas["beta"] >= 0).all()
    assert result.betas["beta"].notna().all()


def test_result_frames_and_recording_schedule(make_model, frames) -> None:
    model, tokenizer = make_model()
    result = _fit(model, tokenizer, frames, steps=7, record_every=3)
    assert list(result.betas.columns) == ["opt_step", "layer", "beta"]
    assert sorted(result.betas["opt_step"].unique()) == [0, 3, 6, 7]
    assert sorted(result.betas["layer"].unique()) == [1, 2]
    assert (result.betas.loc[result.betas["opt_step"] == 0, "beta"] == 1.0).all()
    assert list(result.accuracy.columns) == ["split", "phase", "accuracy", "loss", "n"]
    assert set(zip(result.accuracy["split"], result.accuracy["phase"])) == {
        (s, p) for s in ("id", "fit") for p in ("before", "after")
    }
    assert result.accuracy["accuracy"].between(0, 1).all()
    assert list(result.fit_loss["opt_step"]) == list(range(1, 8))


def test_fit_is_deterministic_given_the_seed(make_model, frames) -> None:
    model, tokenizer = make_model()
    first = _fit(model, tokenizer, frames, seed=3)
    second = _fit(model, tokenizer, frames, seed=3)
    other = _fit(model, tokenizer, frames, seed=4)
    pd.testing.assert_frame_equal(first.betas, second.betas)
    assert not first.fit_loss["loss"].equals(other.fit_loss["loss"])
