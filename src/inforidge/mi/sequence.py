"""The sequence kernel: MI between whole state sequences and target sequences (docs/multitoken.md).

K_seq(i, j) = (1/T) Σ_t K̃_t(i, j), K̃_t the unit-diagonal step-t kernel matrix. Rows and
shuffles are drawn by the same :class:`~inforidge.mi.layerwise.Sampling` as the per-token
estimates, so every step, every layer and the sequence kernel use the same examples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, Union

import pandas as pd
import torch

from inforidge.core.devices import resolve_device
from inforidge.mi import kernels as K
from inforidge.mi import spectra
from inforidge.mi.estimators import ArrayLike, Side, as_samples, bandwidth, joint_entropy, permuted, prepare, side_entropy
from inforidge.mi.layerwise import Sampling, estimate_record, typed_frame
from inforidge.mi.settings import EstimatorSettings, settings_of


def sequence_gram(steps: Sequence[torch.Tensor], settings: EstimatorSettings) -> torch.Tensor:
    """Trace-normalized sequence-kernel matrix A = (1/T) Σ_t unit_trace(K_t) (n, n).

    ``steps`` holds T sample matrices (n, d), one per decoding step, rows aligned (row i is
    example i at every step). Each step is preprocessed and its bandwidth resolved on its
    own (a rule such as ``median`` adapts to each step's spread); a mean of unit-diagonal
    PSD matrices is unit-diagonal and PSD, so A is a valid trace-1 Gram matrix.
    """
    total: Optional[torch.Tensor] = None
    for x in steps:
        x = prepare(x, settings.z_kernel, settings)  # (n, d)
        a = K.unit_trace(K.gram(x, settings.z_kernel, bandwidth(x, settings.z_kernel, settings)))  # (n, n), tr = 1
        total = a if total is None else total + a
    if total is None:
        raise ValueError("sequence kernel needs at least one decoding step")
    return total / len(steps)


def _side(gram: torch.Tensor, s: EstimatorSettings) -> Side:
    return Side(gram, None, spectra.spectrum(gram, s.dtype) if s.exact_alpha is None else None)


def sequence_mi(
    layers: Sequence[Sequence[ArrayLike]],
    targets: Sequence[ArrayLike],
    settings: Optional[EstimatorSettings] = None,
    *,
    sampling: Sampling,
    device: Union[str, torch.device] = "auto",
    **overrides: Any,
) -> pd.DataFrame:
    """Per-layer MI between state sequences and target sequences under the sequence kernel.

    ``layers[l][t]`` is Z_l^(t+1) (N, d) and ``targets[t]`` is Y^(t+1) (N, d_y), t = 0..T−1.
    Both sides use :func:`sequence_gram` with the same kernel; I = S(A) + S(B) − S(A∘B/tr).
    Rows and shuffles per seed come from ``sampling`` exactly as in
    :func:`~inforidge.mi.layerwise.layerwise_mi`. Returns one row per (layer, seed) with the
    columns of ``layerwise_mi`` (quantity ``sequence``).
    """
    s = settings_of(settings, overrides)
    if s.z_kernel.labels:
        raise ValueError("the sequence kernel needs a continuous kernel, not delta")
    if not layers or not targets or any(len(steps) != len(targets) for steps in layers):
        raise ValueError(f"every layer needs one array per decoding step ({len(targets)} target steps)")
    dev = resolve_device(device)
    ys = [as_samples(y, f"targets[{t}]") for t, y in enumerate(targets)]
    n_total = ys[0].shape[0]
    records = []
    for seed, idx, rng in sampling.subsamples(n_total):
        n = len(idx)
        perms = [torch.as_tensor(rng.permutation(n), device=dev) for _ in range(sampling.permutations)]
        rows = torch.as_tensor(idx)

        def take(x: ArrayLike, name: str) -> torch.Tensor:
            t = as_samples(x, name)
            if t.shape[0] != n_total:
                raise ValueError(f"{name} has {t.shape[0]} rows, the targets {n_total}")
            return t[rows.to(t.device)].to(dev)

        b = _side(sequence_gram([y[rows.to(y.device)].to(dev) for y in ys], s), s)
        h_y = float(side_entropy(b, s))
        for layer, steps in enumerate(layers):
            a = _side(sequence_gram([take(z, f"layers[{layer}][{t}]") for t, z in enumerate(steps)], s), s)
            h_z = float(side_entropy(a, s))
            null = torch.stack([h_z + h_y - joint_entropy(a, permuted(b, p), s) for p in perms]) if perms else None
            records.append(estimate_record("sequence", layer, seed, n, h_z, h_y, float(joint_entropy(a, b, s)), null))
    return typed_frame(records)
