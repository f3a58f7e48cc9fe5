"""The kernel registry: every kernel the estimator knows, with what it needs. Torch-free.

Config validation (``inforidge.config``) derives the allowed kernel names from
:data:`KERNELS`, so it must not import torch (planning the DAG stays fast). Each entry names
its Gram function in :mod:`inforidge.mi.kernels`, resolved on first use. Adding a kernel:
write ``gram_<name>(x, sigma) -> (..., N, N)`` in ``kernels.py`` and add one
:class:`KernelSpec` here (``tests/unit/mi/test_registry.py`` checks both sides).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KernelSpec:
    """One kernel: its name, whether it reads ``sigma``, and whether it compares labels.

    ``bandwidth``: the kernel value depends on σ (so ``mi.sigma`` and its sweep apply).
    ``labels``: a delta kernel on class labels (targets only; never a layer's state).
    """

    name: str
    bandwidth: bool = False
    labels: bool = False
    doc: str = ""

    @property
    def gram_function(self) -> str:
        """Name of the Gram function in :mod:`inforidge.mi.kernels`."""
        return f"gram_{self.name}"


KERNELS: dict[str, KernelSpec] = {
    spec.name: spec
    for spec in (
        KernelSpec("gaussian", bandwidth=True, doc="exp(−‖a−b‖²/(2σ²))"),
        KernelSpec("laplacian", bandwidth=True, doc="exp(−‖a−b‖/σ)"),
        KernelSpec("polynomial", doc="(⟨a,b⟩ + 1)²"),
        KernelSpec("linear", doc="⟨a,b⟩"),
        KernelSpec("delta", labels=True, doc="1[a = b] (class labels; targets only)"),
    )
}

#: Kernels a layer's state may use (all but the label kernels), in registry order.
LAYER_KERNELS: tuple[str, ...] = tuple(name for name, spec in KERNELS.items() if not spec.labels)


def kernel_spec(name: str) -> KernelSpec:
    """The registered kernel ``name``; ``ValueError`` naming the known ones otherwise."""
    try:
        return KERNELS[name]
    except KeyError:
        raise ValueError(f"unknown kernel {name!r}; expected one of {tuple(KERNELS)}") from None
