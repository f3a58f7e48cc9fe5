"""Spectra of trace-normalized Gram matrices and the matrix-based Rényi α-entropy (docs/method.md, steps 4-5).

The three ways to get a spectrum, cheapest first:

- :func:`block_spectrum`: a Gram matrix that is block diagonal by class (a Hadamard product
  with a delta kernel) -> the union of the per-class block spectra;
- :func:`linear_spectrum`: a linear-kernel Gram matrix ``X Xᵀ / N`` with d < N -> the d×d
  matrix ``Xᵀ X / N``, whose nonzero eigenvalues are the same;
- :func:`spectrum`: dense ``eigvalsh`` (eigenvalues only; never eigenvectors), by the solver
  :mod:`inforidge.mi.eigensolver` picks for the device and size.

Integer α ≥ 2 needs no spectrum at all: :func:`trace_entropy` computes
S_α(A) = log tr(A^α) / (1 − α) from the matrix (α = 2: tr(A²) = Σᵢⱼ A²ᵢⱼ, O(N²)).
"""

from __future__ import annotations

import math

import torch

from inforidge.mi.eigensolver import eigvalsh


def spectrum(a: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Eigenvalues (..., N) of the symmetric matrix (or batch) ``a`` (..., N, N), in ``dtype``."""
    return eigvalsh(a.to(dtype))


def linear_spectrum(x: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Spectrum of the trace-normalized linear-kernel Gram matrix of ``x`` (..., N, d).

    With a linear kernel, unit-diagonal normalization gives A = X̂ X̂ᵀ / N with unit-norm rows
    X̂. When d < N the nonzero eigenvalues of X̂ X̂ᵀ equal those of X̂ᵀ X̂ (d×d), so only a
    d×d problem is solved; the N − d missing zeros contribute nothing to any S_α (α > 0).
    Rows must be nonzero (zero rows have no unit-diagonal normalization).
    """
    n, d = x.shape[-2], x.shape[-1]
    norms = torch.linalg.vector_norm(x, dim=-1, keepdim=True)  # (..., N, 1)
    if not bool((norms > 0).all()):
        raise ValueError("the linear kernel is undefined after unit-diagonal normalization for a zero row")
    xh = (x / norms).to(dtype)  # (..., N, d), unit rows
    if d < n:
        return spectrum(xh.transpose(-1, -2) @ xh / n, dtype)  # (..., d)
    return spectrum(xh @ xh.transpose(-1, -2) / n, dtype)  # (..., N)


def block_spectrum(a: torch.Tensor, labels: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Spectrum (..., N) of A∘B / tr(A∘B) when B is a (trace-normalized) delta kernel on ``labels``.

    B_ij = 1[y_i = y_j] / N, so after sorting by class A∘B is block diagonal and
    A∘B / tr(A∘B) = N·A∘B has the class blocks A[c, c] of ``a`` (..., N, N) (tr(A) = 1 makes
    the trace of A∘B exactly 1/N). Its spectrum is the union of the block spectra: C small
    eigenproblems instead of one N×N one. Blocks of equal size are solved as one batch.
    """
    order = torch.argsort(labels, stable=True)  # (N,)
    _, counts = torch.unique_consecutive(labels[order], return_counts=True)  # (C,)
    starts = torch.cumsum(counts, 0) - counts  # (C,)
    by_size: dict[int, list[int]] = {}
    for start, size in zip(starts.tolist(), counts.tolist()):
        by_size.setdefault(size, []).append(start)
    batch = a.shape[:-2]
    parts = []
    for size, block_starts in by_size.items():
        # (C_s, size): sample indices of every class of this size, gathered as one batch.
        first = torch.tensor(block_starts, device=a.device).unsqueeze(1)
        idx = order[first + torch.arange(size, device=a.device)]
        blocks = a[..., idx.unsqueeze(-1), idx.unsqueeze(-2)]  # (..., C_s, size, size)
        parts.append(spectrum(blocks, dtype).reshape(*batch, -1))
    return torch.cat(parts, dim=-1)  # (..., N)


def class_spectrum(labels: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Nonzero spectrum (C,) of the trace-normalized delta-kernel Gram matrix: the class proportions.

    Each class block of size n_c is J / N (all ones), with the single nonzero eigenvalue n_c / N.
    """
    _, counts = torch.unique(labels, return_counts=True)  # (C,)
    return counts.to(dtype) / labels.numel()


def renyi_entropy(eigenvalues: torch.Tensor, alpha: float = 1.0, base: float = 2.0) -> torch.Tensor:
    """Rényi α-entropy of spectra ``eigenvalues`` (..., N) -> (...), in units of log ``base``.

    Round-off leaves tiny eigenvalues of either sign where a PSD matrix has zeros: everything
    below the round-off floor N·eps·λ_max is set to 0 (negatives included) and each spectrum
    renormalized to sum 1 before use. Without the floor, α < 1 would turn 1e-17 noise into
    visible entropy (λ^α ≫ λ). α = 1 is the von Neumann entropy −Σ λ log λ
    (with 0 log 0 = 0), computed explicitly; any other α > 0 uses 1/(1−α) · log Σ λ^α.
    """
    if not (alpha > 0 and math.isfinite(alpha)):
        raise ValueError(f"alpha must be a positive finite number, got {alpha!r}")
    if not (base > 0 and base != 1 and math.isfinite(base)):
        raise ValueError(f"base must be positive, finite and != 1, got {base!r}")
    floor = eigenvalues.shape[-1] * torch.finfo(eigenvalues.dtype).eps * eigenvalues.amax(dim=-1, keepdim=True)
    lam = torch.where(eigenvalues > floor, eigenvalues, torch.zeros_like(eigenvalues))
    lam = lam / lam.sum(dim=-1, keepdim=True)
    if alpha == 1.0:
        # xlogy gives exactly 0 at λ = 0, where λ·log λ would be NaN.
        nats = -torch.special.xlogy(lam, lam).sum(dim=-1)
    else:
        nats = torch.log((lam**alpha).sum(dim=-1)) / (1.0 - alpha)
    return nats / math.log(base)


def trace_entropy(a: torch.Tensor, alpha: int, base: float = 2.0) -> torch.Tensor:
    """Rényi α-entropy (...) of trace-1 symmetric PSD matrices ``a`` (..., N, N) for integer α ≥ 2.

    S_α(A) = log tr(A^α) / (1 − α), exact (Σ λ^α = tr(A^α)) without eigenvalues. α = 2 is the
    squared Frobenius norm Σᵢⱼ A²ᵢⱼ (A symmetric), O(N²); larger α use matrix powers
    (⌈log₂ α⌉ + popcount matmuls, O(N³) but far cheaper than ``eigvalsh``). ``a`` must have
    unit trace (every Gram matrix and joint here does).
    """
    if not (isinstance(alpha, int) and alpha >= 2):
        raise ValueError(f"trace_entropy needs an integer alpha >= 2, got {alpha!r}")
    if alpha == 2:
        power_sum = torch.linalg.matrix_norm(a) ** 2  # (...,), Frobenius: no N×N temporary
    else:
        power_sum = torch.linalg.matrix_power(a, alpha).diagonal(dim1=-2, dim2=-1).sum(dim=-1)  # (...,)
    return torch.log(power_sum) / ((1.0 - alpha) * math.log(base))
