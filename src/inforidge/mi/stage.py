"""The MI stage: every site, layer and kernel of one activation dump in one job."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from inforidge import activations
from inforidge.config import MIConfig
from inforidge.mi.layerwise import layerwise_mi

#: Estimator settings copied into every row, so tables from different settings never mix silently.
SETTING_COLUMNS = ("kernel", "sigma", "alpha", "normalize", "base", "permutations")


def estimate_dump(manifest: str | Path, settings: MIConfig, *, device: str = "auto") -> pd.DataFrame:
    """Tidy MI rows for one dump: (site, kernel, quantity, layer, seed) with estimator settings.

    ``settings`` is the typed ``mi`` config section. Increments (``gain`` rows) are
    estimated for ``resid_post`` only, the one site with consecutive layers.
    """
    store = activations.open(Path(manifest))
    y = store.target()  # [N, d_y]
    frames = []
    for kernel in settings.kernels:
        for site in store.sites:
            layer_ids = store.layers(site)
            frame = layerwise_mi(
                [store.array(site, layer) for layer in layer_ids], y,
                n_samples=settings.n_samples, seeds=settings.seeds, permutations=settings.permutations,
                increments=settings.increments and len(layer_ids) > 1, kernel=kernel, sigma=settings.sigma,
                alpha=settings.alpha, normalize=settings.normalize, base=settings.base, device=device,
            )
            frame["layer"] = [layer_ids[i] for i in frame["layer"]]
            frame.insert(0, "site", site)
            frames.append(with_settings(frame, settings, kernel=kernel))
    return pd.concat(frames, ignore_index=True)


def with_settings(frame: pd.DataFrame, settings: MIConfig, **overrides: Any) -> pd.DataFrame:
    """Stamp the estimator settings (``settings`` updated by ``overrides``) on every row."""
    values = {**asdict(settings), **overrides}
    for column in SETTING_COLUMNS:
        frame[column] = values[column]
    # sigma may be a number or a rule name, normalize may be null: keep one string dtype.
    frame["sigma"] = str(values["sigma"])
    frame["normalize"] = str(values["normalize"]).lower()
    return frame
