"""Closed-form population value of the matrix-based Rényi functional for Gaussian data.

For x ~ N(0, s²) and the kernel exp(−(x−x')²/(2σ²)), the integral operator
(Tf)(x) = ∫ k(x, x') f(x') p(x') dx' has Mehler eigenvalues λ_k = (1 − B) B^k, k = 0, 1, ...
(already summing to 1 = ∫ k(x, x) p(x) dx), with

    B = 2s² / (σ² + 2s² + σ·sqrt(σ² + 4s²))

(Rasmussen & Williams 2006, §4.3.1, with a = 1/(4s²), b = 1/(2σ²): B = b / (a + b + sqrt(a² + 2ab))).
For x ~ N(0, Σ) the Gaussian kernel is rotation invariant, so in Σ's eigenbasis the kernel
and the density factorize: the spectrum is the tensor product of the 1-D spectra and S_α is
the sum of the 1-D entropies over Σ's eigenvalues. The Hadamard product of Gaussian Gram
matrices of Z and Y with one σ is the Gaussian Gram matrix of (Z, Y), so the joint entropy
is the same sum over the eigenvalues of the joint covariance.
"""

from __future__ import annotations

import math

import numpy as np


def mehler_ratio(s2: float, sigma: float) -> float:
    """The geometric ratio B of the normalized operator spectrum for variance ``s2``."""
    return 2 * s2 / (sigma**2 + 2 * s2 + sigma * math.sqrt(sigma**2 + 4 * s2))


def entropy_1d(s2: float, sigma: float, alpha: float, base: float = 2.0) -> float:
    """S_α of the geometric spectrum (1 − B) B^k, in log-``base`` units."""
    b = mehler_ratio(s2, sigma)
    if alpha == 1.0:
        nats = -math.log(1 - b) - b / (1 - b) * math.log(b)
    else:
        nats = math.log((1 - b) ** alpha / (1 - b**alpha)) / (1 - alpha)
    return nats / math.log(base)


def gaussian_entropy(cov: np.ndarray, sigma: float, alpha: float, base: float = 2.0) -> float:
    """Population S_α for N(0, ``cov``): the sum of 1-D entropies over the eigenvalues of ``cov``."""
    return sum(entropy_1d(float(v), sigma, alpha, base) for v in np.linalg.eigvalsh(cov))


def gaussian_mi(cov: np.ndarray, dz: int, sigma: float, alpha: float, base: float = 2.0) -> float:
    """Population I(Z; Y) for (Z, Y) ~ N(0, ``cov``) with Z the first ``dz`` coordinates."""
    return (
        gaussian_entropy(cov[:dz, :dz], sigma, alpha, base)
        + gaussian_entropy(cov[dz:, dz:], sigma, alpha, base)
        - gaussian_entropy(cov, sigma, alpha, base)
    )
