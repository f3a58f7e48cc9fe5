"""Hypothesis tests of the properties METHOD.md lists for the matrix-based Rényi functional."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inforidge.mi import entropy, mutual_information, mutual_information_terms

SETTINGS = settings(max_examples=12, deadline=None)
ALPHAS = st.sampled_from([0.5, 1.0, 2.0])
TOL = 1e-9


def invariance_tol(alpha: float) -> float:
    """How far round-off alone moves an estimate between two equivalent inputs, in bits.

    S_α for α < 1 sums λ^α, so an eigenvalue just above the round-off floor (N·eps·λ_max,
    ~1e-14 here) that LAPACK's backward error moves by ~1e-16 moves λ^α by ~1e-10 to 1e-9;
    over the spectrum that reaches ~1e-8. α >= 1 is insensitive to such eigenvalues.
    """
    return TOL if alpha >= 1 else 1e-7


@st.composite
def paired_samples(draw, max_n: int = 30):
    """(z, y): N×dz and N×dy Gaussian samples with a random linear dependence."""
    n = draw(st.integers(4, max_n))
    dz, dy = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    z = rng.normal(size=(n, dz))
    coupling = draw(st.floats(0.0, 2.0))
    y = coupling * z @ rng.normal(size=(dz, dy)) + rng.normal(size=(n, dy))
    return z, y


def random_rotation(d: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


@SETTINGS
@given(paired_samples(), ALPHAS, st.sampled_from(["gaussian", "laplacian", "polynomial", "linear"]))
def test_entropy_bounds(zy, alpha, kernel):
    z, _ = zy
    s = entropy(z, kernel=kernel, alpha=alpha)
    assert -TOL <= s <= math.log2(len(z)) + TOL


@SETTINGS
@given(paired_samples(), ALPHAS, st.floats(0.3, 3.0))
def test_joint_lower_bound_and_mi_upper_bound(zy, alpha, sigma):
    z, y = zy
    t = mutual_information_terms(z, y, alpha=alpha, sigma=sigma, normalize=None)
    assert max(t.h_z, t.h_y) - TOL <= t.h_joint
    assert t.mi <= min(t.h_z, t.h_y) + TOL


@SETTINGS
@given(paired_samples(), st.sampled_from([0.5, 1.0]), st.floats(0.3, 3.0))
def test_subadditivity_and_nonnegative_mi_for_alpha_at_most_one(zy, alpha, sigma):
    z, y = zy
    t = mutual_information_terms(z, y, alpha=alpha, sigma=sigma, normalize=None)
    assert t.h_joint <= t.h_z + t.h_y + TOL
    assert t.mi >= -TOL


def test_subadditivity_fails_at_alpha_two():
    """A counterexample hypothesis found: at α = 2 the joint can exceed S(A) + S(B), so I < 0.

    The estimator is right here (α = 1 on the same data is subadditive); the bound just
    does not hold for α = 2, which docs/mi.md states.
    """
    z = np.array([[0.12573022], [-0.13210486], [0.64042265], [0.10490012]])
    y = np.array([[0.36159505], [1.30400005], [0.94708096], [-0.70373524]])
    t2 = mutual_information_terms(z, y, alpha=2.0, sigma=1.0, normalize=None)
    assert t2.h_joint > t2.h_z + t2.h_y + 1e-3 and t2.mi < 0
    t1 = mutual_information_terms(z, y, alpha=1.0, sigma=1.0, normalize=None)
    assert t1.h_joint <= t1.h_z + t1.h_y + TOL


@SETTINGS
@given(paired_samples(), ALPHAS, st.sampled_from(["gaussian", "linear"]), st.integers(0, 1000))
def test_invariant_to_joint_permutation(zy, alpha, kernel, seed):
    z, y = zy
    perm = np.random.default_rng(seed).permutation(len(z))
    base = mutual_information(z, y, kernel=kernel, alpha=alpha)
    assert mutual_information(z[perm], y[perm], kernel=kernel, alpha=alpha) == pytest.approx(base, abs=invariance_tol(alpha))


@SETTINGS
@given(paired_samples(), ALPHAS, st.sampled_from(["gaussian", "linear"]), st.sampled_from(["l2", None]), st.integers(0, 1000))
def test_invariant_to_rotation(zy, alpha, kernel, normalize, seed):
    z, y = zy
    rng = np.random.default_rng(seed)
    qz, qy = random_rotation(z.shape[1], rng), random_rotation(y.shape[1], rng)
    base = mutual_information(z, y, kernel=kernel, alpha=alpha, normalize=normalize)
    rotated = mutual_information(z @ qz, y @ qy, kernel=kernel, alpha=alpha, normalize=normalize)
    assert rotated == pytest.approx(base, abs=invariance_tol(alpha))


@SETTINGS
@given(paired_samples(), ALPHAS, st.sampled_from(["gaussian", "laplacian"]), st.integers(0, 1000))
def test_invariant_to_translation(zy, alpha, kernel, seed):
    # Distance kernels only, and without ℓ2 normalization (which is not translation invariant).
    # The linear kernel depends on the origin, so it is not translation invariant either.
    z, y = zy
    rng = np.random.default_rng(seed)
    base = mutual_information(z, y, kernel=kernel, alpha=alpha, normalize=None)
    shifted = mutual_information(
        z + rng.normal(size=z.shape[1]) * 5, y + rng.normal(size=y.shape[1]) * 5,
        kernel=kernel, alpha=alpha, normalize=None,
    )
    assert shifted == pytest.approx(base, abs=invariance_tol(alpha))


@SETTINGS
@given(paired_samples(), ALPHAS, st.floats(0.1, 10.0), st.floats(0.3, 3.0))
def test_invariant_to_scaling_data_and_sigma(zy, alpha, scale, sigma):
    z, y = zy
    base = mutual_information(z, y, alpha=alpha, sigma=sigma, normalize=None)
    scaled = mutual_information(z * scale, y * scale, alpha=alpha, sigma=sigma * scale, normalize=None)
    assert scaled == pytest.approx(base, abs=max(1e-8, invariance_tol(alpha)))


@SETTINGS
@given(paired_samples(), ALPHAS, st.sampled_from(["median", "silverman"]), st.floats(0.1, 10.0))
def test_data_driven_bandwidth_is_scale_invariant(zy, alpha, rule, scale):
    z, y = zy
    base = mutual_information(z, y, alpha=alpha, sigma=rule, normalize=None)
    assert mutual_information(z * scale, y * scale, alpha=alpha, sigma=rule, normalize=None) == pytest.approx(base, abs=max(1e-8, invariance_tol(alpha)))


@SETTINGS
@given(paired_samples(), ALPHAS)
def test_small_sigma_gives_mi_equal_to_entropy_of_y(zy, alpha):
    # σ → 0: both Gram matrices tend to I/N, so S(A) = S(B) = S(A, B) = log N and I = S(B).
    z, y = zy
    t = mutual_information_terms(z, y, alpha=alpha, sigma=1e-6, normalize=None)
    assert t.mi == pytest.approx(t.h_y, abs=1e-9)
    assert t.h_y == pytest.approx(math.log2(len(z)), abs=1e-9)


@SETTINGS
@given(paired_samples(), ALPHAS)
def test_large_sigma_gives_zero_mi(zy, alpha):
    # The approach is slow for α < 1 (λ^α magnifies the O(1/σ²) eigenvalues), hence two checks.
    z, y = zy
    far = mutual_information(z, y, alpha=alpha, sigma=1e4, normalize=None)
    near = mutual_information(z, y, alpha=alpha, sigma=1e2, normalize=None)
    assert abs(far) <= abs(near) + 1e-12
    assert abs(far) < 1e-3


@SETTINGS
@given(st.integers(2, 8), st.integers(1, 6), ALPHAS, st.integers(0, 1000))
def test_balanced_classes_have_log_c_bits(c, per_class, alpha, seed):
    labels = np.random.default_rng(seed).permutation(np.repeat(np.arange(c), per_class))
    assert entropy(labels, kernel="delta", alpha=alpha) == pytest.approx(math.log2(c), abs=1e-12)


def test_identical_variables_give_mi_equal_entropy():
    z = np.random.default_rng(0).normal(size=(25, 3))
    t = mutual_information_terms(z, z, normalize=None)
    assert t.h_joint >= t.h_z
    assert 0 < t.mi <= t.h_z + 1e-12


def test_base_changes_units_only():
    z, y = np.random.default_rng(1).normal(size=(2, 30, 2))
    bits = mutual_information(z, y)
    nats = mutual_information(z, y, base=math.e)
    assert nats == pytest.approx(bits * math.log(2), rel=1e-12)
