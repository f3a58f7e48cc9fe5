"""Paired layer differences and the ridge statistic on frames with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from inforidge.mi.compare import paired_layer_differences, ridge_statistic, t_quantile


def curve(values: dict[int, list[float]], **keys) -> pd.DataFrame:
    """Rows (layer, sample_seed, mi) from {layer: [value per seed]}."""
    return pd.DataFrame([{**keys, "quantity": "mi", "layer": l, "sample_seed": s, "mi": v}
                         for l, vs in values.items() for s, v in enumerate(vs)])


def test_t_quantiles_match_tables():
    assert t_quantile(0.975, 1) == pytest.approx(12.706, abs=2e-3)
    assert t_quantile(0.975, 2) == pytest.approx(4.303, abs=1e-3)
    assert t_quantile(0.975, 30) == pytest.approx(2.042, abs=1e-3)


def test_paired_difference_removes_the_shared_seed_effect():
    # Seed effects of ±1 shared by both layers: unpaired spread ~1, paired differences exactly 0.1 ± 0.01.
    shared = np.array([-1.0, 0.0, 1.0])
    frame = curve({0: list(shared), 1: list(shared + 0.1 + np.array([0.01, -0.01, 0.0]))}, run="r", site="s")
    d = paired_layer_differences(frame, pairs=[(1, 0)])
    row = d.iloc[0]
    assert (row.layer_a, row.layer_b, row.seeds) == (1, 0, 3)
    assert row.mean_diff == pytest.approx(0.1) and row.std_diff == pytest.approx(0.01)
    half = t_quantile(0.975, 2) * 0.01 / math.sqrt(3)
    assert (row.ci_low, row.ci_high) == pytest.approx((0.1 - half, 0.1 + half))
    # Default pairs: every layer against the last.
    assert paired_layer_differences(frame)[["layer_a", "layer_b"]].values.tolist() == [[0, 1], [1, 1]]


def test_ridge_statistic_counts_interior_peaks_and_spread():
    frame = pd.concat([
        curve({0: [0, 0, 0], 1: [2, 1, 0], 2: [1, 2, 0], 3: [0, 0, 3]}, run="a", site="resid_post"),
        curve({0: [5, 5, 5], 1: [1, 1, 1], 2: [0, 0, 0]}, run="b", site="resid_post"),
    ])
    r = ridge_statistic(frame).set_index("run")
    # run a: per-seed argmax 1, 2, 3; the mean curve (0, 1, 1, 1) peaks first at layer 1.
    assert r.loc["a", "ridge_layer"] == 1 and r.loc["a", "ridge_layer_mean"] == pytest.approx(2.0)
    assert r.loc["a", "ridge_layer_std"] == pytest.approx(1.0)
    assert r.loc["a", "interior_fraction"] == pytest.approx(2 / 3) and r.loc["a", "ridge_position"] == pytest.approx(1 / 3)
    assert r.loc["b", "ridge_layer"] == 0 and r.loc["b", "interior_fraction"] == 0.0
