"""Kernels, bandwidth rules and the trace-normalized Gram matrix of docs/method.md (steps 1-3).

All functions work on a single sample matrix ``(N, d)`` or a batch ``(B, N, d)``; the
leading batch dimension is carried through unchanged. Everything stays on the input's
device and dtype, so callers decide precision (float64 by default, see ``estimators``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import torch

from inforidge.mi.registry import kernel_spec
from inforidge.mi.settings import Bandwidth
from inforidge.registry import resolve

# Polynomial kernel (<a, b> + POLY_COEF0) ** POLY_DEGREE. Fixed rather than exposed: the
# pipeline only needs it as an alternative kernel, and unit-diagonal normalization makes
# an overall scale irrelevant anyway.
POLY_DEGREE = 2
POLY_COEF0 = 1.0


def l2_normalize_rows(x: torch.Tensor) -> torch.Tensor:
    """Scale every row of ``x`` (..., N, d) to unit Euclidean norm; zero rows stay zero."""
    norms = torch.linalg.vector_norm(x, dim=-1, keepdim=True)  # (..., N, 1)
    return x / norms.clamp_min(torch.finfo(x.dtype).tiny)


def squared_distances(x: torch.Tensor) -> torch.Tensor:
    """Pairwise squared Euclidean distances of the rows of ``x`` (..., N, d) -> (..., N, N).

    One matmul (``‖a‖² + ‖b‖² − 2<a, b>``) instead of ``cdist``: it is what makes batched
    Gram matrices cheap. Cancellation can leave tiny negatives, so the result is clamped
    at 0 and the diagonal set to exactly 0. Rows are centred first: distances do not change,
    but the cancellation error (relative to ‖a‖²) does, and it keeps estimates translation
    invariant to round-off.
    """
    x = x - x.mean(dim=-2, keepdim=True)  # (..., N, d)
    sq = (x * x).sum(dim=-1)  # (..., N)
    # In place on the fresh Gram product: each N×N temporary costs as much as the matmul.
    d2 = x @ x.transpose(-1, -2)  # (..., N, N)
    d2.mul_(-2.0).add_(sq.unsqueeze(-1)).add_(sq.unsqueeze(-2)).clamp_min_(0.0)
    d2.diagonal(dim1=-2, dim2=-1).zero_()
    return d2


def labels_of(y: torch.Tensor) -> torch.Tensor:
    """Integer class labels (N,) for a delta kernel: equal rows of ``y`` (N, d) share a label."""
    if y.ndim != 2:
        raise ValueError(f"delta-kernel input must be (N,) or (N, d), got shape {tuple(y.shape)}")
    _, inverse = torch.unique(y, dim=0, return_inverse=True)  # (N,)
    return inverse


def resolve_sigma(x: torch.Tensor, sigma: Bandwidth) -> float:
    """Turn a bandwidth spec into a number for the (already preprocessed) data ``x`` (N, d).

    - a positive float is returned unchanged;
    - ``"median"``: the median pairwise Euclidean distance over distinct pairs i < j;
    - ``"silverman"``: Silverman's rule of thumb for a d-dimensional Gaussian kernel,
      ``s̄ · (4 / ((d + 2) N)) ** (1 / (d + 4))`` with s̄ the mean per-dimension standard
      deviation.
    Both data-driven rules scale with the data, so estimates using them are invariant to a
    global rescaling of ``x``.
    """
    if isinstance(sigma, str):
        n, d = x.shape[-2], x.shape[-1]
        if sigma == "median":
            iu = torch.triu_indices(n, n, offset=1, device=x.device)
            dist = squared_distances(x)[iu[0], iu[1]].sqrt()  # (N(N-1)/2,)
            value = float(dist.median())
        elif sigma == "silverman":
            spread = float(x.std(dim=0, unbiased=True).mean())
            value = spread * (4.0 / ((d + 2) * n)) ** (1.0 / (d + 4))
        else:
            raise ValueError(f"unknown bandwidth rule {sigma!r}; expected a float, 'median' or 'silverman'")
        if not value > 0.0:
            raise ValueError(f"bandwidth rule {sigma!r} gave {value} (all rows identical?)")
        return value
    value = float(sigma)
    if not (value > 0.0 and math.isfinite(value)):
        raise ValueError(f"sigma must be a positive finite number, got {sigma!r}")
    return value


def gram(x: torch.Tensor, kernel: str, sigma: float = 1.0) -> torch.Tensor:
    """Raw kernel Gram matrix K (..., N, N) of the rows of ``x`` (..., N, d).

    Calls the Gram function the kernel's registry entry names (the built-in ones below).
    ``sigma`` must already be numeric (see :func:`resolve_sigma`); kernels without a bandwidth
    ignore it.
    """
    return gram_function(kernel)(x, sigma)


@functools.cache
def gram_function(kernel: str) -> Callable[[torch.Tensor, float], torch.Tensor]:
    """The Gram function of registered kernel ``kernel`` (imported once)."""
    return resolve(kernel_spec(kernel).gram)


def gram_gaussian(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """exp(−‖a−b‖²/(2σ²))."""
    return squared_distances(x).div_(-2.0 * sigma * sigma).exp_()


def gram_laplacian(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """exp(−‖a−b‖/σ)."""
    return squared_distances(x).sqrt_().div_(-sigma).exp_()


def gram_polynomial(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """(<a,b> + 1)²."""
    return (x @ x.transpose(-1, -2) + POLY_COEF0) ** POLY_DEGREE


def gram_linear(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """<a,b>."""
    return x @ x.transpose(-1, -2)


def gram_delta(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """1[a == b], whole rows compared (class labels)."""
    if x.ndim != 2:
        raise ValueError("the delta kernel takes a single (N, d) matrix, not a batch")
    labels = labels_of(x)  # (N,)
    return (labels.unsqueeze(0) == labels.unsqueeze(1)).to(x.dtype)


def unit_trace(k: torch.Tensor) -> torch.Tensor:
    """Unit-diagonal trace normalization A_ij = K_ij / (N·sqrt(K_ii·K_jj)), so tr(A) = 1.

    ``k`` is (..., N, N). A kernel with a non-positive diagonal entry (e.g. a zero row under
    the linear kernel) has no such normalization and raises ``ValueError``.
    """
    n = k.shape[-1]
    diag = k.diagonal(dim1=-2, dim2=-1)  # (..., N)
    if not bool((diag > 0).all()):
        raise ValueError("kernel matrix has a non-positive diagonal entry (a zero row with a linear/polynomial kernel?)")
    inv = diag.rsqrt()  # (..., N)
    return (k * inv.unsqueeze(-1)).mul_(inv.unsqueeze(-2)).div_(n)
