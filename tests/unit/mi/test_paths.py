"""Exact fast paths against the dense path, input checks, the permutation null and the stage function."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from inforidge.mi import Sampling, entropy, layerwise_mi, mutual_information, mutual_information_terms, permutation_null
from inforidge.mi import kernels, spectra


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 7), st.sampled_from([0.5, 1.0, 2.0]))
def test_block_path_equals_dense_path(seed, classes, alpha):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(40, 3))
    labels = rng.integers(0, classes, size=40)
    one_hot = np.eye(classes)[labels]  # (N, C): the same classes as rows, for the dense delta Gram
    block = mutual_information_terms(z, labels, y_kernel="delta", alpha=alpha)
    # Dense reference: the Hadamard product with an explicit delta Gram matrix, one N×N eigvalsh.
    a = kernels.unit_trace(kernels.gram(kernels.l2_normalize_rows(torch.tensor(z)), "gaussian", 1.0))
    b = kernels.unit_trace(kernels.gram(torch.tensor(one_hot), "delta"))
    h = a * b
    dense_joint = spectra.renyi_entropy(spectra.spectrum(h / h.trace()), alpha)
    dense_y = spectra.renyi_entropy(spectra.spectrum(b), alpha)
    assert block.h_joint == pytest.approx(float(dense_joint), abs=1e-10)
    assert block.h_y == pytest.approx(float(dense_y), abs=1e-10)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 12), st.sampled_from([0.5, 1.0, 2.0]))
def test_linear_covariance_path_equals_gram_path(seed, d, alpha):
    x = torch.tensor(np.random.default_rng(seed).normal(size=(30, d)))
    small = spectra.renyi_entropy(spectra.linear_spectrum(x), alpha)  # d×d when d < N
    a = kernels.unit_trace(kernels.gram(x, "linear"))
    full = spectra.renyi_entropy(spectra.spectrum(a), alpha)  # N×N
    assert float(small) == pytest.approx(float(full), abs=1e-10)


def test_delta_on_both_sides_is_discrete_mutual_information():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 3, size=300)
    b = (a + (rng.random(300) < 0.2)) % 3
    joint = np.histogram2d(a, b, bins=[3, 3])[0] / 300
    pa, pb = joint.sum(1), joint.sum(0)
    nz = joint > 0
    shannon = float((joint[nz] * np.log2(joint[nz] / np.outer(pa, pb)[nz])).sum())
    assert mutual_information(a, b, kernel="delta") == pytest.approx(shannon, abs=1e-10)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_input_is_named(bad):
    z = np.ones((5, 2))
    y = np.random.default_rng(0).normal(size=(5, 2))
    y[2, 1] = bad
    with pytest.raises(ValueError, match="y contains NaN"):
        mutual_information(np.random.default_rng(1).normal(size=(5, 2)), y)
    with pytest.raises(ValueError, match="acts contains NaN"):
        entropy(y, name="acts")
    with pytest.raises(ValueError, match="z contains NaN"):
        mutual_information(y, z)


def test_shape_errors():
    with pytest.raises(ValueError, match="at least 2"):
        entropy(np.ones((1, 3)))
    with pytest.raises(ValueError, match="sample counts differ"):
        mutual_information(np.ones((5, 2)), np.ones((6, 2)))
    with pytest.raises(ValueError, match="unknown kernel"):
        entropy(np.eye(3), kernel="cosine")
    with pytest.raises(ValueError, match="alpha"):
        entropy(np.eye(3), alpha=0.0)


def test_float32_option_is_close_to_float64():
    z, y = np.random.default_rng(2).normal(size=(2, 60, 4))
    exact = mutual_information(z, y)
    single = mutual_information(torch.tensor(z, dtype=torch.float32), y, dtype=torch.float32)
    assert single == pytest.approx(exact, abs=1e-3)  # float32 spectra: ~1e-4 bits at this N


def test_permutation_null_of_independent_data_is_centred():
    rng = np.random.default_rng(4)
    z, y = rng.normal(size=(80, 3)), rng.normal(size=(80, 3))
    res = permutation_null(z, y, permutations=30, seed=1)
    assert res.raw == pytest.approx(mutual_information(z, y), abs=1e-12)
    assert res.excess == pytest.approx(res.raw - res.null_mean, abs=1e-15)
    assert abs(res.excess) < 3 * res.null_std
    # Dependent data stand far above their null.
    dep = permutation_null(z, z[:, :2] + 0.1 * y[:, :2], permutations=10, seed=1)
    assert dep.excess > 10 * dep.null_std


def test_permutation_null_removes_many_class_bias():
    # Independent data with many classes: the raw MI is far from 0, the corrected value is not.
    rng = np.random.default_rng(5)
    z, labels = rng.normal(size=(120, 4)), rng.integers(0, 60, size=120)
    res = permutation_null(z, labels, y_kernel="delta", permutations=20, seed=0)
    assert res.raw > 0.5
    assert abs(res.excess) < 3 * res.null_std + 1e-3


def test_layerwise_matches_direct_estimates():
    rng = np.random.default_rng(6)
    n, d = 50, 6
    y = rng.normal(size=(n, 3))
    layers = [np.hstack([y, rng.normal(size=(n, d - 3))]) * (l + 1) + rng.normal(size=(n, d)) * l for l in range(4)]
    df = layerwise_mi(layers, y, sampling=Sampling(n_samples=30, seeds=[0, 7], permutations=3, scheme="random"), increments=True, device="cpu")
    assert list(df.columns) == [
        "quantity", "layer", "seed", "n", "mi", "null_mean", "null_std", "mi_excess", "mi_z", "p_value",
        "h_z", "h_y", "h_joint",
    ]
    assert len(df) == (4 + 3) * 2
    assert df[["layer", "seed", "n"]].dtypes.tolist() == [np.int64] * 3
    for seed in (0, 7):
        idx = np.sort(np.random.default_rng(seed).choice(n, size=30, replace=False))
        for l in range(4):
            row = df[(df.quantity == "mi") & (df.layer == l) & (df.seed == seed)].iloc[0]
            assert row.mi == pytest.approx(mutual_information(layers[l][idx], y[idx]), abs=1e-10)
            assert row.mi_excess == pytest.approx(row.mi - row.null_mean, abs=1e-12)
        gain = df[(df.quantity == "gain") & (df.layer == 2) & (df.seed == seed)].iloc[0]
        assert gain.mi == pytest.approx(mutual_information(layers[2][idx] - layers[1][idx], y[idx]), abs=1e-10)
    # The null uses the same shuffles as permutation_null with the seed's generator state.
    off = layerwise_mi(layers, y, sampling=Sampling(n_samples=None, seeds=[1], permutations=0, scheme="random"), increments=False, device="cpu")
    assert off.n.tolist() == [n] * 4 and off.null_mean.isna().all() and off.mi_excess.isna().all()


def test_layerwise_delta_target_and_median_bandwidth():
    rng = np.random.default_rng(8)
    labels = rng.integers(0, 5, size=40)
    layers = [np.eye(5)[labels] + rng.normal(size=(40, 5)) * s for s in (0.1, 1.0, 3.0)]
    df = layerwise_mi(layers, labels, sampling=Sampling(n_samples=None, seeds=[0], permutations=2, scheme="random"), increments=False,
                      y_kernel="delta", sigma="median", device="cpu")
    direct = [mutual_information(z, labels, y_kernel="delta", sigma="median") for z in layers]
    assert df.mi.to_numpy() == pytest.approx(direct, abs=1e-10)
    assert df.mi.is_monotonic_decreasing


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    rng = np.random.default_rng(9)
    z, y = rng.normal(size=(200, 16)), rng.normal(size=(200, 4))
    cpu = mutual_information(z, y)
    gpu = mutual_information(torch.tensor(z, device="cuda"), torch.tensor(y, device="cuda"))
    assert gpu == pytest.approx(cpu, abs=1e-9)
    labels = rng.integers(0, 7, size=200)
    assert mutual_information(torch.tensor(z, device="cuda"), torch.tensor(labels, device="cuda"), y_kernel="delta") \
        == pytest.approx(mutual_information(z, labels, y_kernel="delta"), abs=1e-9)
    layers = [z * (i + 1) + rng.normal(size=z.shape) for i in range(3)]
    kw = dict(sampling=Sampling(n_samples=150, seeds=[0], permutations=2, scheme="random"), increments=True)
    a = layerwise_mi(layers, y, device="cpu", **kw)
    b = layerwise_mi(layers, y, device="cuda", **kw)
    assert b.mi.to_numpy() == pytest.approx(a.mi.to_numpy(), abs=1e-9)
    assert b.null_mean.to_numpy() == pytest.approx(a.null_mean.to_numpy(), abs=1e-9)


def test_entropy_of_unit_vectors_matches_log_n_at_orthogonality():
    # N orthonormal rows under the linear kernel: A = I/N, S = log2 N for every α.
    for alpha in (0.5, 1.0, 2.0):
        assert entropy(np.eye(8), kernel="linear", alpha=alpha) == pytest.approx(math.log2(8), abs=1e-12)
