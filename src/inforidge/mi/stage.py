"""The MI stage: every site, layer, kernel and bandwidth of one activation dump in one job.

``mi.sigma`` travels config (validated once: :func:`~inforidge.mi.bandwidth.check_bandwidth`) →
:func:`estimate_dump` (one :class:`EstimatorSettings` per kernel × σ, :func:`estimator_settings`;
the kernel looked up once, then carried as its spec) → :func:`~inforidge.mi.layerwise.layerwise_mi`
→ the kernel, and into the tables as a number (``sigma``) beside its rule (``bandwidth_rule``).
Per-job frames carry the tables' column names (``sample_seed``; the rule adds ``split`` and
``data_split``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from inforidge import activations
from inforidge.config import MIConfig
from inforidge.configschema import build
from inforidge.mi.layerwise import Sampling, layerwise_mi
from inforidge.mi.bandwidth import bandwidth_columns
from inforidge.mi.registry import kernel_spec
from inforidge.mi.settings import EstimatorSettings

#: Estimator settings copied into every row, so tables from different settings never mix silently.
SETTING_COLUMNS = ("kernel", "sigma", "bandwidth_rule", "alpha", "normalize", "base", "permutations", "resampling")

log = logging.getLogger(__name__)


def as_mi_config(mi: MIConfig | Mapping[str, Any]) -> MIConfig:
    """The typed ``mi`` section: ``mi`` itself, or validated from its plain-dict form (rule ``params``)."""
    return mi if isinstance(mi, MIConfig) else build(MIConfig, dict(mi), "mi")


def estimator_settings(mi: MIConfig) -> Iterator[EstimatorSettings]:
    """One :class:`EstimatorSettings` per kernel and, for bandwidth kernels, per σ of ``mi.sigma``."""
    for name in mi.kernels:
        kernel = kernel_spec(name)
        # A kernel without a bandwidth gets one row set, not one per σ of a sweep.
        for sigma in mi.sigmas if kernel.bandwidth else mi.sigmas[:1]:
            yield EstimatorSettings(kernel=kernel, sigma=sigma, alpha=mi.alpha, normalize=mi.normalize, base=mi.base)


def sampling_of(mi: MIConfig, permutations: int | None = None) -> Sampling:
    """The :class:`Sampling` of ``mi`` (``permutations`` replaces ``mi.permutations`` when given)."""
    return Sampling(n_samples=mi.n_samples, seeds=list(mi.seeds),
                    permutations=mi.permutations if permutations is None else permutations, scheme=mi.resampling)


def estimate_dump(manifest: str | Path, mi: MIConfig | Mapping[str, Any], *, device: str = "auto") -> pd.DataFrame:
    """Tidy MI rows for one dump: (site, kernel, sigma, quantity, layer, sample_seed) with estimator settings.

    Columns: ``site`` + :data:`inforidge.mi.layerwise.COLUMNS` (``seed`` named ``sample_seed``, as
    in the table) + ``n_requested`` (``mi.n_samples``, 0 for
    "as many as the split allows"; above ``n`` when the split was too small: :func:`warn_short`)
    + :data:`SETTING_COLUMNS`.
    Increments (``gain`` rows) are estimated for ``resid_post`` only, the one site with
    consecutive layers.
    """
    mi = as_mi_config(mi)
    store = activations.open(Path(manifest))
    y = store.target()  # [N, d_y]
    warn_short(mi, y.shape[0])
    frames = []
    for settings in estimator_settings(mi):
        for site in store.sites:
            layer_ids = store.layers(site)
            frame = layerwise_mi([store.array(site, layer) for layer in layer_ids], y, settings,
                                 sampling=sampling_of(mi), increments=mi.increments and len(layer_ids) > 1,
                                 device=device)
            frame["layer"] = [layer_ids[i] for i in frame["layer"]]
            frame.insert(0, "site", site)
            frame = frame.rename(columns={"seed": "sample_seed"})
            frame["n_requested"] = mi.n_samples or 0
            frames.append(with_settings(frame, settings, mi))
    return pd.concat(frames, ignore_index=True)


def warn_short(mi: MIConfig, rows: int) -> bool:
    """Log a warning (and return True) when ``mi.n_samples`` asks for more rows per subsample than ``rows`` give.

    Disjoint subsamples take n = min(n_samples, rows // seeds): a config asking for 200 with
    510 rows and 5 seeds gets 102, and the estimate's bias and power are those of 102 rows.
    """
    per_seed = rows // len(mi.seeds) if mi.resampling == "disjoint" else rows
    short = mi.n_samples is not None and per_seed < mi.n_samples
    if short:
        log.warning("mi.n_samples = %d but %d rows over %d %s subsamples give %d per subsample: the estimates "
                    "use %d (column n; n_requested keeps the request)", mi.n_samples, rows, len(mi.seeds),
                    mi.resampling, per_seed, per_seed)
    return short


def with_settings(frame: pd.DataFrame, settings: EstimatorSettings, mi: MIConfig,
                  permutations: int | None = None) -> pd.DataFrame:
    """Stamp the estimator settings of every row (:data:`SETTING_COLUMNS`)."""
    frame["kernel"] = settings.z_kernel.name
    frame["sigma"], frame["bandwidth_rule"] = bandwidth_columns(settings.sigma, settings.z_kernel.bandwidth)
    # normalize may be null: one string dtype.
    frame["alpha"] = float(settings.alpha)
    frame["normalize"] = str(settings.normalize).lower()
    frame["base"] = float(settings.base)
    frame["permutations"] = mi.permutations if permutations is None else permutations
    frame["resampling"] = mi.resampling
    return frame
