"""Matrix-based Rényi entropy, mutual information and its permutation null (docs/method.md).

I(Z; Y) = S(A) + S(B) − S(A∘B / tr(A∘B)), with A, B the unit-diagonal trace-normalized Gram
matrices of Z and Y. Inputs are N×d numpy arrays or torch tensors (a 1-D input is one
column); computation happens in torch on the device of the first argument.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np
import torch

from inforidge.mi import kernels as K
from inforidge.mi import spectra

ArrayLike = Union[np.ndarray, torch.Tensor]


def _writable(array: np.ndarray) -> np.ndarray:
    # Activation stores are read-only memory maps; torch refuses to share such buffers.
    return array if array.flags.writeable else array.copy()


def as_samples(x: Any, name: str, device: Optional[Union[str, torch.device]] = None) -> torch.Tensor:
    """Convert ``x`` to a torch sample matrix (N, d) on ``device`` (default: where it is).

    A 1-D input becomes one column. Raises ``ValueError`` naming ``name`` for NaN/Inf values,
    fewer than two samples or more than two dimensions.
    """
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(_writable(np.asarray(x)))
    if device is not None:
        t = t.to(device)
    if t.ndim == 1:
        t = t.unsqueeze(1)
    if t.ndim != 2:
        raise ValueError(f"{name} must be an (N, d) array, got shape {tuple(t.shape)}")
    if t.shape[0] < 2:
        raise ValueError(f"{name} needs at least 2 samples, got N = {t.shape[0]}")
    if (t.is_floating_point() or t.is_complex()) and not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} contains NaN or Inf values")
    return t


def check_same_n(*named: tuple[str, torch.Tensor]) -> None:
    """Raise ``ValueError`` unless all the named sample matrices have the same number of rows."""
    sizes = {name: t.shape[0] for name, t in named}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"sample counts differ: {sizes}")


def check_normalize(normalize: Optional[str]) -> None:
    """Raise ``ValueError`` unless ``normalize`` is ``"l2"`` or ``None``."""
    if normalize not in ("l2", None):
        raise ValueError(f"normalize must be 'l2' or None, got {normalize!r}")


@dataclass(frozen=True)
class Side:
    """One variable ready for the estimator.

    Exactly one of ``gram`` (..., N, N) — the trace-normalized Gram matrix — and ``labels``
    (N,) — class labels for a delta kernel — is set. ``eigenvalues`` (..., M) is its spectrum
    (M = N, d for the linear d×d path, or C class proportions).
    """

    gram: Optional[torch.Tensor]
    labels: Optional[torch.Tensor]
    eigenvalues: torch.Tensor


def prepare(x: torch.Tensor, kernel: str, normalize: Optional[str], dtype: torch.dtype) -> torch.Tensor:
    """Preprocess samples (..., N, d): cast to ``dtype`` and ℓ2-normalize rows if asked.

    Delta-kernel inputs are labels, so they are left untouched.
    """
    check_normalize(normalize)
    if kernel == "delta":
        return x
    x = x.to(dtype)
    return K.l2_normalize_rows(x) if normalize == "l2" else x


def make_side(
    x: torch.Tensor,
    kernel: str,
    sigma: Union[float, torch.Tensor],
    dtype: torch.dtype,
    need_gram: bool = True,
) -> Side:
    """Gram matrix and spectrum of preprocessed samples ``x`` (..., N, d).

    ``sigma`` is numeric (a float, or a (B, 1, 1) tensor for a batch). With the linear kernel
    and d < N the spectrum comes from the d×d path; ``need_gram=False`` then skips the N×N
    matrix entirely (an entropy alone does not need it).
    """
    K.check_kernel(kernel)
    if kernel == "delta":
        labels = K.labels_of(x)
        return Side(None, labels, spectra.class_spectrum(labels, dtype))
    if kernel == "linear" and x.shape[-1] < x.shape[-2]:
        a = K.unit_trace(K.gram(x, kernel)) if need_gram else None
        return Side(a, None, spectra.linear_spectrum(x, dtype))
    a = K.unit_trace(K.gram(x, kernel, sigma))  # (..., N, N)
    return Side(a, None, spectra.spectrum(a, dtype))


def permuted(side: Side, perm: torch.Tensor) -> Side:
    """``side`` with its samples reordered by ``perm`` (N,): rows and columns of the Gram matrix.

    Spectra are permutation invariant, so only the Gram matrix / labels change.
    """
    if side.labels is not None:
        return Side(None, side.labels[perm], side.eigenvalues)
    assert side.gram is not None
    return Side(side.gram[..., perm, :][..., :, perm], None, side.eigenvalues)


def joint_spectrum(a: Side, b: Side, dtype: torch.dtype) -> torch.Tensor:
    """Spectrum of A∘B / tr(A∘B) for two sides of the same N (``a`` may be a batch).

    A delta kernel on either side makes the product block diagonal by class, solved blockwise
    (see :func:`spectra.block_spectrum`); two delta kernels give the pair-class proportions.
    """
    if a.labels is not None and b.labels is not None:
        pairs = torch.stack([a.labels, b.labels], dim=1)  # (N, 2)
        return spectra.class_spectrum(K.labels_of(pairs), dtype)
    if b.labels is not None:
        assert a.gram is not None
        return spectra.block_spectrum(a.gram, b.labels, dtype)
    if a.labels is not None:
        assert b.gram is not None
        return spectra.block_spectrum(b.gram, a.labels, dtype)
    assert a.gram is not None and b.gram is not None
    h = a.gram * b.gram  # (..., N, N)
    trace = h.diagonal(dim1=-2, dim2=-1).sum(dim=-1)  # (...,)
    return spectra.spectrum(h.div_(trace[..., None, None]), dtype)


def side_of(
    x: ArrayLike,
    name: str,
    *,
    kernel: str,
    sigma: K.Bandwidth,
    normalize: Optional[str],
    dtype: torch.dtype,
    device: Optional[Union[str, torch.device]] = None,
    need_gram: bool = True,
) -> tuple[torch.Tensor, Side]:
    """Validate, preprocess and build the :class:`Side` of one input; returns (samples, side)."""
    K.check_kernel(kernel)
    t = prepare(as_samples(x, name, device), kernel, normalize, dtype)
    s = K.resolve_sigma(t, sigma) if kernel in K.BANDWIDTH_KERNELS else 1.0
    return t, make_side(t, kernel, s, dtype, need_gram)


def entropy(
    x: ArrayLike,
    *,
    kernel: str = "gaussian",
    sigma: K.Bandwidth = 1.0,
    alpha: float = 1.0,
    normalize: Optional[str] = "l2",
    base: float = 2.0,
    dtype: torch.dtype = torch.float64,
    name: str = "x",
) -> float:
    """Matrix-based Rényi α-entropy S_α(A) of the samples ``x`` (N, d), in log-``base`` units.

    ``sigma`` is a bandwidth (gaussian/laplacian kernels) or ``"median"`` / ``"silverman"``;
    ``normalize="l2"`` normalizes rows first (ignored for the delta kernel); ``dtype`` is
    the precision of Gram matrices and spectra. ``name`` is used in error messages.
    """
    _, side = side_of(x, name, kernel=kernel, sigma=sigma, normalize=normalize, dtype=dtype, need_gram=False)
    return float(spectra.renyi_entropy(side.eigenvalues, alpha, base))


@dataclass(frozen=True)
class MITerms:
    """I = h_z + h_y − h_joint, all in log-``base`` units."""

    h_z: float
    h_y: float
    h_joint: float

    @property
    def mi(self) -> float:
        """The mutual information S(A) + S(B) − S(A, B)."""
        return self.h_z + self.h_y - self.h_joint


def _sides(
    z: ArrayLike,
    y: ArrayLike,
    kernel: str,
    sigma: K.Bandwidth,
    normalize: Optional[str],
    y_kernel: Optional[str],
    dtype: torch.dtype,
    names: tuple[str, str],
) -> tuple[Side, Side]:
    zt = as_samples(z, names[0])
    yt = as_samples(y, names[1], zt.device)
    check_same_n((names[0], zt), (names[1], yt))
    _, a = side_of(zt, names[0], kernel=kernel, sigma=sigma, normalize=normalize, dtype=dtype)
    yk = kernel if y_kernel is None else y_kernel
    _, b = side_of(yt, names[1], kernel=yk, sigma=sigma, normalize=normalize, dtype=dtype)
    return a, b


def mutual_information_terms(
    z: ArrayLike,
    y: ArrayLike,
    *,
    kernel: str = "gaussian",
    sigma: K.Bandwidth = 1.0,
    alpha: float = 1.0,
    normalize: Optional[str] = "l2",
    base: float = 2.0,
    y_kernel: Optional[str] = None,
    dtype: torch.dtype = torch.float64,
    names: tuple[str, str] = ("z", "y"),
) -> MITerms:
    """The three entropies behind :func:`mutual_information` (same arguments)."""
    a, b = _sides(z, y, kernel, sigma, normalize, y_kernel, dtype, names)
    joint = joint_spectrum(a, b, dtype)
    return MITerms(
        h_z=float(spectra.renyi_entropy(a.eigenvalues, alpha, base)),
        h_y=float(spectra.renyi_entropy(b.eigenvalues, alpha, base)),
        h_joint=float(spectra.renyi_entropy(joint, alpha, base)),
    )


def mutual_information(
    z: ArrayLike,
    y: ArrayLike,
    *,
    kernel: str = "gaussian",
    sigma: K.Bandwidth = 1.0,
    alpha: float = 1.0,
    normalize: Optional[str] = "l2",
    base: float = 2.0,
    y_kernel: Optional[str] = None,
    dtype: torch.dtype = torch.float64,
    names: tuple[str, str] = ("z", "y"),
) -> float:
    """Matrix-based Rényi α mutual information I(Z; Y) between samples ``z`` (N, d) and ``y`` (N, d_y).

    ``kernel``/``sigma``/``normalize`` apply to both sides; ``y_kernel`` overrides the kernel
    of Y (e.g. ``"delta"`` for integer labels, where ``y`` may be a length-N vector). Bits by
    default (``base=2``). ``names`` label the inputs in error messages.
    """
    terms = mutual_information_terms(
        z, y, kernel=kernel, sigma=sigma, alpha=alpha, normalize=normalize, base=base,
        y_kernel=y_kernel, dtype=dtype, names=names,
    )
    return terms.mi


@dataclass(frozen=True)
class NullCorrectedMI:
    """Raw MI, the mean and spread (ddof=1; NaN for one shuffle) of its permutation null, and raw − null_mean."""

    raw: float
    null_mean: float
    null_std: float
    corrected: float


def null_summary(raw: float, null: torch.Tensor) -> NullCorrectedMI:
    """Summarize null MI values ``null`` (P,) against the raw estimate."""
    values = null.double().cpu().numpy()
    mean = float(values.mean())
    std = float(values.std(ddof=1)) if values.size > 1 else math.nan
    return NullCorrectedMI(raw=raw, null_mean=mean, null_std=std, corrected=raw - mean)


def permutation_null(
    z: ArrayLike,
    y: ArrayLike,
    *,
    permutations: int = 20,
    seed: int = 0,
    kernel: str = "gaussian",
    sigma: K.Bandwidth = 1.0,
    alpha: float = 1.0,
    normalize: Optional[str] = "l2",
    base: float = 2.0,
    y_kernel: Optional[str] = None,
    dtype: torch.dtype = torch.float64,
    names: tuple[str, str] = ("z", "y"),
) -> NullCorrectedMI:
    """Raw I(Z; Y) and its permutation null: I over ``permutations`` random shufflings of Y against Z.

    Shuffles are ``numpy.random.default_rng(seed).permutation(N)``. The Gram matrices are
    built once: a shuffle permutes the rows and columns of B, and since S(A) and S(B) are
    permutation invariant only the joint spectrum is recomputed per shuffle. Other options as
    in :func:`mutual_information`.
    """
    if permutations < 1:
        raise ValueError(f"permutations must be >= 1, got {permutations}")
    a, b = _sides(z, y, kernel, sigma, normalize, y_kernel, dtype, names)
    h_z = spectra.renyi_entropy(a.eigenvalues, alpha, base)
    h_y = spectra.renyi_entropy(b.eigenvalues, alpha, base)
    raw = float(h_z + h_y - spectra.renyi_entropy(joint_spectrum(a, b, dtype), alpha, base))
    rng = np.random.default_rng(seed)
    n = a.labels.numel() if a.labels is not None else a.gram.shape[-1]  # type: ignore[union-attr]
    null = []
    for _ in range(permutations):
        perm = torch.as_tensor(rng.permutation(n), device=b.eigenvalues.device)
        joint = joint_spectrum(a, permuted(b, perm), dtype)
        null.append(h_z + h_y - spectra.renyi_entropy(joint, alpha, base))
    return null_summary(raw, torch.stack(null))
