"""The MI stage: every site, layer, kernel and bandwidth of one activation dump in one job.

One stage for both dumps: a single-token dump (I(Z_l; Y) and the gains) and a multi-token one
(I(Z_l^(t); Y^(t)) per decoding step and the sequence kernel, :mod:`inforidge.mi.multitoken`);
they share the loop over kernels, bandwidths and sites, the layer ids and the settings columns.

``mi.sigma`` travels config (validated once: :func:`~inforidge.mi.bandwidth.check_bandwidth`) →
:func:`estimate_dump` (one :class:`EstimatorSettings` per kernel × σ, :func:`estimator_settings`;
the kernel looked up once, then carried as its spec) → :func:`~inforidge.mi.layerwise.layerwise_mi`
→ the kernel, and into the tables as a number (``sigma``) beside its rule (``bandwidth_rule``).
Per-job frames carry the tables' column names (``sample_seed``; the rule adds ``split`` and
``data_split``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from inforidge import activations
from inforidge.config import MIConfig
from inforidge.core.configschema import build
from inforidge.mi.bandwidth import bandwidth_columns
from inforidge.mi.layerwise import COLUMNS, Sampling, layerwise_mi
from inforidge.mi.registry import kernel_spec
from inforidge.mi.sequence import sequence_mi
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


@dataclass(frozen=True)
class DecodeSteps:
    """What makes an MI job multi-token: steps 1..``horizon`` of the dump, ``permutations`` shuffles
    (``multitoken.permutations`` or ``mi.permutations``), and whether the sequence kernel runs
    (the rule's params: :func:`inforidge.mi.multitoken.decode_steps`)."""

    horizon: int
    permutations: int
    sequence_kernel: bool


#: Columns of a multi-token job's frame before the estimator settings (the table's order).
MULTITOKEN_COLUMNS = ["site", "quantity", "layer", "t", "sample_seed", *COLUMNS[3:]]

#: One site's rows of one dump under one settings: (store, settings, site, layer ids) -> frame with
#: :data:`~inforidge.mi.layerwise.COLUMNS` (``layer`` an index into the layer ids).
SiteEstimate = Callable[[activations.ActivationStore, EstimatorSettings, str, list[int]], pd.DataFrame]


def estimate_dump(manifest: str | Path, mi: MIConfig | Mapping[str, Any], *, device: str = "auto",
                  multitoken: DecodeSteps | None = None) -> pd.DataFrame:
    """Tidy MI rows for one dump: (site, kernel, sigma, quantity, layer, sample_seed) with estimator settings.

    Single-token (``multitoken`` None): columns ``site`` + :data:`inforidge.mi.layerwise.COLUMNS`
    (``seed`` named ``sample_seed``, as in the table) + ``n_requested`` (``mi.n_samples``, 0 for
    "as many as the split allows"; above ``n`` when the split was too small: :func:`warn_short`)
    + :data:`SETTING_COLUMNS`. Increments (``gain`` rows) are estimated for sites with consecutive
    layers (``resid_post``).

    Multi-token (a :class:`DecodeSteps`): :data:`MULTITOKEN_COLUMNS` +
    :data:`SETTING_COLUMNS`, ``token`` rows per decoding step t and ``sequence`` rows (t = 0);
    ``multitoken.permutations`` replaces ``mi.permutations``. Per seed every step, every layer and
    the sequence kernel use the same rows and shuffles (:class:`Sampling`).
    """
    mi = as_mi_config(mi)
    store = activations.open(Path(manifest))
    if multitoken is None:
        estimate, permutations = _single_token(mi, store, device), None
    else:
        estimate, permutations = _multi_token(mi, multitoken, store, device), multitoken.permutations
    frames = []
    for settings in estimator_settings(mi):
        for site in store.sites:
            layer_ids = store.layers(site)
            frame = estimate(store, settings, site, layer_ids)
            frame["layer"] = [layer_ids[i] for i in frame["layer"]]
            frame.insert(0, "site", site)
            frame = frame.rename(columns={"seed": "sample_seed"})
            if multitoken is None:
                frame["n_requested"] = mi.n_samples or 0
            else:
                frame = frame[MULTITOKEN_COLUMNS]
            frames.append(with_settings(frame, settings, mi, permutations))
    return pd.concat(frames, ignore_index=True)


def _single_token(mi: MIConfig, store: activations.ActivationStore, device: str) -> SiteEstimate:
    """I(Z_l; Y) (and the gains) of every layer of a site."""
    y = store.target()  # [N, d_y]
    warn_short(mi, y.shape[0])

    def estimate(store: activations.ActivationStore, settings: EstimatorSettings, site: str,
                 layer_ids: list[int]) -> pd.DataFrame:
        return layerwise_mi([store.array(site, layer) for layer in layer_ids], y, settings,
                            sampling=sampling_of(mi), increments=mi.increments and len(layer_ids) > 1, device=device)
    return estimate


def _multi_token(mi: MIConfig, steps: DecodeSteps, store: activations.ActivationStore, device: str) -> SiteEstimate:
    """I(Z_l^(t); Y^(t)) per decoding step t (``token``) and the sequence-kernel MI (``sequence``, t = 0)."""
    if store.decode_steps < steps.horizon:
        raise ValueError(f"{store.root}: dump has {store.decode_steps} decoding steps, multitoken.horizon is "
                         f"{steps.horizon}")
    ts = range(1, steps.horizon + 1)
    targets = [store.target(step=t) for t in ts]  # T × [N, d_y]
    sampling = sampling_of(mi, steps.permutations)

    def estimate(store: activations.ActivationStore, settings: EstimatorSettings, site: str,
                 layer_ids: list[int]) -> pd.DataFrame:
        parts = [layerwise_mi([store.array(site, layer, step=t) for layer in layer_ids], y, settings,
                              sampling=sampling, increments=False, device=device).assign(quantity="token", t=t)
                 for t, y in zip(ts, targets)]
        if steps.sequence_kernel:
            by_layer = [[store.array(site, layer, step=t) for t in ts] for layer in layer_ids]
            parts.append(sequence_mi(by_layer, targets, settings, sampling=sampling, device=device).assign(t=0))
        return pd.concat(parts, ignore_index=True)
    return estimate


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
