"""Kernels, bandwidth rules and the trace-normalized Gram matrix of docs/method.md (steps 1-3).

All functions work on a single sample matrix ``(N, d)`` or a batch ``(B, N, d)``; the
leading batch dimension is carried through unchanged. Everything stays on the input's
device and dtype, so callers decide precision (float64 by default, see ``estimators``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch

from inforidge.core.registry import resolve
from inforidge.mi.bandwidth import RULE_FUNCTIONS, Bandwidth
from inforidge.mi.registry import KernelSpec, kernel_spec

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
    """Turn a (validated: :func:`~inforidge.mi.bandwidth.check_bandwidth`) bandwidth into a number
    for the (already preprocessed) data ``x`` (N, d): a number is returned as is, a rule name
    calls its function (:data:`~inforidge.mi.bandwidth.RULE_FUNCTIONS`). Both data-driven rules
    scale with the data, so estimates using them are invariant to a global rescaling of ``x``.
    """
    if not isinstance(sigma, str):
        return float(sigma)
    value = rule_function(sigma)(x)
    if not value > 0.0:
        raise ValueError(f"bandwidth rule {sigma!r} gave {value} (all rows identical?)")
    return value


@functools.cache
def rule_function(rule: str) -> Callable[[torch.Tensor], float]:
    """The function of bandwidth rule ``rule`` (imported once)."""
    return resolve(RULE_FUNCTIONS[rule])


def median_bandwidth(x: torch.Tensor) -> float:
    """The median pairwise Euclidean distance over distinct pairs i < j of the rows of ``x`` (N, d)."""
    n = x.shape[-2]
    iu = torch.triu_indices(n, n, offset=1, device=x.device)
    return float(squared_distances(x)[iu[0], iu[1]].sqrt().median())  # over N(N-1)/2 pairs


def silverman_bandwidth(x: torch.Tensor) -> float:
    """Silverman's rule of thumb for a d-dimensional Gaussian kernel, s̄ · (4 / ((d + 2) N)) ** (1 / (d + 4)),
    s̄ the mean per-dimension standard deviation of ``x`` (N, d)."""
    n, d = x.shape[-2], x.shape[-1]
    spread = float(x.std(dim=0, unbiased=True).mean())
    return spread * (4.0 / ((d + 2) * n)) ** (1.0 / (d + 4))


def gram(x: torch.Tensor, kernel: KernelSpec | str, sigma: float = 1.0) -> torch.Tensor:
    """Raw kernel Gram matrix K (..., N, N) of the rows of ``x`` (..., N, d).

    Calls the Gram function the kernel's registry entry names (the built-in ones below); a
    name is looked up in the registry (callers inside the estimator pass the spec).
    ``sigma`` must already be numeric (see :func:`resolve_sigma`); kernels without a bandwidth
    ignore it.
    """
    spec = kernel if isinstance(kernel, KernelSpec) else kernel_spec(kernel)
    return gram_function(spec)(x, sigma)


@functools.cache
def gram_function(kernel: KernelSpec) -> Callable[[torch.Tensor, float], torch.Tensor]:
    """The Gram function of registered kernel ``kernel`` (imported once)."""
    return resolve(kernel.gram)


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
