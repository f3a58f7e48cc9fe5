"""Stage-level estimator: I(Z_l; Y) for every layer (and the per-block gains I(ΔZ_l; Y)).

Per seed, one row subset is drawn and shared by all layers, so layers are compared on the
same samples and against the same target sample. What is shared, and why:

- Y's Gram matrix and entropy are computed once per seed (Y does not depend on the layer);
- each shuffle of the permutation null permutes B's rows/columns and reuses the layer's A —
  S(A) and S(B) are permutation invariant, so a shuffle costs one joint spectrum;
- the shuffles themselves are drawn once per seed and shared by all layers;
- layers are processed in batches (Gram matrices by batched matmul, batched ``eigvalsh``),
  which is what pays on a GPU; on a CPU the eigensolver dominates whatever the batching.
"""

from __future__ import annotations

import math
from typing import Callable, Optional, Sequence, Union

import numpy as np
import pandas as pd
import torch

from inforidge.devices import resolve_device
from inforidge.mi import kernels as K
from inforidge.mi import spectra
from inforidge.mi.estimators import (
    ArrayLike,
    as_samples,
    check_normalize,
    check_same_n,
    joint_spectrum,
    make_side,
    null_summary,
    permuted,
    prepare,
    side_of,
)

COLUMNS = [
    "quantity", "layer", "seed", "n", "mi", "null_mean", "null_std", "mi_corrected", "h_z", "h_y", "h_joint",
]

# Rough bytes of working memory per layer in a batch: the Gram matrix, its distance matrix,
# the joint product and a permuted B, each N×N. Batches are sized to stay under this budget.
_BATCH_BYTES = 1 << 30
_MATRICES_PER_ITEM = 4


def subsample(n_total: int, n_samples: Optional[int], rng: np.random.Generator) -> np.ndarray:
    """Sorted row indices: all rows when ``n_samples`` is None or >= ``n_total``, else a draw without replacement."""
    if n_samples is None or n_samples >= n_total:
        return np.arange(n_total)
    if n_samples < 2:
        raise ValueError(f"n_samples must be >= 2, got {n_samples}")
    return np.sort(rng.choice(n_total, size=n_samples, replace=False))


def layerwise_mi(
    layers: Sequence[ArrayLike],
    y: ArrayLike,
    *,
    n_samples: Optional[int],
    seeds: Sequence[int],
    permutations: int,
    increments: bool,
    kernel: str = "gaussian",
    sigma: K.Bandwidth = 1.0,
    alpha: float = 1.0,
    normalize: Optional[str] = "l2",
    base: float = 2.0,
    y_kernel: Optional[str] = None,
    device: Union[str, torch.device] = "auto",
    progress: Optional[Callable[[int, int], None]] = None,
    dtype: torch.dtype = torch.float64,
) -> pd.DataFrame:
    """Per-layer mutual information I(Z_l; Y) with subsampling seeds and a permutation null.

    ``layers`` holds L+1 arrays (N, d), layer 0 first; ``y`` is (N, d_y) (or a length-N label
    vector with ``y_kernel="delta"``). For each seed, ``rng = numpy.random.default_rng(seed)``
    draws ``n_samples`` rows (all rows when None or >= N), then ``permutations`` shuffles of
    those rows (0 disables the null: its columns are NaN). With ``increments``, also the
    gains I(ΔZ_l; Y), ΔZ_l = Z_l − Z_{l−1} for l >= 1 (quantity ``"gain"``; preprocessing,
    e.g. ℓ2 normalization, applies to ΔZ_l as to any representation). Estimator options are
    those of :func:`inforidge.mi.mutual_information`. ``progress(done, total)`` is called after
    each batch of layers. Returns one row per (quantity, layer, seed), ordered that way, with
    columns :data:`COLUMNS` (raw ``mi`` and entropies in log-``base`` units; ``mi_corrected`` =
    ``mi`` − ``null_mean``).
    """
    K.check_kernel(kernel)
    check_normalize(normalize)
    if kernel == "delta":
        raise ValueError("layers need a continuous kernel; the delta kernel is for the target (y_kernel)")
    if len(layers) < 1:
        raise ValueError("layers is empty")
    if permutations < 0:
        raise ValueError(f"permutations must be >= 0, got {permutations}")
    if len(seeds) < 1:
        raise ValueError("seeds is empty")
    dev = resolve_device(device)
    # Validate the full inputs once, where they are; rows are moved to `dev` after subsampling.
    zs = [as_samples(layer, f"layers[{i}]") for i, layer in enumerate(layers)]
    yt = as_samples(y, "y")
    check_same_n(*[(f"layers[{i}]", z) for i, z in enumerate(zs)], ("y", yt))
    n_total = yt.shape[0]
    same_width = len({z.shape[1] for z in zs}) == 1
    if increments and not same_width:
        raise ValueError("increments need all layers to have the same width d")
    y_kern = kernel if y_kernel is None else y_kernel

    # Jobs per seed: (quantity, layer, index of Z_l, index of Z_{l-1} or None).
    jobs: list[tuple[str, int, int, Optional[int]]] = [("mi", l, l, None) for l in range(len(zs))]
    if increments:
        jobs += [("gain", l, l, l - 1) for l in range(1, len(zs))]
    total = len(seeds) * len(jobs)
    done = 0
    records: list[dict[str, object]] = []

    for seed in seeds:
        rng = np.random.default_rng(seed)
        idx = subsample(n_total, n_samples, rng)
        n = len(idx)
        perms = [torch.as_tensor(rng.permutation(n), device=dev) for _ in range(permutations)]
        rows = {}  # layer index -> (n, d) rows of this seed on `dev`, in `dtype`

        def rows_of(i: int) -> torch.Tensor:
            if i not in rows:
                rows[i] = zs[i][torch.as_tensor(idx, device=zs[i].device)].to(dev, dtype)
            return rows[i]

        y_rows = yt[torch.as_tensor(idx, device=yt.device)].to(dev)
        _, b = side_of(y_rows, "y", kernel=y_kern, sigma=sigma, normalize=normalize, dtype=dtype)
        h_y = float(spectra.renyi_entropy(b.eigenvalues, alpha, base))

        for batch in _batches(jobs, n, dtype, batched=same_width):
            # (B, n, d): the representations of this batch (ΔZ_l for gains).
            x = torch.stack([rows_of(i) if prev is None else rows_of(i) - rows_of(prev) for _, _, i, prev in batch])
            x = prepare(x, kernel, normalize, dtype)
            if kernel in K.BANDWIDTH_KERNELS:
                sig = torch.tensor([K.resolve_sigma(xi, sigma) for xi in x], device=dev, dtype=dtype).view(-1, 1, 1)
            else:
                sig = torch.ones(len(batch), 1, 1, device=dev, dtype=dtype)
            a = make_side(x, kernel, sig, dtype)
            h_z = spectra.renyi_entropy(a.eigenvalues, alpha, base)  # (B,)
            h_joint = spectra.renyi_entropy(joint_spectrum(a, b, dtype), alpha, base)  # (B,)
            # (P, B): MI of each shuffle of Y against each layer of the batch.
            null = [h_z + h_y - spectra.renyi_entropy(joint_spectrum(a, permuted(b, p), dtype), alpha, base) for p in perms]
            for j, (quantity, layer, _, _) in enumerate(batch):
                mi = float(h_z[j]) + h_y - float(h_joint[j])
                if null:
                    summary = null_summary(mi, torch.stack([v[j] for v in null]))
                    null_mean, null_std, corrected = summary.null_mean, summary.null_std, summary.corrected
                else:
                    null_mean = null_std = corrected = math.nan
                records.append({
                    "quantity": quantity, "layer": layer, "seed": int(seed), "n": n, "mi": mi,
                    "null_mean": null_mean, "null_std": null_std, "mi_corrected": corrected,
                    "h_z": float(h_z[j]), "h_y": h_y, "h_joint": float(h_joint[j]),
                })
            done += len(batch)
            if progress is not None:
                progress(done, total)

    order = {"mi": 0, "gain": 1}
    records.sort(key=lambda r: (order[str(r["quantity"])], r["layer"], r["seed"]))
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    frame = frame.astype({"quantity": str, "layer": "int64", "seed": "int64", "n": "int64"})
    float_cols = [c for c in COLUMNS if c not in ("quantity", "layer", "seed", "n")]
    return frame.astype({c: "float64" for c in float_cols})


def _batches(
    jobs: list[tuple[str, int, int, Optional[int]]], n: int, dtype: torch.dtype, batched: bool
) -> list[list[tuple[str, int, int, Optional[int]]]]:
    """Split ``jobs`` into batches whose N×N working matrices fit the memory budget.

    Layers of different widths cannot be stacked, so ``batched=False`` gives one job per batch.
    """
    item_bytes = _MATRICES_PER_ITEM * n * n * torch.finfo(dtype).bits // 8
    size = max(1, _BATCH_BYTES // item_bytes) if batched else 1
    return [jobs[i : i + size] for i in range(0, len(jobs), size)]
