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
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Optional, Sequence, Union

import numpy as np
import pandas as pd
import torch

from inforidge.core.devices import resolve_device
from inforidge.mi.estimators import (
    ArrayLike,
    Side,
    as_samples,
    check_same_n,
    joint_entropy,
    make_side,
    null_summary,
    permuted,
    prepare,
    side_entropy,
    side_of,
)
from inforidge.mi.settings import EstimatorSettings, settings_of

#: Columns of one ``layerwise_mi`` frame; docs/mi.md and the ``mi`` table say what each estimates.
COLUMNS = [
    "quantity", "layer", "seed", "n", "mi", "null_mean", "null_std", "mi_excess", "mi_z", "p_value",
    "h_z", "h_y", "h_joint",
]
#: The null columns: NaN when permutations = 0.
NULL_COLUMNS = ("null_mean", "null_std", "mi_excess", "mi_z", "p_value")

# Rough bytes of working memory per layer in a batch: the Gram matrix, its distance matrix,
# the joint product and a permuted B, each N×N. Batches are sized to stay under this budget.
_BATCH_BYTES = 1 << 30
_MATRICES_PER_ITEM = 4


@dataclass(frozen=True)
class Sampling:
    """Which rows each estimate uses, and how many shuffles its permutation null gets.

    ``scheme="disjoint"`` (default): the N rows are shuffled once (``default_rng(partition_seed)``)
    and cut into ``len(seeds)`` disjoint blocks of n = min(``n_samples``, N // len(seeds)) rows
    (``n_samples`` None: N // len(seeds)); the k-th seed takes block k. Estimates of different
    seeds are then independent draws, so their spread is an honest band.
    ``scheme="random"``: each seed draws ``n_samples`` rows without replacement on its own
    (the subsamples overlap; their spread understates the sampling error).
    Per seed, ``default_rng(seed)`` draws the ``permutations`` shuffles (after the rows, for
    ``random``); 0 disables the null.
    """

    n_samples: Optional[int] = 256
    seeds: Sequence[int] = field(default_factory=lambda: [0])
    permutations: int = 50
    scheme: Literal["disjoint", "random"] = "disjoint"
    partition_seed: int = 0

    def __post_init__(self) -> None:
        if self.permutations < 0:
            raise ValueError(f"permutations must be >= 0, got {self.permutations}")
        if len(self.seeds) < 1:
            raise ValueError("seeds is empty")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct, got {list(self.seeds)}")
        if self.n_samples is not None and self.n_samples < 2:
            raise ValueError(f"n_samples must be >= 2, got {self.n_samples}")
        if self.scheme not in ("disjoint", "random"):
            raise ValueError(f"scheme must be 'disjoint' or 'random', got {self.scheme!r}")

    def subsamples(self, n_total: int) -> list[tuple[int, np.ndarray, np.random.Generator]]:
        """Per seed: (seed, sorted row indices, the generator that then draws its shuffles)."""
        if self.scheme == "random":
            out = []
            for seed in self.seeds:
                rng = np.random.default_rng(seed)
                out.append((int(seed), subsample(n_total, self.n_samples, rng), rng))
            return out
        size = n_total // len(self.seeds)
        if self.n_samples is not None:
            size = min(size, self.n_samples)
        if size < 2:
            raise ValueError(f"{n_total} rows cannot give {len(self.seeds)} disjoint subsamples of >= 2 rows")
        order = np.random.default_rng(self.partition_seed).permutation(n_total)
        return [(int(seed), np.sort(order[k * size:(k + 1) * size]), np.random.default_rng(seed))
                for k, seed in enumerate(self.seeds)]


def subsample(n_total: int, n_samples: Optional[int], rng: np.random.Generator) -> np.ndarray:
    """Sorted row indices: all rows when ``n_samples`` is None or >= ``n_total``, else a draw without replacement."""
    if n_samples is None or n_samples >= n_total:
        return np.arange(n_total)
    if n_samples < 2:
        raise ValueError(f"n_samples must be >= 2, got {n_samples}")
    return np.sort(rng.choice(n_total, size=n_samples, replace=False))


def estimate_record(quantity: str, layer: int, seed: int, n: int, h_z: float, h_y: float, h_joint: float,
                    null: Optional[torch.Tensor]) -> dict[str, Any]:
    """One row of :data:`COLUMNS`: the raw estimate, its permutation test (``null`` (P,) or None) and entropies."""
    mi = h_z + h_y - h_joint
    record: dict[str, Any] = {"quantity": quantity, "layer": layer, "seed": int(seed), "n": n, "mi": mi,
                              "h_z": h_z, "h_y": h_y, "h_joint": h_joint}
    if null is None or null.numel() == 0:
        return {**record, **{c: math.nan for c in NULL_COLUMNS}}
    test = null_summary(mi, null)
    return {**record, "null_mean": test.null_mean, "null_std": test.null_std, "mi_excess": test.excess,
            "mi_z": test.z, "p_value": test.p_value}


def layerwise_mi(
    layers: Sequence[ArrayLike],
    y: ArrayLike,
    settings: Optional[EstimatorSettings] = None,
    *,
    sampling: Sampling,
    increments: bool,
    device: Union[str, torch.device] = "auto",
    progress: Optional[Callable[[int, int], None]] = None,
    **overrides: Any,
) -> pd.DataFrame:
    """Per-layer mutual information I(Z_l; Y) with subsamples and a permutation test.

    ``layers`` holds L+1 arrays (N, d), layer 0 first; ``y`` is (N, d_y) (or a length-N label
    vector with ``y_kernel="delta"``). ``sampling`` gives the rows of each seed and the
    shuffles (:class:`Sampling`); every layer of a seed uses the same rows and shuffles. With
    ``increments``, also the gains I(ΔZ_l; Y), ΔZ_l = Z_l − Z_{l−1} for l >= 1 (quantity
    ``"gain"``; preprocessing, e.g. ℓ2 normalization, applies to ΔZ_l as to any
    representation). ``settings`` (or keyword overrides of its fields) are the estimator's.
    ``progress(done, total)`` is called after each batch of layers. Returns one row per
    (quantity, layer, seed), ordered that way, with columns :data:`COLUMNS` (log-``base``
    units): raw ``mi``; ``null_mean``/``null_std`` over the shuffles; ``mi_excess`` = mi −
    null_mean; ``mi_z`` = mi_excess / null_std; ``p_value`` = (1 + #null ≥ mi)/(1 + P).
    """
    s = settings_of(settings, overrides)
    if s.z_kernel.labels:
        raise ValueError("layers need a continuous kernel; the delta kernel is for the target (y_kernel)")
    if len(layers) < 1:
        raise ValueError("layers is empty")
    dev = resolve_device(device)
    # Validate the full inputs once, where they are; rows are moved to `dev` after subsampling.
    zs = [as_samples(layer, f"layers[{i}]") for i, layer in enumerate(layers)]
    yt = as_samples(y, "y")
    check_same_n(*[(f"layers[{i}]", z) for i, z in enumerate(zs)], ("y", yt))
    same_width = len({z.shape[1] for z in zs}) == 1
    if increments and not same_width:
        raise ValueError("increments need all layers to have the same width d")

    # Jobs per seed: (quantity, layer, index of Z_l, index of Z_{l-1} or None).
    jobs: list[tuple[str, int, int, Optional[int]]] = [("mi", l, l, None) for l in range(len(zs))]
    if increments:
        jobs += [("gain", l, l, l - 1) for l in range(1, len(zs))]
    draws = sampling.subsamples(yt.shape[0])
    total, done = len(draws) * len(jobs), 0
    records: list[dict[str, Any]] = []

    for seed, idx, rng in draws:
        n = len(idx)
        perms = [torch.as_tensor(rng.permutation(n), device=dev) for _ in range(sampling.permutations)]
        rows: dict[int, torch.Tensor] = {}  # layer index -> (n, d) rows of this seed on `dev`, in dtype

        def rows_of(i: int) -> torch.Tensor:
            if i not in rows:
                rows[i] = zs[i][torch.as_tensor(idx, device=zs[i].device)].to(dev, s.dtype)
            return rows[i]

        _, b = side_of(yt[torch.as_tensor(idx, device=yt.device)].to(dev), "y", s.target_kernel, s)
        h_y = float(side_entropy(b, s))
        for batch in _batches(jobs, n, s.dtype, batched=same_width):
            # (B, n, d): the representations of this batch (ΔZ_l for gains).
            x = torch.stack([rows_of(i) if prev is None else rows_of(i) - rows_of(prev) for _, _, i, prev in batch])
            a = make_side(prepare(x, s.z_kernel, s), s.z_kernel, s)
            records += _batch_records(batch, seed, n, a, b, h_y, perms, s)
            done += len(batch)
            if progress is not None:
                progress(done, total)

    order = {"mi": 0, "gain": 1}
    records.sort(key=lambda r: (order[str(r["quantity"])], r["layer"], r["seed"]))
    return typed_frame(records)


def _batch_records(batch: list[tuple[str, int, int, Optional[int]]], seed: int, n: int, a: Side, b: Side, h_y: float,
                   perms: list[torch.Tensor], s: EstimatorSettings) -> list[dict[str, Any]]:
    """Rows of one batch of layers A (B, n, n) against Y's side ``b`` and the seed's shuffles."""
    h_z = side_entropy(a, s)  # (B,)
    h_joint = joint_entropy(a, b, s)  # (B,)
    # (P, B): MI of each shuffle of Y against each layer of the batch.
    null = torch.stack([h_z + h_y - joint_entropy(a, permuted(b, p), s) for p in perms]) if perms else None
    return [estimate_record(quantity, layer, seed, n, float(h_z[j]), h_y, float(h_joint[j]),
                            None if null is None else null[:, j])
            for j, (quantity, layer, _, _) in enumerate(batch)]


def typed_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Records of :data:`COLUMNS` as a frame with the declared dtypes (ints for keys, float64 values)."""
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    frame = frame.astype({"quantity": str, "layer": "int64", "seed": "int64", "n": "int64"})
    return frame.astype({c: "float64" for c in COLUMNS if c not in ("quantity", "layer", "seed", "n")})


def _batches(
    jobs: list[tuple[str, int, int, Optional[int]]], n: int, dtype: torch.dtype, batched: bool
) -> list[list[tuple[str, int, int, Optional[int]]]]:
    """Split ``jobs`` into batches whose N×N working matrices fit the memory budget.

    Layers of different widths cannot be stacked, so ``batched=False`` gives one job per batch.
    """
    item_bytes = _MATRICES_PER_ITEM * n * n * torch.finfo(dtype).bits // 8
    size = max(1, _BATCH_BYTES // item_bytes) if batched else 1
    return [jobs[i : i + size] for i in range(0, len(jobs), size)]
