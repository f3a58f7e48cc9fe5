"""The kernel bandwidth σ: one type, its rule names, one validation, its table columns. Torch-free.

``mi.sigma`` is a :data:`Bandwidth`: a positive number or the name of a rule resolved on the
data (:func:`inforidge.mi.kernels.resolve_sigma`). It is validated once, by
:func:`check_bandwidth` (config validation and :class:`~inforidge.mi.settings.EstimatorSettings`
both call it). Tables record it in two typed columns (:func:`bandwidth_columns`): ``sigma``, the
fixed σ as a number (NaN for a rule, or a kernel without a bandwidth), and ``bandwidth_rule``
(:data:`BANDWIDTH_RULE_VALUES`).
"""

from __future__ import annotations

import math
from typing import Literal, Union

#: Data-driven bandwidth rules (docs/mi.md), each naming its function ``(x) -> σ``: the only
#: place their names are listed.
RULE_FUNCTIONS: dict[str, str] = {
    "median": "inforidge.mi.kernels:median_bandwidth",
    "silverman": "inforidge.mi.kernels:silverman_bandwidth",
}
BANDWIDTH_RULES: tuple[str, ...] = tuple(RULE_FUNCTIONS)
#: A bandwidth as the config and the estimator take it: a positive number or a rule name.
Bandwidth = Union[float, Literal[BANDWIDTH_RULES]]  # type: ignore[valid-type]
#: ``bandwidth_rule`` column values: ``fixed`` (σ = ``sigma``), a rule, or ``none`` (the kernel has no σ).
FIXED, NO_BANDWIDTH = "fixed", "none"
BANDWIDTH_RULE_VALUES: tuple[str, ...] = (FIXED, *BANDWIDTH_RULES, NO_BANDWIDTH)


def check_bandwidth(sigma: object) -> Bandwidth:
    """``sigma`` as a :data:`Bandwidth` (numbers as float); ``ValueError`` unless a rule name or a positive finite number."""
    if isinstance(sigma, str):
        if sigma not in BANDWIDTH_RULES:
            raise ValueError(f"unknown bandwidth rule {sigma!r}: must be a number > 0 or a rule in {BANDWIDTH_RULES}")
        return sigma
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not (sigma > 0 and math.isfinite(sigma)):
        raise ValueError(f"must be > 0 and finite, or a rule in {BANDWIDTH_RULES}; got {sigma!r}")
    return float(sigma)


def bandwidth_columns(sigma: Bandwidth, reads_sigma: bool) -> tuple[float, str]:
    """The table cells ``(sigma, bandwidth_rule)`` of a bandwidth, for a kernel that reads σ or not."""
    if not reads_sigma:
        return math.nan, NO_BANDWIDTH
    return (math.nan, sigma) if isinstance(sigma, str) else (float(sigma), FIXED)


def bandwidth_label(sigma: float, rule: str) -> str:
    """How a bandwidth is named in figures: the fixed σ (``1``, ``0.5``), else the rule (``median``, ``none``)."""
    return f"{sigma:g}" if rule == FIXED else rule
