"""Torch-free planning of the optional stages: what a config asks the workflow to build.

Every helper takes the typed :class:`~inforidge.config.Config` (never run settings as
dicts), so the rules, the figure registry and the tests plan one way. Multi-token
planning (horizon, probe task, checks) lives in :mod:`inforidge.mi.multitoken`
and follows the same convention.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the figure registry imports this module, the config imports that
    from inforidge.config import Config


def capacity_wanted(cfg: Config) -> bool:
    """Whether the capacity outputs are built: ``capacity.enabled`` true, or ``auto`` with >1 scratch depth.

    Pretrained models ignore ``model.n_layer``, so ``auto`` only counts scratch runs.
    """
    if cfg.capacity.enabled != "auto":
        return bool(cfg.capacity.enabled)
    depths = {run.model.n_layer for run in cfg.runs.values() if run.model.source == "scratch"}
    return len(depths) > 1
