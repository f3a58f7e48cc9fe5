"""Multi-token generation: I(Z_l^(t); Y^(t)) per layer and decoding step, and the sequence kernel.

A multi-token dump (``dump_split(..., decode_steps=T)``) holds, for each step t = 1..T, the
state Z_l^(t) at the position predicting reference token t (teacher forcing) and that token's
embedding Y^(t). Two quantities per (site, layer, subsample seed):

- ``token`` rows, one per t: I(Z_l^(t); Y^(t)) with :func:`inforidge.mi.layerwise_mi`;
- a ``sequence`` row (t = 0): the MI between whole sequences under the sequence kernel
  K_seq(i, j) = (1/T) Σ_t K̃_t(i, j), K̃_t the unit-diagonal step-t kernel matrix
  (:func:`sequence_mi`; docs/multitoken.md gives the definition and its properties).

Per seed the rows are drawn exactly as ``layerwise_mi`` draws them, so every step, every
layer and the sequence kernel use the same examples and the same shuffles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from inforidge import activations
from inforidge.config import MIConfig, RunConfig
from inforidge.devices import resolve_device
from inforidge.mi import kernels as K
from inforidge.mi import layerwise_mi, spectra
from inforidge.mi.estimators import ArrayLike, Side, as_samples, joint_spectrum, null_summary, permuted, prepare
from inforidge.mi.layerwise import subsample
from inforidge.mi.stage import with_settings
from inforidge.tables import TABLES, concat_parts, with_run_keys

#: Columns of one per-job frame, before run keys and estimator settings are added.
COLUMNS = ["site", "quantity", "layer", "t", "seed", "n", "mi", "null_mean", "null_std", "mi_corrected",
           "h_z", "h_y", "h_joint"]

MULTITOKEN = TABLES["multitoken"]


def sequence_gram(steps: Sequence[torch.Tensor], kernel: str, sigma: K.Bandwidth, normalize: str | None,
                  dtype: torch.dtype) -> torch.Tensor:
    """Trace-normalized sequence-kernel matrix A = (1/T) Σ_t unit_trace(K_t) (n, n).

    ``steps`` holds T sample matrices (n, d), one per decoding step, rows aligned (row i is
    example i at every step). Each step is preprocessed and its bandwidth resolved on its
    own (a rule such as ``median`` adapts to each step's spread); a mean of unit-diagonal
    PSD matrices is unit-diagonal and PSD, so A is a valid trace-1 Gram matrix.
    """
    total: torch.Tensor | None = None
    for x in steps:
        x = prepare(x, kernel, normalize, dtype)  # (n, d)
        s = K.resolve_sigma(x, sigma) if kernel in K.BANDWIDTH_KERNELS else 1.0
        a = K.unit_trace(K.gram(x, kernel, s))  # (n, n), tr = 1
        total = a if total is None else total + a
    if total is None:
        raise ValueError("sequence kernel needs at least one decoding step")
    return total / len(steps)


def sequence_mi(
    layers: Sequence[Sequence[ArrayLike]],
    targets: Sequence[ArrayLike],
    *,
    n_samples: int | None,
    seeds: Sequence[int],
    permutations: int,
    kernel: str = "gaussian",
    sigma: K.Bandwidth = 1.0,
    alpha: float = 1.0,
    normalize: str | None = "l2",
    base: float = 2.0,
    device: str | torch.device = "auto",
    dtype: torch.dtype = torch.float64,
) -> pd.DataFrame:
    """Per-layer MI between state sequences and target sequences under the sequence kernel.

    ``layers[l][t]`` is Z_l^(t+1) (N, d) and ``targets[t]`` is Y^(t+1) (N, d_y), t = 0..T−1.
    Both sides use :func:`sequence_gram` with the same kernel; I = S(A) + S(B) − S(A∘B/tr).
    Subsampling and shuffles are drawn as :func:`inforidge.mi.layerwise_mi` draws them
    (``rng = default_rng(seed)``: rows, then ``permutations`` shuffles), so the rows match
    the per-token estimates of the same seed. Returns one row per (layer, seed) with the
    columns of ``layerwise_mi`` (quantity ``sequence``).
    """
    K.check_kernel(kernel)
    if kernel == "delta":
        raise ValueError("the sequence kernel needs a continuous kernel, not delta")
    if not layers or not targets or any(len(steps) != len(targets) for steps in layers):
        raise ValueError(f"every layer needs one array per decoding step ({len(targets)} target steps)")
    if permutations < 0:
        raise ValueError(f"permutations must be >= 0, got {permutations}")
    dev = resolve_device(device)
    ys = [as_samples(y, f"targets[{t}]") for t, y in enumerate(targets)]
    n_total = ys[0].shape[0]
    records = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        idx = subsample(n_total, n_samples, rng)
        n = len(idx)
        perms = [torch.as_tensor(rng.permutation(n), device=dev) for _ in range(permutations)]
        rows = torch.as_tensor(idx)

        def take(x: ArrayLike, name: str) -> torch.Tensor:
            t = as_samples(x, name)
            if t.shape[0] != n_total:
                raise ValueError(f"{name} has {t.shape[0]} rows, the targets {n_total}")
            return t[rows.to(t.device)].to(dev)

        b_gram = sequence_gram([y[rows.to(y.device)].to(dev) for y in ys], kernel, sigma, normalize, dtype)
        b = Side(b_gram, None, spectra.spectrum(b_gram, dtype))
        h_y = float(spectra.renyi_entropy(b.eigenvalues, alpha, base))
        for layer, steps in enumerate(layers):
            a_gram = sequence_gram([take(z, f"layers[{layer}][{t}]") for t, z in enumerate(steps)],
                                   kernel, sigma, normalize, dtype)
            a = Side(a_gram, None, spectra.spectrum(a_gram, dtype))
            h_z = float(spectra.renyi_entropy(a.eigenvalues, alpha, base))
            h_joint = float(spectra.renyi_entropy(joint_spectrum(a, b, dtype), alpha, base))
            mi = h_z + h_y - h_joint
            null_mean = null_std = corrected = math.nan
            if perms:
                null = torch.stack([h_z + h_y - spectra.renyi_entropy(joint_spectrum(a, permuted(b, p), dtype), alpha, base)
                                    for p in perms])
                summary = null_summary(mi, null)
                null_mean, null_std, corrected = summary.null_mean, summary.null_std, summary.corrected
            records.append({"quantity": "sequence", "layer": layer, "seed": int(seed), "n": n, "mi": mi,
                            "null_mean": null_mean, "null_std": null_std, "mi_corrected": corrected,
                            "h_z": h_z, "h_y": h_y, "h_joint": h_joint})
    return pd.DataFrame.from_records(records)


def estimate_multitoken_dump(manifest: str | Path, settings: MIConfig, *, horizon: int, permutations: int,
                             sequence_kernel: bool, device: str = "auto") -> pd.DataFrame:
    """Tidy rows (columns :data:`COLUMNS` + estimator settings) for one multi-token dump.

    ``settings`` is the typed ``mi`` config section (kernels, sigma, alpha, normalize,
    base, n_samples, seeds); ``permutations`` replaces its own. Steps 1..``horizon`` are
    used; the dump must hold at least that many.
    """
    store = activations.open(Path(manifest))
    if store.decode_steps < horizon:
        raise ValueError(f"{manifest}: dump has {store.decode_steps} decoding steps, multitoken.horizon is {horizon}")
    steps = range(1, horizon + 1)
    targets = [store.target(step=t) for t in steps]  # T × [N, d_y]
    estimator = dict(n_samples=settings.n_samples, seeds=settings.seeds, permutations=permutations,
                     sigma=settings.sigma, alpha=settings.alpha, normalize=settings.normalize,
                     base=settings.base, device=device)
    frames = []
    for kernel in settings.kernels:
        for site in store.sites:
            layer_ids = store.layers(site)
            parts = []
            for t, y in zip(steps, targets):
                part = layerwise_mi([store.array(site, layer, step=t) for layer in layer_ids], y, increments=False,
                                    kernel=kernel, **estimator)
                parts.append(part.assign(quantity="token", t=t))
            if sequence_kernel:
                by_layer = [[store.array(site, layer, step=t) for t in steps] for layer in layer_ids]
                parts.append(sequence_mi(by_layer, targets, kernel=kernel, **estimator).assign(t=0))
            frame = pd.concat(parts, ignore_index=True)
            frame["layer"] = [layer_ids[i] for i in frame["layer"]]
            frame["site"] = site
            frames.append(with_settings(frame[COLUMNS], settings, kernel=kernel, permutations=permutations))
    return pd.concat(frames, ignore_index=True)


def multitoken_table(parts: Sequence[str | Path], runs: Mapping[str, RunConfig]) -> pd.DataFrame:
    """Concatenate per-job multi-token frames into the ``multitoken`` table (:data:`MULTITOKEN`).

    As in the ``mi`` table, ``split`` becomes the eval role, ``data_split`` the dataset split
    and the subsample seed ``sample_seed`` (``seed`` is the run's training seed).
    """
    frame = concat_parts(parts).rename(columns={"split": "data_split", "split_role": "split", "seed": "sample_seed"})
    return with_run_keys(frame, runs)
