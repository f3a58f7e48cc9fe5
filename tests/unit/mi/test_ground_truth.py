"""The estimator against the closed-form Gaussian population value (see gaussian_truth.py, docs/mi.md)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from inforidge.mi import kernels, spectra
from inforidge.mi.estimators import _sides, joint_spectrum
from inforidge.mi.gaussian_truth import gaussian_mi, mehler_ratio
from inforidge.mi.settings import EstimatorSettings

COV_1D = np.array([[1.0, 0.8], [0.8, 1.0]])  # Z, Y scalar, correlation 0.8
COV_2D = np.array([  # Z, Y in R², a generic correlation structure
    [1.0, 0.3, 0.6, 0.2],
    [0.3, 1.0, 0.1, 0.5],
    [0.6, 0.1, 1.0, 0.2],
    [0.2, 0.5, 0.2, 1.0],
])


def estimates(cov: np.ndarray, dz: int, n: int, seed: int, sigma: float, alphas: list[float]) -> list[float]:
    """Estimated I for each α from one sample of size ``n`` (the three spectra computed once)."""
    x = np.random.default_rng(seed).multivariate_normal(np.zeros(len(cov)), cov, size=n)
    a, b = _sides(x[:, :dz], x[:, dz:], EstimatorSettings(sigma=sigma, normalize=None), ("z", "y"))
    joint = joint_spectrum(a, b, torch.float64)
    return [
        float(spectra.renyi_entropy(a.eigenvalues, al) + spectra.renyi_entropy(b.eigenvalues, al)
              - spectra.renyi_entropy(joint, al))
        for al in alphas
    ]


@pytest.mark.parametrize(("s2", "sigma"), [(1.0, 1.0), (2.0, 0.7), (0.5, 2.0)])
def test_mehler_spectrum_matches_large_n_gram_spectrum(s2, sigma):
    x = torch.tensor(np.random.default_rng(0).normal(size=(800, 1)) * np.sqrt(s2))
    lam = torch.linalg.eigvalsh(kernels.unit_trace(kernels.gram(x, "gaussian", sigma))).flip(0)[:4].numpy()
    b = mehler_ratio(s2, sigma)
    assert lam == pytest.approx([(1 - b) * b**k for k in range(4)], abs=0.02)


@pytest.mark.parametrize(("cov", "dz", "sigma", "tol"), [(COV_1D, 1, 2.0, 0.03), (COV_2D, 2, 2.0, 0.05)])
def test_estimate_is_close_to_population_value(cov, dz, sigma, tol):
    alphas = [1.0, 2.0]
    truth = [gaussian_mi(cov, dz, sigma, al) for al in alphas]
    est = np.mean([estimates(cov, dz, 600, seed, sigma, alphas) for seed in range(2)], axis=0)
    assert np.abs(est - truth).max() < tol


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("INFORIDGE_SLOW_TESTS"), reason="set INFORIDGE_SLOW_TESTS=1 (N = 4000 spectra)")
@pytest.mark.parametrize(("cov", "dz"), [(COV_1D, 1), (COV_2D, 2)])
def test_error_shrinks_as_n_grows(cov, dz):
    alphas, sigma = [1.0, 2.0], 1.0
    truth = np.array([gaussian_mi(cov, dz, sigma, al) for al in alphas])
    errors = []
    for n in (250, 1000, 4000):
        seeds = range(6 if n < 4000 else 2)
        est = np.mean([estimates(cov, dz, n, seed, sigma, alphas) for seed in seeds], axis=0)
        errors.append(np.abs(est - truth))
    errors = np.array(errors)  # (3 sizes, 2 alphas)
    assert (errors[2] < errors[0]).all()
    assert (errors[2] < 0.08).all()
