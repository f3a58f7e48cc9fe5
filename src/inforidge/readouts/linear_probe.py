"""Linear-probe read-out: how well each layer's state decodes the target class, cross-validated.

A multinomial logistic regression (softmax) Z_l → class, L2-regularised, fitted by L-BFGS
(strong Wolfe line search) in float64 on one torch thread (deterministic). Stratified K-fold:
every score is on the held-out fold, never on fitted rows. The penalty λ is chosen per fold
on validation data: with several candidates (``l2``), the next fold of the training folds is
held out, the probe is fitted along the candidates from the largest λ down (each fit
warm-started from the previous one), the λ with the smallest validation cross-entropy wins,
and the probe is refitted on all training folds at that λ from the validation fit's
solution. Per (site, layer, fold):

- ``accuracy``: held-out top-1 accuracy; ``chance_accuracy``: that of always predicting the
  training folds' majority class;
- ``ce_bits``: held-out cross-entropy −mean log₂ p(y | z) of the probe;
- ``h_y_bits``: held-out cross-entropy of the best input-free predictor, the training folds'
  class frequencies (add-one smoothed so a class absent from training has finite cost) —
  the empirical H_V(Y | ∅) of Xu et al. (2020), not the plug-in entropy of Y;
- ``v_info_bits`` = h_y_bits − ce_bits: predictive V-information I_V(Z → Y) for the linear
  family V (Xu, Zhao, Song, Stewart, Ermon 2020), in bits. It can be < 0 on held-out data
  (a probe worse than the class prior); with Z independent of Y its expectation is ≤ 0.

API for a stage: :func:`linear_probe_dump` (manifest, :class:`~inforidge.config.LinearProbeConfig`)
→ tidy frame with :data:`COLUMNS`; :func:`probe_layer` for one (N, d) array.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from inforidge import activations
from inforidge.config import LinearProbeConfig

#: Columns of one :func:`linear_probe_dump` frame.
COLUMNS = ["site", "layer", "fold", "fold_seed", "n_train", "n_test", "classes", "penalty", "accuracy",
           "chance_accuracy", "ce_bits", "h_y_bits", "v_info_bits"]
#: The meta column holding the target class (the first target token's id).
TARGET_COLUMN = "target_token_id"


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread (two on a busy 2-core machine are far slower), then restore."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def stratified_folds(labels: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold index (N,) per row: rows shuffled by ``default_rng(seed)``, then dealt round-robin per class."""
    perm = np.random.default_rng(seed).permutation(len(labels))
    order = perm[np.argsort(labels[perm], kind="stable")]  # shuffled within each class
    fold = np.empty(len(labels), dtype=np.int64)
    fold[order] = np.arange(len(labels)) % folds
    return fold


@dataclass(frozen=True)
class FoldScore:
    """Held-out scores of one fold (see the module docstring for each)."""

    n_train: int
    n_test: int
    penalty: float  # the λ chosen on validation data (the only candidate when there is one)
    accuracy: float
    chance_accuracy: float
    ce_bits: float
    h_y_bits: float

    @property
    def v_info_bits(self) -> float:
        return self.h_y_bits - self.ce_bits


Weights = tuple[torch.Tensor, torch.Tensor]  # W (d, C), b (C,)


#: Gradient tolerance of the fits along the penalty path: they only rank candidates by validation
#: cross-entropy, which a 1e-4 gradient moves by far less than the gaps between candidates; the
#: probe that is scored is refitted at FIT_TOLERANCE from the chosen candidate's solution.
PATH_TOLERANCE = 1e-4
FIT_TOLERANCE = 1e-6


def fit_softmax(x: torch.Tensor, y: torch.Tensor, classes: int, l2: float, max_iter: int,
                start: Weights | None = None, tolerance: float = FIT_TOLERANCE) -> Weights:
    """Weights W (d, C) and bias b (C,) minimizing mean CE(xW + b, y) + λ/2·‖W‖² (x (n, d), y (n,)).

    The problem is smooth and (for λ > 0) strictly convex: L-BFGS from ``start`` (zeros by
    default) to a gradient of ``tolerance`` per component (1e-6: far below what moves a
    held-out score).
    """
    w0, b0 = start if start is not None else (torch.zeros(x.shape[1], classes, dtype=x.dtype),
                                              torch.zeros(classes, dtype=x.dtype))
    w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([w, b], max_iter=max_iter, tolerance_grad=tolerance, tolerance_change=1e-10,
                            history_size=20, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ w + b, y) + 0.5 * l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach(), b.detach()


def _mean_ce(x: torch.Tensor, y: torch.Tensor, weights: Weights) -> float:
    return float(torch.nn.functional.cross_entropy(x @ weights[0] + weights[1], y))


def choose_penalty(x: torch.Tensor, y: torch.Tensor, fit: np.ndarray, validation: np.ndarray, classes: int,
                   settings: LinearProbeConfig, start: Weights | None = None) -> tuple[float, Weights]:
    """The candidate λ with the smallest validation cross-entropy, and its validation-fit weights.

    Candidates run from the largest λ down, each fit warm-started from the previous
    solution (a strong penalty's solution is close to a slightly weaker one's).
    """
    best: tuple[float, float, Weights] | None = None
    weights = start
    for l2 in sorted(settings.l2, reverse=True):
        weights = fit_softmax(x[fit], y[fit], classes, l2, settings.max_iter, weights, PATH_TOLERANCE)
        ce = _mean_ce(x[validation], y[validation], weights)
        if best is None or ce < best[0]:
            best = (ce, l2, weights)
    return best[1], best[2]


def score_fold(x: np.ndarray, labels: np.ndarray, fold: np.ndarray, k: int, classes: int,
               settings: LinearProbeConfig, start: Weights | None = None) -> tuple[FoldScore, Weights]:
    """Fit on the folds other than ``k`` (λ chosen on the next fold among them), score on fold ``k``.

    ``labels`` are 0..classes−1; ``start`` warm-starts the first fit (the previous fold's
    solution: the folds share most of their training rows). Returns the score and the
    fitted weights.
    """
    train = fold != k
    xt = torch.as_tensor(np.asarray(x, dtype=np.float64))  # (N, d)
    mean, std = xt[train].mean(0), xt[train].std(0).clamp_min(1e-12)  # training-fold statistics only
    xt = (xt - mean) / std
    yt = torch.as_tensor(labels)
    test = ~train
    if len(settings.l2) == 1:
        penalty = settings.l2[0]
    else:
        validation = fold == (k + 1) % settings.folds
        penalty, start = choose_penalty(xt, yt, train & ~validation, validation, classes, settings, start)
    w, b = fit_softmax(xt[train], yt[train], classes, penalty, settings.max_iter, start)
    log_p = torch.log_softmax(xt[test] @ w + b, dim=1)  # (n_test, C)
    y_test = yt[test]
    ce = float(-log_p[torch.arange(len(y_test)), y_test].mean()) / math.log(2)
    counts = np.bincount(labels[train], minlength=classes)
    prior = (counts + 1) / (counts.sum() + classes)  # add-one: unseen classes cost finite bits
    h_y = float(-np.log2(prior[labels[test]]).mean())
    accuracy = float((log_p.argmax(1) == y_test).double().mean())
    chance = float((labels[test] == counts.argmax()).mean())
    return FoldScore(int(train.sum()), int(test.sum()), penalty, accuracy, chance, ce, h_y), (w, b)


def probe_layer(x: np.ndarray, target: np.ndarray, settings: LinearProbeConfig) -> list[FoldScore]:
    """Cross-validated scores, one per fold, of a linear probe from ``x`` (N, d) to the classes ``target`` (N,)."""
    if len(x) != len(target):
        raise ValueError(f"x has {len(x)} rows, the target {len(target)}")
    if not np.isfinite(x).all():
        raise ValueError("x contains NaN or Inf values")
    _, labels = np.unique(target, return_inverse=True)
    classes = int(labels.max()) + 1
    if len(x) < settings.folds:
        raise ValueError(f"{len(x)} rows cannot be split into {settings.folds} folds")
    fold = stratified_folds(labels, settings.folds, settings.seed)
    scores, start = [], None
    with one_thread():
        for k in range(settings.folds):
            score, start = score_fold(x, labels, fold, k, classes, settings, start)
            scores.append(score)
    return scores


def linear_probe_dump(manifest: str | Path, settings: LinearProbeConfig) -> pd.DataFrame:
    """Tidy frame (:data:`COLUMNS`) for every site and layer of one activation dump.

    The class is the first target token (``meta.target_token_id``), the same Y the MI stage
    embeds; the folds (``fold_seed`` = ``settings.seed``) are shared by all layers and sites.
    """
    store = activations.open(Path(manifest))
    rows = slice(None, settings.max_examples)
    target = store.meta[TARGET_COLUMN].to_numpy()[rows]
    records = []
    for site in store.sites:
        for layer in store.layers(site):
            x = np.asarray(store.array(site, layer), dtype=np.float64)[rows]
            for k, s in enumerate(probe_layer(x, target, settings)):
                records.append({"site": site, "layer": int(layer), "fold": k, "fold_seed": settings.seed,
                                "n_train": s.n_train, "n_test": s.n_test, "classes": int(len(np.unique(target))), "penalty": s.penalty,
                                "accuracy": s.accuracy, "chance_accuracy": s.chance_accuracy, "ce_bits": s.ce_bits,
                                "h_y_bits": s.h_y_bits, "v_info_bits": s.v_info_bits})
    return pd.DataFrame.from_records(records, columns=COLUMNS)
