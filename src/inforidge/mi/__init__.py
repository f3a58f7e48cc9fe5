"""Matrix-based Rényi α-entropy and mutual information (Sanchez Giraldo, Rao, Principe 2014).

Public API: :class:`EstimatorSettings` (how an estimate is computed), :func:`entropy`,
:func:`mutual_information`, :func:`permutation_null` (a :class:`PermutationTest`), the
stage-level :func:`layerwise_mi` with its :class:`Sampling`, and the kernel registry
(:mod:`inforidge.mi.registry`). See ``docs/mi.md`` for what is estimated and how to read it.

Exports load lazily (PEP 562): ``inforidge.mi.registry`` is torch-free and imported by config
validation, which must not pull torch in through this package's ``__init__``.

Layers (:data:`inforidge.LAYERS`): ``registry`` and ``bandwidth`` are declarations (``core``
only); the estimator and the stage may import ``core`` to ``activations``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "EstimatorSettings": "inforidge.mi.settings",
    "MITerms": "inforidge.mi.estimators",
    "PermutationTest": "inforidge.mi.estimators",
    "entropy": "inforidge.mi.estimators",
    "mutual_information": "inforidge.mi.estimators",
    "mutual_information_terms": "inforidge.mi.estimators",
    "permutation_null": "inforidge.mi.estimators",
    "Sampling": "inforidge.mi.layerwise",
    "layerwise_mi": "inforidge.mi.layerwise",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'inforidge.mi' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
