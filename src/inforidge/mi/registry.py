"""The kernel registry: every kernel the estimator knows, with what it needs. Torch-free.

Config validation (``inforidge.config``) derives the allowed kernel names from
:data:`KERNELS`, so it must not import torch (planning the DAG stays fast). Each entry names
its Gram function as ``"module:function"``, resolved on first use by
:func:`inforidge.mi.kernels.gram`. Adding a kernel: a Gram function ``(x, sigma) -> (..., N, N)``
in any module and one :class:`KernelSpec` here (docs/extending.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from inforidge.core.registry import Registry


@dataclass(frozen=True)
class KernelSpec:
    """One kernel: its name, its Gram function, whether it reads ``sigma``, whether it compares labels.

    ``gram``: ``"module:function"``, called as ``function(x, sigma)`` on rows ``x`` (..., N, d);
    ``sigma`` is numeric (rules are resolved first) and ignored without ``bandwidth``.
    ``bandwidth``: the kernel value depends on σ (so ``mi.sigma`` and its sweep apply).
    ``labels``: a delta kernel on class labels (targets only; never a layer's state).
    ``feature_map``: the Gram matrix is X Xᵀ of the rows themselves, so its nonzero spectrum is
    that of the d × d matrix Xᵀ X: the estimator takes that path when d < N
    (:func:`inforidge.mi.estimators.make_side`). False for any other kernel.
    """

    name: str
    gram: str
    bandwidth: bool = False
    labels: bool = False
    feature_map: bool = False
    doc: str = ""


KERNELS: Registry[KernelSpec] = Registry("kernel")
for _spec in (
    KernelSpec("gaussian", "inforidge.mi.kernels:gram_gaussian", bandwidth=True, doc="exp(−‖a−b‖²/(2σ²))"),
    KernelSpec("laplacian", "inforidge.mi.kernels:gram_laplacian", bandwidth=True, doc="exp(−‖a−b‖/σ)"),
    KernelSpec("polynomial", "inforidge.mi.kernels:gram_polynomial", doc="(⟨a,b⟩ + 1)²"),
    KernelSpec("linear", "inforidge.mi.kernels:gram_linear", feature_map=True, doc="⟨a,b⟩"),
    KernelSpec("delta", "inforidge.mi.kernels:gram_delta", labels=True, doc="1[a = b] (class labels; targets only)"),
):
    KERNELS.register(_spec)

#: Kernels a layer's state may use (all but the label kernels), in registry order.
LAYER_KERNELS: tuple[str, ...] = tuple(spec.name for spec in KERNELS if not spec.labels)


def kernel_spec(name: str) -> KernelSpec:
    """The registered kernel ``name``; ``ValueError`` naming the known ones otherwise."""
    if name not in KERNELS:
        raise ValueError(f"unknown kernel {name!r}; expected one of {tuple(KERNELS.names())}")
    return KERNELS[name]
