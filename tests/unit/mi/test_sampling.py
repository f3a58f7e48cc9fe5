"""Subsamples, the permutation test's columns, and p-value calibration on independent data."""

from __future__ import annotations

import numpy as np
import pytest

from inforidge.mi import EstimatorSettings, Sampling, layerwise_mi, permutation_null
from inforidge.mi.estimators import null_summary


def test_disjoint_subsamples_are_disjoint_blocks_of_equal_size():
    draws = Sampling(n_samples=30, seeds=[5, 1, 9], permutations=0).subsamples(100)
    assert [seed for seed, _, _ in draws] == [5, 1, 9]
    rows = [set(idx.tolist()) for _, idx, _ in draws]
    assert all(len(r) == 30 for r in rows) and not (rows[0] & rows[1] or rows[0] & rows[2] or rows[1] & rows[2])
    # N // seeds caps the size: 3 × 256 > 512 gives 170 rows each.
    assert [len(idx) for _, idx, _ in Sampling(n_samples=256, seeds=[0, 1, 2]).subsamples(512)] == [170] * 3
    assert [len(idx) for _, idx, _ in Sampling(n_samples=None, seeds=[0, 1]).subsamples(11)] == [5, 5]
    with pytest.raises(ValueError, match="disjoint subsamples"):
        Sampling(seeds=[0, 1, 2]).subsamples(5)
    with pytest.raises(ValueError, match="distinct"):
        Sampling(seeds=[0, 0])


def test_random_subsamples_match_the_seeds_own_draw():
    (seed, idx, _), = Sampling(n_samples=10, seeds=[7], scheme="random").subsamples(50)
    assert idx.tolist() == sorted(np.random.default_rng(7).choice(50, size=10, replace=False).tolist())


def test_permutation_test_columns():
    null = np.array([0.1, 0.2, 0.3, 0.5])
    import torch

    t = null_summary(0.3, torch.tensor(null))
    assert t.null_mean == pytest.approx(0.275) and t.null_std == pytest.approx(null.std(ddof=1))
    assert t.excess == pytest.approx(0.025) and t.z == pytest.approx(0.025 / null.std(ddof=1))
    assert t.p_value == pytest.approx((1 + 2) / (1 + 4))  # 0.3 and 0.5 are >= raw
    assert null_summary(9.0, torch.tensor(null)).p_value == pytest.approx(1 / 5)  # never 0


def test_strong_dependence_gets_the_smallest_p_value():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(60, 4))
    res = permutation_null(z, z[:, :2] + 0.05 * rng.normal(size=(60, 2)), permutations=19)
    assert res.p_value == pytest.approx(1 / 20) and res.z > 10


@pytest.mark.parametrize("y_kernel", [None, "delta"])
def test_no_layer_is_significant_beyond_its_nominal_rate_on_independent_data(y_kernel):
    # Layers of very different geometry (spread 0.05 .. 3, dimension 2 .. 16), all independent of Y:
    # the raw MI varies with the geometry, the permutation p-value stays calibrated.
    rng = np.random.default_rng(11)
    seeds, n, p = list(range(24)), 40, 19
    total = n * len(seeds)
    layers = [rng.normal(size=(total, d)) * spread + 5.0 for d, spread in ((2, 0.05), (4, 0.3), (8, 1.0), (16, 3.0))]
    y = rng.integers(0, 13, size=total) if y_kernel else rng.normal(size=(total, 3))
    frame = layerwise_mi(layers, y, EstimatorSettings(y_kernel=y_kernel), increments=False, device="cpu",
                         sampling=Sampling(n_samples=n, seeds=seeds, permutations=p))
    assert frame.groupby("layer")["mi"].mean().is_monotonic_increasing  # raw tracks geometry ...
    tests = len(frame)
    for level in (1 / (p + 1), 4 / (p + 1)):  # nominal 5 % and 20 %, exactly attainable with P = 19
        rate = float((frame["p_value"] <= level + 1e-12).mean())
        assert rate <= level + 3 * np.sqrt(level * (1 - level) / tests), (level, rate)
    assert abs(frame["p_value"].mean() - 0.5 - 0.5 / (p + 1)) < 0.08  # ~uniform on {1/20, ..., 1}
    assert (frame["mi_z"].abs() < 4).all()
