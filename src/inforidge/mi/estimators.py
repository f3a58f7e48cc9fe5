"""Matrix-based Rényi entropy, mutual information and its permutation test (docs/method.md).

I(Z; Y) = S(A) + S(B) − S(A∘B / tr(A∘B)), with A, B the unit-diagonal trace-normalized Gram
matrices of Z and Y. Inputs are N×d numpy arrays or torch tensors (a 1-D input is one
column); computation happens in torch on the device of the first argument. Every function
takes one :class:`~inforidge.mi.settings.EstimatorSettings` (``settings=``); keyword
overrides of its fields (``kernel="linear"``) build one from the defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np
import torch

from inforidge.mi import kernels as K
from inforidge.mi import spectra
from inforidge.mi.geometry import whiten_rows
from inforidge.mi.registry import KernelSpec
from inforidge.mi.settings import EstimatorSettings, settings_of

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


@dataclass(frozen=True)
class Side:
    """One variable ready for the estimator.

    Exactly one of ``gram`` (..., N, N) — the trace-normalized Gram matrix — and ``labels``
    (N,) — class labels for a delta kernel — is set (``gram`` may also be None for a linear
    kernel whose entropy alone was asked). ``eigenvalues`` (..., M) is its spectrum (M = N,
    d for the linear d×d path, or C class proportions); None when the trace path (integer
    α ≥ 2) makes it unnecessary.
    """

    gram: Optional[torch.Tensor]
    labels: Optional[torch.Tensor]
    eigenvalues: Optional[torch.Tensor]


def prepare(x: torch.Tensor, kernel: KernelSpec, settings: EstimatorSettings) -> torch.Tensor:
    """Preprocess samples (..., N, d) for ``kernel``: cast to the dtype, then ``settings.normalize``.

    ``l2`` (the paper's): unit-norm rows; ``whiten``: centred, PCA-whitened rows
    (:func:`~inforidge.mi.geometry.whiten_rows`, invariant to invertible affine maps);
    None: as given. Label-kernel (delta) inputs are labels, so they are left untouched.
    """
    if kernel.labels:
        return x
    x = x.to(settings.dtype)
    if settings.normalize == "l2":
        return K.l2_normalize_rows(x)
    return whiten_rows(x) if settings.normalize == "whiten" else x


def bandwidth(x: torch.Tensor, kernel: KernelSpec, settings: EstimatorSettings) -> Union[float, torch.Tensor]:
    """Numeric σ for preprocessed ``x``: a float for (N, d), a (B, 1, 1) tensor for a batch (B, N, d).

    Kernels without a bandwidth get 1.0 (ignored). Rules (median, silverman) are resolved per matrix.
    """
    if not kernel.bandwidth:
        return 1.0
    if x.ndim == 2:
        return K.resolve_sigma(x, settings.sigma)
    values = [K.resolve_sigma(xi, settings.sigma) for xi in x]
    return torch.tensor(values, device=x.device, dtype=x.dtype).view(-1, 1, 1)


def make_side(x: torch.Tensor, kernel: KernelSpec, settings: EstimatorSettings, need_gram: bool = True) -> Side:
    """Gram matrix and (when needed) spectrum of preprocessed samples ``x`` (..., N, d).

    For a kernel whose rows are their own feature map (``KernelSpec.feature_map``: linear) and
    d < N the spectrum comes from the d×d path; ``need_gram=False``
    then skips the N×N matrix entirely (an entropy alone does not need it). With integer
    α ≥ 2 no spectrum is computed: entropies come from traces (:func:`side_entropy`).
    """
    dtype = settings.dtype
    if kernel.labels:
        labels = K.labels_of(x)
        return Side(None, labels, spectra.class_spectrum(labels, dtype))
    if kernel.feature_map and x.shape[-1] < x.shape[-2] and (not need_gram or settings.exact_alpha is None):
        a = K.unit_trace(K.gram(x, kernel)) if need_gram else None
        return Side(a, None, spectra.linear_spectrum(x, dtype))
    a = K.unit_trace(K.gram(x, kernel, bandwidth(x, kernel, settings)))  # (..., N, N)
    values = spectra.spectrum(a, dtype) if settings.exact_alpha is None else None
    return Side(a, None, values)


def side_entropy(side: Side, settings: EstimatorSettings) -> torch.Tensor:
    """S_α of one side (...), in log-``base`` units: trace path for integer α ≥ 2, else its spectrum."""
    if side.eigenvalues is None:
        assert side.gram is not None and settings.exact_alpha is not None
        return spectra.trace_entropy(side.gram, settings.exact_alpha, settings.base)
    return spectra.renyi_entropy(side.eigenvalues, settings.alpha, settings.base)


def permuted(side: Side, perm: torch.Tensor) -> Side:
    """``side`` with its samples reordered by ``perm`` (N,): rows and columns of the Gram matrix.

    Spectra are permutation invariant, so only the Gram matrix / labels change.
    """
    if side.labels is not None:
        return Side(None, side.labels[perm], side.eigenvalues)
    assert side.gram is not None
    return Side(side.gram[..., perm, :][..., :, perm], None, side.eigenvalues)


def _joint_matrix(a: Side, b: Side) -> torch.Tensor:
    """A∘B / tr(A∘B) (..., N, N) for two sides with at most one label side."""
    if b.labels is not None or a.labels is not None:
        dense, labels = (a, b) if b.labels is not None else (b, a)
        assert dense.gram is not None and labels.labels is not None
        same = labels.labels.unsqueeze(0) == labels.labels.unsqueeze(1)  # (N, N)
        # tr(A) = 1 makes tr(A∘B) = 1/N for B = 1[y_i = y_j]/N: the normalized product is A∘1[·].
        h = dense.gram * same.to(dense.gram.dtype)
        return h / h.diagonal(dim1=-2, dim2=-1).sum(dim=-1)[..., None, None]
    assert a.gram is not None and b.gram is not None
    h = a.gram * b.gram  # (..., N, N)
    return h.div_(h.diagonal(dim1=-2, dim2=-1).sum(dim=-1)[..., None, None])


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
    return spectra.spectrum(_joint_matrix(a, b), dtype)


def joint_entropy(a: Side, b: Side, settings: EstimatorSettings) -> torch.Tensor:
    """S_α(A∘B / tr(A∘B)) (...): the trace path for integer α ≥ 2, else the joint spectrum."""
    if settings.exact_alpha is not None and not (a.labels is not None and b.labels is not None):
        return spectra.trace_entropy(_joint_matrix(a, b), settings.exact_alpha, settings.base)
    return spectra.renyi_entropy(joint_spectrum(a, b, settings.dtype), settings.alpha, settings.base)


def side_of(
    x: ArrayLike,
    name: str,
    kernel: KernelSpec,
    settings: EstimatorSettings,
    device: Optional[Union[str, torch.device]] = None,
    need_gram: bool = True,
) -> tuple[torch.Tensor, Side]:
    """Validate, preprocess and build the :class:`Side` of one input; returns (samples, side)."""
    t = prepare(as_samples(x, name, device), kernel, settings)
    return t, make_side(t, kernel, settings, need_gram)


def entropy(x: ArrayLike, settings: Optional[EstimatorSettings] = None, *, name: str = "x", **overrides: Any) -> float:
    """Matrix-based Rényi α-entropy S_α(A) of the samples ``x`` (N, d), in log-``base`` units.

    ``settings`` (or keyword overrides of its fields) chooses kernel, σ, α, normalization,
    base and dtype. ``name`` is used in error messages.
    """
    s = settings_of(settings, overrides)
    _, side = side_of(x, name, s.z_kernel, s, need_gram=False)
    return float(side_entropy(side, s))


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


def _sides(z: ArrayLike, y: ArrayLike, s: EstimatorSettings, names: tuple[str, str]) -> tuple[Side, Side]:
    zt = as_samples(z, names[0])
    yt = as_samples(y, names[1], zt.device)
    check_same_n((names[0], zt), (names[1], yt))
    _, a = side_of(zt, names[0], s.z_kernel, s)
    _, b = side_of(yt, names[1], s.target_kernel, s)
    return a, b


def mutual_information_terms(
    z: ArrayLike, y: ArrayLike, settings: Optional[EstimatorSettings] = None, *,
    names: tuple[str, str] = ("z", "y"), **overrides: Any,
) -> MITerms:
    """The three entropies behind :func:`mutual_information` (same arguments)."""
    s = settings_of(settings, overrides)
    a, b = _sides(z, y, s, names)
    return MITerms(h_z=float(side_entropy(a, s)), h_y=float(side_entropy(b, s)), h_joint=float(joint_entropy(a, b, s)))


def mutual_information(
    z: ArrayLike, y: ArrayLike, settings: Optional[EstimatorSettings] = None, *,
    names: tuple[str, str] = ("z", "y"), **overrides: Any,
) -> float:
    """Matrix-based Rényi α mutual information I(Z; Y) between samples ``z`` (N, d) and ``y`` (N, d_y).

    ``settings.kernel``/``sigma``/``normalize`` apply to both sides; ``y_kernel`` overrides the
    kernel of Y (e.g. ``"delta"`` for integer labels, where ``y`` may be a length-N vector).
    Bits by default (``base=2``). ``names`` label the inputs in error messages.
    """
    return mutual_information_terms(z, y, settings, names=names, **overrides).mi


@dataclass(frozen=True)
class PermutationTest:
    """A raw estimate against its permutation null (P shuffles of Y against Z), all in log-``base`` units.

    - ``raw``: the plug-in estimate I(Z; Y) (biased upward at finite N);
    - ``null_mean`` / ``null_std``: mean and spread (ddof 1; NaN for P = 1) of I over the shuffles
      — what the estimator reads when Z and Y are independent but keep their marginals;
    - ``excess`` = raw − null_mean: a test statistic, **not** an unbiased estimate of I at α = 1
      (docs/mi.md, "Bias");
    - ``z`` = excess / null_std; ``p_value`` = (1 + #{null ≥ raw}) / (1 + P), the exact
      permutation p-value (never 0, at least 1/(1 + P)).
    """

    raw: float
    null_mean: float
    null_std: float
    excess: float
    z: float
    p_value: float
    permutations: int


def null_summary(raw: float, null: torch.Tensor) -> PermutationTest:
    """Summarize null MI values ``null`` (P,) against the raw estimate."""
    values = null.double().cpu().numpy()
    mean = float(values.mean())
    std = float(values.std(ddof=1)) if values.size > 1 else math.nan
    excess = raw - mean
    z = excess / std if std > 0 else math.nan
    p_value = (1 + int((values >= raw).sum())) / (1 + values.size)
    return PermutationTest(raw, mean, std, excess, z, p_value, int(values.size))


def permutation_null(
    z: ArrayLike, y: ArrayLike, settings: Optional[EstimatorSettings] = None, *,
    permutations: int = 20, seed: int = 0, names: tuple[str, str] = ("z", "y"), **overrides: Any,
) -> PermutationTest:
    """Raw I(Z; Y) and its permutation test over ``permutations`` random shufflings of Y against Z.

    Shuffles are ``numpy.random.default_rng(seed).permutation(N)``. The Gram matrices are
    built once: a shuffle permutes the rows and columns of B, and since S(A) and S(B) are
    permutation invariant only the joint entropy is recomputed per shuffle.
    """
    if permutations < 1:
        raise ValueError(f"permutations must be >= 1, got {permutations}")
    s = settings_of(settings, overrides)
    a, b = _sides(z, y, s, names)
    h_z, h_y = side_entropy(a, s), side_entropy(b, s)
    raw = float(h_z + h_y - joint_entropy(a, b, s))
    rng = np.random.default_rng(seed)
    n = a.labels.numel() if a.labels is not None else a.gram.shape[-1]  # type: ignore[union-attr]
    device = (a.gram if a.gram is not None else a.labels).device  # type: ignore[union-attr]
    null = [h_z + h_y - joint_entropy(a, permuted(b, torch.as_tensor(rng.permutation(n), device=device)), s)
            for _ in range(permutations)]
    return null_summary(raw, torch.stack(null))
