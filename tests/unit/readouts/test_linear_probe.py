"""The linear probe: held-out scores only, calibrated on independent data, deterministic, real dumps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inforidge.activations import dump_split
from inforidge.config import LinearProbeConfig
from inforidge.readouts import linear_probe
from inforidge.readouts.linear_probe import COLUMNS, linear_probe_dump, probe_layer, probe_layers, stratified_folds

FAST = LinearProbeConfig(folds=4, max_iter=100)  # λ chosen among the default candidates


def mean(scores, field):
    return float(np.mean([getattr(s, field) for s in scores]))


def test_folds_are_stratified_and_cover_every_row_once():
    labels = np.repeat(np.arange(3), [10, 20, 30])
    fold = stratified_folds(labels, 5, 0)
    assert sorted(np.bincount(fold)) == [12] * 5
    for c, size in zip(range(3), (10, 20, 30)):
        assert np.bincount(fold[labels == c], minlength=5).tolist() == [size // 5] * 5


def test_decodable_classes_are_decoded():
    rng = np.random.default_rng(0)
    target = rng.integers(0, 5, size=200)
    x = np.eye(5)[target] * 3 + rng.normal(size=(200, 5)) * 0.3  # linearly separable
    scores = probe_layer(x, target, FAST)
    assert mean(scores, "accuracy") > 0.97 and mean(scores, "chance_accuracy") < 0.35
    h_y = mean(scores, "h_y_bits")
    assert h_y == pytest.approx(math.log2(5), abs=0.1)
    assert mean(scores, "v_info_bits") > 0.8 * h_y


def test_scores_are_held_out_not_fitted():
    # Pure noise with d close to the training size: a fitted-data score would be ~perfect.
    rng = np.random.default_rng(1)
    target = rng.integers(0, 2, size=80)
    x = rng.normal(size=(80, 50))
    scores = probe_layer(x, target, LinearProbeConfig(folds=4, l2=[1e-6], max_iter=300))
    assert mean(scores, "accuracy") < 0.7
    assert mean(scores, "v_info_bits") < 0.0  # an overfitted probe is worse than the class prior
    assert [s.n_test for s in scores] == [20] * 4 and [s.n_train for s in scores] == [60] * 4


def test_penalty_is_chosen_on_validation_data():
    rng = np.random.default_rng(3)
    target = rng.integers(0, 2, size=80)
    noise = rng.normal(size=(80, 50))
    scores = probe_layer(noise, target, LinearProbeConfig(folds=4, l2=[1e-6, 1.0, 100.0], max_iter=300))
    assert {s.penalty for s in scores} <= {1e-6, 1.0, 100.0}
    assert all(s.penalty > 1e-6 for s in scores)  # validation sees the overfitted probe lose
    # the chosen penalty keeps the probe near the class prior instead of far below it
    assert mean(scores, "v_info_bits") > -0.2
    overfit = probe_layer(noise, target, LinearProbeConfig(folds=4, l2=[1e-6], max_iter=300))
    assert mean(scores, "v_info_bits") > mean(overfit, "v_info_bits")


def test_a_class_unseen_in_training_costs_what_the_prior_gives_it():
    # Class 3 has one row, so the fold holding it out never trains on it. Before, that class's
    # unpenalized bias drifted down until the fit stopped, and the row's cost was the stopping
    # rule's. Now the row costs log2(n_train + C), the add-one prior's cost (h_y_bits), whatever
    # the iteration cap.
    rng = np.random.default_rng(4)
    target = np.concatenate([rng.integers(0, 3, size=59), [3]])
    x = np.eye(4)[target] * 2 + rng.normal(size=(60, 4))
    fold = stratified_folds(np.unique(target, return_inverse=True)[1], 4, 0)
    k = int(fold[-1])  # the fold holding the one class-3 row
    short, long = (probe_layer(x, target, LinearProbeConfig(folds=4, l2=[0.1], max_iter=cap))[k] for cap in (60, 2000))
    assert short.ce_bits == pytest.approx(long.ce_bits, abs=1e-4)
    seen = (fold == k) & (target != 3)
    unseen_bits = math.log2(long.n_train + 4)
    assert long.ce_bits * long.n_test > unseen_bits  # that row's cost is part of the fold's
    assert long.ce_bits * long.n_test - unseen_bits < seen.sum() * math.log2(4)  # the rest: better than uniform


def test_warm_starts_reach_the_cold_solution():
    # The objective is strictly convex: warm starts across folds and penalties change the
    # path, not the fitted probe.
    import torch

    from inforidge.readouts.linear_probe import fit_softmax

    rng = np.random.default_rng(4)
    y = torch.as_tensor(rng.integers(0, 4, size=120))
    x = torch.as_tensor(rng.normal(size=(120, 6)) + np.eye(4)[y.numpy()] @ rng.normal(size=(4, 6)))[None]  # P = 1
    cold = fit_softmax(x, y, 4, 1e-2, 500)
    warm = fit_softmax(x, y, 4, 1e-2, 500, start=fit_softmax(x[:, :90], y[:90], 4, 1.0, 500))
    for a, b in zip(cold, warm):
        torch.testing.assert_close(a, b, atol=2e-4, rtol=1e-4)  # gradient tolerance 1e-6 over curvature ≥ λ


def test_batched_layers_score_as_each_layer_alone():
    """probe_layers (what linear_probe_dump runs) on P arrays = probe_layer on each: the same folds, λ and scores."""
    rng = np.random.default_rng(6)
    target = rng.integers(0, 5, size=150)
    signal = rng.normal(size=(5, 8))[target]
    xs = np.stack([signal * s + rng.normal(size=(150, 8)) for s in (0.0, 0.3, 1.0, 3.0)])  # hopeless .. separable
    batched = probe_layers(xs, target, FAST)
    for x, scores in zip(xs, batched):
        alone = probe_layer(x, target, FAST)
        assert [s.penalty for s in scores] == [s.penalty for s in alone]
        for field in ("accuracy", "ce_bits", "h_y_bits", "chance_accuracy"):
            np.testing.assert_allclose([getattr(s, field) for s in scores], [getattr(s, field) for s in alone],
                                       atol=1e-7, rtol=0)
    assert len({s.penalty for scores in batched for s in scores}) > 1  # the layers did choose differently


def test_independent_features_carry_no_v_information():
    rng = np.random.default_rng(2)
    v_info = []
    for trial in range(6):
        target = rng.integers(0, 13, size=260)
        x = rng.normal(size=(260, 8)) * (0.05 + trial)  # spread must not matter
        v_info.append(mean(probe_layer(x, target, FAST), "v_info_bits"))
    assert max(v_info) < 0.05


def test_deterministic_and_validates_inputs():
    rng = np.random.default_rng(3)
    target = rng.integers(0, 3, size=60)
    x = rng.normal(size=(60, 4)) + target[:, None]
    assert probe_layer(x, target, FAST) == probe_layer(x, target, FAST)
    with pytest.raises(ValueError, match="rows"):
        probe_layer(x[:10], target, FAST)
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        probe_layer(bad, target, FAST)
    with pytest.raises(ValueError, match="folds"):
        LinearProbeConfig(folds=1)


def test_linear_probe_dump_scores_every_site_and_layer(tmp_path, tiny_task, tiny_gpt2, monkeypatch):
    checkpoint = tmp_path / "step-0"
    for part in tiny_gpt2:
        part.save_pretrained(checkpoint)
    manifest = dump_split(checkpoint, tiny_task.build_split("eval_id"), tmp_path / "eval_id", dtype="float32",
                          device="cpu")
    frame = linear_probe_dump(manifest, FAST)
    assert list(frame.columns) == COLUMNS
    assert sorted(set(zip(frame.site, frame.layer))) == [("final_norm", 2), ("resid_post", 0), ("resid_post", 1),
                                                          ("resid_post", 2)]
    assert (frame.groupby(["site", "layer"]).size() == 4).all()
    assert (frame.n_train + frame.n_test == 64).all()
    assert frame[["accuracy", "ce_bits", "h_y_bits", "v_info_bits"]].notna().all().all()
    assert np.allclose(frame.v_info_bits, frame.h_y_bits - frame.ce_bits)
    # One array per batch (a dump too large to probe at once) scores the same table.
    monkeypatch.setattr(linear_probe, "BATCH_ELEMENTS", 1)
    alone = linear_probe_dump(manifest, FAST)
    assert alone[["site", "layer", "fold", "penalty"]].equals(frame[["site", "layer", "fold", "penalty"]])
    np.testing.assert_allclose(alone[["accuracy", "ce_bits"]], frame[["accuracy", "ce_bits"]], atol=1e-7, rtol=0)


def _invariance_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    target = np.arange(160) % 4
    return rng.normal(size=(4, 5))[target] + 1.5 * rng.normal(size=(160, 5)), target


def _scores(x: np.ndarray, target: np.ndarray) -> np.ndarray:
    return np.array([[s.accuracy, s.ce_bits] for s in probe_layer(x, target, FAST)])


def test_probe_is_invariant_to_translation_and_per_coordinate_scaling():
    """docs/mi.md, Invariances: features are standardised on the training folds, so these are exact."""
    x, target = _invariance_data()
    moved = x * np.array([20.0, 5.0, 1.0, 0.3, 1.0]) + 100.0
    np.testing.assert_allclose(_scores(moved, target), _scores(x, target), atol=1e-6)


def test_probe_is_only_approximately_invariant_to_rotation():
    """A rotation mixes coordinates before the per-coordinate standardisation and the L2 penalty: close, not equal."""
    x, target = _invariance_data()
    q, _ = np.linalg.qr(np.random.default_rng(12).normal(size=(5, 5)))
    before, after = _scores(x, target), _scores(x @ q, target)
    assert np.abs(after - before).max() < 0.1 and not np.allclose(after, before, atol=1e-6)
