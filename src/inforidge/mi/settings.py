"""The estimator settings value object: one place for kernel, σ, α, normalization, base, dtype.

Every estimator function takes an :class:`EstimatorSettings` instead of a bundle of
keywords; the MI stage builds one per (kernel, σ) of the config and passes it down, so
``mi.sigma`` reaches the kernel as config → stage → estimator → kernel. Kernel names are
looked up in the registry here, once: from then on a kernel travels as its
:class:`~inforidge.mi.registry.KernelSpec`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Optional, Union

import torch

from inforidge.mi.bandwidth import Bandwidth, check_bandwidth
from inforidge.mi.registry import KernelSpec, kernel_spec

#: Row preprocessing choices (docs/mi.md, "Invariances"): the paper's ℓ2, whitening, or none.
NORMALIZATIONS: tuple[Optional[str], ...] = ("l2", "whiten", None)


@dataclass(frozen=True)
class EstimatorSettings:
    """How one matrix-based Rényi estimate is computed (docs/mi.md).

    ``kernel`` (for Z, and for Y unless ``y_kernel`` is set; a registered name or its
    :class:`~inforidge.mi.registry.KernelSpec`, held as the spec), ``sigma`` (a bandwidth or a rule
    name; read only by bandwidth kernels), Rényi order ``alpha`` (1: von Neumann; integer
    α ≥ 2 takes the exact trace path without eigenvalues), row preprocessing ``normalize``
    (``"l2"``: the paper's unit-norm rows; ``"whiten"``: centred and PCA-whitened rows, the
    geometry-robust variant of :mod:`inforidge.mi.geometry`; None: as given), logarithm ``base`` (2: bits) and the Gram/spectrum ``dtype``.
    """

    kernel: Union[KernelSpec, str] = "gaussian"
    sigma: Bandwidth = 1.0
    alpha: float = 1.0
    normalize: Optional[str] = "l2"
    base: float = 2.0
    y_kernel: Union[KernelSpec, str, None] = None
    dtype: torch.dtype = torch.float64

    def __post_init__(self) -> None:
        # Frozen: the name given is replaced by its spec once, here.
        object.__setattr__(self, "kernel", _spec(self.kernel))
        if self.y_kernel is not None:
            object.__setattr__(self, "y_kernel", _spec(self.y_kernel))
        try:
            object.__setattr__(self, "sigma", check_bandwidth(self.sigma))
        except ValueError as err:
            raise ValueError(f"sigma {err}") from None
        if self.normalize not in NORMALIZATIONS:
            raise ValueError(f"normalize must be 'l2', 'whiten' or None, got {self.normalize!r}")
        if not (self.alpha > 0 and math.isfinite(self.alpha)):
            raise ValueError(f"alpha must be a positive finite number, got {self.alpha!r}")
        if not (self.base > 0 and self.base != 1 and math.isfinite(self.base)):
            raise ValueError(f"base must be positive, finite and != 1, got {self.base!r}")

    @property
    def z_kernel(self) -> KernelSpec:
        """The kernel of Z (the states), as its spec."""
        assert isinstance(self.kernel, KernelSpec)
        return self.kernel

    @property
    def target_kernel(self) -> KernelSpec:
        """The kernel of Y: ``y_kernel`` or, when unset, ``kernel``."""
        spec = self.kernel if self.y_kernel is None else self.y_kernel
        assert isinstance(spec, KernelSpec)
        return spec

    @property
    def exact_alpha(self) -> Optional[int]:
        """α as an integer ≥ 2 when the trace path applies (S_α = log tr(A^α) / (1 − α)), else None."""
        return int(self.alpha) if self.alpha >= 2 and float(self.alpha).is_integer() else None

    def but(self, **changes: Any) -> "EstimatorSettings":
        """A copy with ``changes`` applied (validated again)."""
        return replace(self, **changes)


def _spec(kernel: Union[KernelSpec, str]) -> KernelSpec:
    return kernel if isinstance(kernel, KernelSpec) else kernel_spec(kernel)


def settings_of(settings: Optional[EstimatorSettings], overrides: dict[str, Any]) -> EstimatorSettings:
    """``settings`` (default :class:`EstimatorSettings`) with keyword ``overrides`` applied.

    The convenience behind ``mutual_information(z, y, kernel="linear")``: the keywords are
    the fields of :class:`EstimatorSettings`, an unknown one raises ``TypeError``.
    """
    base = EstimatorSettings() if settings is None else settings
    return replace(base, **overrides) if overrides else base
