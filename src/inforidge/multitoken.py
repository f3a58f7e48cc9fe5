"""Multi-token generation: I(Z_l^(t); Y^(t)) per layer and decoding step, and the sequence kernel.

A multi-token dump (``dump_split(..., decode_steps=T)``) holds, for each step t = 1..T, the
state Z_l^(t) at the position predicting reference token t (teacher forcing) and that token's
embedding Y^(t). Two quantities per (site, layer, subsample seed):

- ``token`` rows, one per t: I(Z_l^(t); Y^(t)) with :func:`inforidge.mi.layerwise_mi`;
- a ``sequence`` row (t = 0): the MI between whole sequences under the sequence kernel
  K_seq(i, j) = (1/T) Σ_t K̃_t(i, j), K̃_t the unit-diagonal step-t kernel matrix
  (:func:`inforidge.mi.sequence.sequence_mi`; docs/multitoken.md gives the definition).

Per seed the rows are drawn exactly as ``layerwise_mi`` draws them, so every step, every
layer and the sequence kernel use the same examples and the same shuffles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from inforidge import activations
from inforidge.config import MIConfig, RunConfig
from inforidge.mi.layerwise import COLUMNS as MI_COLUMNS
from inforidge.mi.layerwise import layerwise_mi
from inforidge.mi.sequence import sequence_gram, sequence_mi
from inforidge.mi.stage import as_mi_config, estimator_settings, sampling_of, with_settings
from inforidge.tables import TABLES, concat_parts, with_run_keys

__all__ = ["COLUMNS", "MULTITOKEN", "estimate_multitoken_dump", "multitoken_table", "sequence_gram", "sequence_mi"]

#: Columns of one per-job frame, before run keys and estimator settings are added (the table's names).
COLUMNS = ["site", MI_COLUMNS[0], MI_COLUMNS[1], "t", "sample_seed", *MI_COLUMNS[3:]]

MULTITOKEN = TABLES["multitoken"]


def estimate_multitoken_dump(manifest: str | Path, mi: MIConfig | Mapping[str, Any], *, horizon: int,
                             permutations: int, sequence_kernel: bool, device: str = "auto") -> pd.DataFrame:
    """Tidy rows (columns :data:`COLUMNS` + estimator settings) for one multi-token dump.

    ``mi`` is the ``mi`` config section (typed, or its dict form); ``permutations`` replaces
    its own. Steps 1..``horizon`` are used; the dump must hold at least that many.
    """
    mi = as_mi_config(mi)
    store = activations.open(Path(manifest))
    if store.decode_steps < horizon:
        raise ValueError(f"{manifest}: dump has {store.decode_steps} decoding steps, multitoken.horizon is {horizon}")
    steps = range(1, horizon + 1)
    targets = [store.target(step=t) for t in steps]  # T × [N, d_y]
    sampling = sampling_of(mi, permutations)
    frames = []
    for settings in estimator_settings(mi):
        for site in store.sites:
            layer_ids = store.layers(site)
            parts = []
            for t, y in zip(steps, targets):
                part = layerwise_mi([store.array(site, layer, step=t) for layer in layer_ids], y, settings,
                                    sampling=sampling, increments=False, device=device)
                parts.append(part.assign(quantity="token", t=t))
            if sequence_kernel:
                by_layer = [[store.array(site, layer, step=t) for t in steps] for layer in layer_ids]
                parts.append(sequence_mi(by_layer, targets, settings, sampling=sampling, device=device).assign(t=0))
            frame = pd.concat(parts, ignore_index=True)
            frame["layer"] = [layer_ids[i] for i in frame["layer"]]
            frame["site"] = site
            frame = frame.rename(columns={"seed": "sample_seed"})
            frames.append(with_settings(frame[COLUMNS], settings, mi, permutations))
    return pd.concat(frames, ignore_index=True)


def multitoken_table(parts: Sequence[str | Path], runs: Mapping[str, RunConfig]) -> pd.DataFrame:
    """Concatenate per-job multi-token frames into the ``multitoken`` table (:data:`MULTITOKEN`).

    As in the ``mi`` table, per-job frames already carry the table's names (``split``: the eval
    role, ``data_split``: the dataset split, ``sample_seed``; ``seed`` is the run's training seed).
    """
    return with_run_keys(concat_parts(parts), runs)
