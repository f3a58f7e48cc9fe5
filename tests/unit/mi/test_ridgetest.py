"""The ridge test on curves with known answers: its level, its power at a large gap, its edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inforidge.mi.compare import ridge_statistic
from inforidge.mi.layerwise import Sampling, layerwise_mi
from inforidge.mi.ridgetest import peak_test, ridge_test


def test_exchangeable_layers_give_false_ridges_at_most_at_the_level():
    """Exchangeable layers make the sign flips exact: over 400 curves the false-ridge rate stays ≤ 5 % (+ MC error)."""
    rng = np.random.default_rng(0)
    false = sum(ridge_test(rng.normal(size=(8, 7))).verdict == "ridge" for _ in range(400))
    # Exact level: the rate is ≤ 0.05; 400 draws give a binomial sd of 0.011, so 0.08 is ~3 sd above.
    assert false / 400 <= 0.08


def test_a_large_planted_gap_is_found_at_its_layer_with_a_covering_interval():
    rng = np.random.default_rng(1)
    curve = rng.normal(scale=0.01, size=(8, 7))
    curve[:, 3] += 0.05
    test = ridge_test(curve)
    assert test.verdict == "ridge" and test.tested_layer == 3 and test.p_adjusted == pytest.approx(1 / 256)
    assert test.gap_ci_low < 0.05 < test.gap_ci_high and test.gap_ci_low > 0


def test_identical_layers_are_no_ridge_not_round_off():
    """Layers that are invertible maps of one another read the same under whitening, up to ~1e-15 noise."""
    rng = np.random.default_rng(2)
    curve = np.repeat(rng.normal(size=(6, 1)), 5, axis=1) + 1e-15 * rng.normal(size=(6, 5))
    test = ridge_test(curve)
    assert test.verdict == "no ridge" and test.p_adjusted == 1.0 and test.gap == 0.0


def test_last_layer_above_the_rest_is_no_ridge():
    rng = np.random.default_rng(3)
    curve = rng.normal(scale=0.01, size=(8, 6))
    curve[:, -1] += 0.1
    assert ridge_test(curve).verdict == "no ridge"


def test_step_down_adjustment_is_at_least_the_single_layer_p():
    """With many null interior layers beside one real gap, the adjusted p exceeds the one-layer test's p."""
    rng = np.random.default_rng(4)
    curve = rng.normal(scale=0.01, size=(6, 12))
    curve[:, 5] += 0.012
    many = ridge_test(curve)
    one = ridge_test(curve[:, [0, 5, 11]])
    assert one.tested_layer == 1 and many.p_adjusted >= one.p_adjusted


@pytest.mark.parametrize("shape", [(4, 7), (8, 2)])
def test_too_few_subsamples_or_no_interior_layer_is_untestable(shape):
    test = ridge_test(np.zeros(shape))
    assert test.verdict == "untestable" and test.tested_layer == -1 and test.flips == 0


def test_ridge_statistic_reports_the_test_with_layer_labels_and_sizes():
    rng = np.random.default_rng(5)
    rows = [{"run": "r", "layer": layer, "sample_seed": s, "n": 64, "permutations": 50,
             "mi": rng.normal(scale=0.01) + (0.1 if layer == 4 else 0.0)}
            for layer in range(2, 8) for s in range(6)]
    row = ridge_statistic(pd.DataFrame(rows)).iloc[0]
    assert (row.verdict, row.tested_layer, row.layers_tested, row.n, row.permutations) == ("ridge", 4, 4, 64, 50)
    assert row.p_adjusted == pytest.approx(1 / 64) and row.flips == 64


def test_a_stretched_offset_last_layer_fools_l2_but_not_whiten():
    """Through layerwise_mi: an affine map of the last layer keeps its information; only l2 reads a ridge."""
    rng = np.random.default_rng(0)
    labels = np.arange(240) % 4
    y = rng.normal(size=(4, 3))[labels]
    means = rng.normal(size=(4, 4))[labels]
    zs = [means + rng.normal(size=(240, 4)) for _ in range(5)]
    moved = zs[:-1] + [zs[-1] * np.r_[20.0, 1.0, 1.0, 1.0] + 50.0]
    sampling = Sampling(n_samples=None, seeds=range(6), permutations=0)
    verdicts = {}
    for normalize in ("l2", "whiten"):
        frame = layerwise_mi(moved, y, sampling=sampling, increments=False, device="cpu", normalize=normalize)
        verdicts[normalize] = ridge_statistic(frame, seed="seed").iloc[0].verdict
        if normalize == "whiten":
            same = layerwise_mi(zs, y, sampling=sampling, increments=False, device="cpu", normalize=normalize)
            np.testing.assert_allclose(frame["mi"], same["mi"], atol=1e-9)
    assert verdicts == {"l2": "ridge", "whiten": "no ridge"}


def test_the_reported_layer_is_the_peak_among_the_rejected_not_the_most_significant():
    """Layer 1 is the most precise (tiny noise), layer 3 the highest: the ridge is reported at its peak, 3."""
    rng = np.random.default_rng(6)
    curve = np.zeros((8, 5))
    curve[:, 1] = 0.02 + 1e-4 * rng.normal(size=8)
    curve[:, 3] = 0.05 + 1e-2 * rng.normal(size=8)
    test = ridge_test(curve)
    assert test.verdict == "ridge" and test.tested_layer == 3 and test.p_adjusted <= 0.05


def test_the_peak_test_keeps_its_level_although_it_picks_the_argmax():
    """Exchangeable layers: the argmax is the largest of 7 noisy means, yet it is declared above every
    other layer at most at the level (multiple comparisons with the best; 400 curves, binomial sd 0.011)."""
    rng = np.random.default_rng(4)
    false = sum(peak_test(rng.normal(size=(8, 7))).verdict == "peak" for _ in range(400))
    assert false / 400 <= 0.08


def test_a_clear_peak_is_found_against_its_closest_rival():
    rng = np.random.default_rng(5)
    curve = rng.normal(scale=0.01, size=(8, 6))
    curve[:, 2] += 0.10  # the peak
    curve[:, 4] += 0.06  # its closest rival
    test = peak_test(curve)
    assert (test.verdict, test.layer, test.runner_up) == ("peak", 2, 4)
    assert test.gap_ci_low < 0.04 < test.gap_ci_high and test.gap_ci_low > 0 and test.rivals == 5


def test_two_equal_top_layers_are_no_peak_but_at_the_level():
    """The least favourable case: the argmax is one of two equal tops, so every "peak" is false (1000 curves)."""
    rng = np.random.default_rng(6)
    tests = []
    for _ in range(1000):
        curve = rng.normal(size=(8, 6))
        curve[:, [1, 3]] += 5.0
        tests.append(peak_test(curve))
    assert all({t.layer, t.runner_up} == {1, 3} for t in tests)
    assert sum(t.verdict == "peak" for t in tests) / 1000 <= 0.065  # level 0.05, binomial sd 0.007


def test_the_peak_test_needs_five_subsamples_and_two_layers():
    assert peak_test(np.zeros((4, 5))).verdict == "untestable"
    assert peak_test(np.zeros((8, 1))).verdict == "untestable"
    flat = peak_test(np.ones((8, 5)))
    assert flat.verdict == "no peak" and flat.layer == 0 and flat.p_adjusted == 1.0


def test_gaps_identical_in_every_subsample_are_no_spread_in_both_tests():
    """A constant gap has t = ±∞: the flips would reject any size of gap, so neither test counts it."""
    curve = np.full((6, 5), 0.012)
    curve[:, 2] = 0.016  # interior layer 2 above the last by the same 0.004 in every subsample
    ridge = ridge_test(curve)
    assert ridge.verdict == "no spread" and ridge.tested_layer == 2 and ridge.gap == pytest.approx(0.004)
    assert peak_test(curve).verdict == "no spread"
    noisy = curve + np.random.default_rng(5).normal(scale=1e-4, size=curve.shape)
    assert ridge_test(noisy).verdict == "ridge" and peak_test(noisy).verdict == "peak"
