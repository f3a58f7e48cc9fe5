"""Linear-probe read-out: how well each layer's state decodes the target class, cross-validated.

A multinomial logistic regression (softmax) Z_l → class, L2-regularised, fitted by L-BFGS in
float64 on one torch thread (deterministic); the (site, layer) arrays of a dump share rows,
labels and folds, so each fold's fits run as one batch (:mod:`._lbfgs`: every array keeps its
own curvature history, line search and stopping rule, so its probe is the one it would get
alone; the batch shares the per-iteration overhead). Stratified K-fold:
every score is on the held-out fold, never on fitted rows. The penalty λ is chosen per fold
on validation data: with several candidates (``l2``), the next fold of the training folds is
held out, the probe is fitted along the candidates from the largest λ down (each fit
warm-started from the previous one), the λ with the smallest validation cross-entropy wins,
and the probe is refitted on all training folds at that λ from the validation fit's
solution. Per (site, layer, fold):

- ``accuracy``: held-out top-1 accuracy; ``chance_accuracy``: that of always predicting the
  training folds' majority class;
- ``ce_bits``: held-out cross-entropy −mean log₂ p(y | z) of the probe; a class absent from the
  training folds (fewer rows than folds, common in OOD splits) is outside the softmax and gets
  the add-one mass 1/(n_train + C) of ``h_y_bits``' predictor (:func:`class_log_probs`);
- ``h_y_bits``: held-out cross-entropy of the best input-free predictor, the training folds'
  class frequencies (add-one smoothed so a class absent from training has finite cost) —
  the empirical H_V(Y | ∅) of Xu et al. (2020), not the plug-in entropy of Y;
- ``v_info_bits`` = h_y_bits − ce_bits: predictive V-information I_V(Z → Y) for the linear
  family V (Xu, Zhao, Song, Stewart, Ermon 2020), in bits. It can be < 0 on held-out data
  (a probe worse than the class prior); with Z independent of Y its expectation is ≤ 0.

API for a stage: :func:`linear_probe_dump` (manifest, :class:`~inforidge.config.LinearProbeConfig`)
→ tidy frame with :data:`COLUMNS`; :func:`probe_layers` for P (N, d) arrays of the same rows,
:func:`probe_layer` for one.
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
from inforidge.readouts import _lbfgs

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


Weights = tuple[torch.Tensor, torch.Tensor]  # W (P, d, C), b (P, C): one probe per problem


#: Gradient tolerance of the fits along the penalty path: they only rank candidates by validation
#: cross-entropy, which a 1e-4 gradient moves by far less than the gaps between candidates; the
#: probe that is scored is refitted at FIT_TOLERANCE from the chosen candidate's solution.
PATH_TOLERANCE = 1e-4
FIT_TOLERANCE = 1e-6
#: Float64 elements of activations probed together (128 MiB): a dump's (site, layer) arrays are
#: batched up to this size, so a wide, deep dump does not hold all its layers at once (a fold's
#: fits hold a few copies of the batch: standardized, the fit rows and their transpose).
BATCH_ELEMENTS = 1 << 24


class SoftmaxLoss:
    """Mean CE(x W + b, y) + λ/2·‖W‖² of P problems, θ = [W; b] flattened (the :mod:`._lbfgs` objective).

    The gradient is closed-form (no autograd): (xᵀ softmax(xW + b) − xᵀ onehot(y))/n + λ[W; 0],
    with xᵀ onehot(y) computed once. The softmax runs over the classes the fit rows hold (see
    :func:`class_log_probs`): an absent class's unpenalized bias would otherwise have no
    optimum and drift down for as long as the fit ran. The loss is summed row by row (log-sum-exp − target logit,
    each >= 0), so it keeps its relative precision as it nears 0 on separable data.
    """

    def __init__(self, x: torch.Tensor, onehot: torch.Tensor, l2: torch.Tensor,
                 x_onehot: torch.Tensor | None = None) -> None:
        self.x = x  # (P, n, d + 1): features and a column of ones (the bias)
        self.xt = x.transpose(1, 2).contiguous()  # (P, d + 1, n)
        self.onehot = onehot  # (n, C)
        self.x_onehot = torch.matmul(self.xt, onehot) if x_onehot is None else x_onehot  # (P, d + 1, C)
        self.l2 = l2  # (P,)
        self.unseen = unseen_mask(onehot.sum(0) > 0)  # (C,): 0, or −inf for a class no fit row has

    def __call__(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        p, n, d1 = self.x.shape
        w = theta.view(p, d1, -1)  # (P, d + 1, C); the last row is the bias (not penalized)
        logits = torch.bmm(self.x, w)  # (P, n, C)
        masked = logits + self.unseen  # unseen classes: no mass, so no gradient on their bias
        top = masked.amax(2, keepdim=True)  # (P, n, 1): shift for a safe exp
        e = torch.exp(masked - top)
        total = e.sum(2, keepdim=True)
        ce = top.squeeze(2) + torch.log(total.squeeze(2)) - (logits * self.onehot).sum(2)  # (P, n): row by row
        weights = w[:, :-1]
        loss = ce.mean(1) + 0.5 * self.l2 * (weights * weights).sum((1, 2))
        grad = torch.bmm(self.xt, e / total).sub_(self.x_onehot).div_(n)  # (P, d + 1, C)
        grad[:, :-1] += self.l2[:, None, None] * weights
        return loss, grad.view(p, -1)

    def take(self, index: torch.Tensor) -> SoftmaxLoss:
        return SoftmaxLoss(self.x[index], self.onehot, self.l2[index], self.x_onehot[index])


def fit_softmax(x: torch.Tensor, y: torch.Tensor, classes: int, l2: torch.Tensor | float, max_iter: int,
                start: Weights | None = None, tolerance: float = FIT_TOLERANCE) -> Weights:
    """Per problem p, W (d, C) and b (C,) minimizing mean CE(x_p W + b, y) + λ_p/2·‖W‖² (x (P, n, d), y (n,)).

    The problem is smooth and (for λ > 0) strictly convex: batched L-BFGS (:mod:`._lbfgs`,
    every problem with its own history, step and stopping rule) from ``start`` (zeros by
    default) to a gradient of ``tolerance`` per component (1e-6: far below what moves a
    held-out score) or ``max_iter`` iterations.
    """
    p, n, d = x.shape
    if start is None:
        theta0 = torch.zeros(p, (d + 1) * classes, dtype=x.dtype)
    else:
        theta0 = torch.cat([start[0], start[1][:, None]], 1).reshape(p, -1)  # (P, (d + 1)·C)
    xb = torch.cat([x, torch.ones(p, n, 1, dtype=x.dtype)], 2)  # (P, n, d + 1)
    onehot = torch.nn.functional.one_hot(y, classes).to(x.dtype)  # (n, C)
    penalty = torch.as_tensor(l2, dtype=x.dtype).expand(p).clone()
    theta = _lbfgs.minimize(SoftmaxLoss(xb, onehot, penalty), theta0, tolerance, max_iter).theta
    w = theta.view(p, d + 1, classes)
    return w[:, :d].contiguous(), w[:, d].contiguous()


def unseen_mask(seen: torch.Tensor) -> torch.Tensor:
    """Additive logit mask (C,): 0 for a class in ``seen`` (C,) bool, −inf for one the fit never saw."""
    return torch.zeros(seen.shape, dtype=torch.float64).masked_fill_(~seen, -math.inf)


def class_log_probs(x: torch.Tensor, weights: Weights, counts: np.ndarray) -> torch.Tensor:
    """log p(class | x) (P, n, C) of each problem's probe on its x (P, n, d), fitted on rows with class ``counts`` (C,).

    A class absent from the fit rows gets the add-one mass the input-free predictor gives it
    (``h_y_bits``), 1/(n_fit + C), and the seen classes share the rest by the softmax. So a
    held-out row of an unseen class costs both predictors the same, and its cost is defined by
    the data, not by how long the fit ran.
    """
    seen = torch.as_tensor(counts > 0)
    unseen_mass = 1.0 / (counts.sum() + len(counts))
    seen_log = torch.log_softmax(torch.baddbmm(weights[1][:, None], x, weights[0]) + unseen_mask(seen), dim=2)
    rest = math.log1p(-unseen_mass * int((~seen).sum()))
    return torch.where(seen, seen_log + rest, math.log(unseen_mass))


def _mean_ce(x: torch.Tensor, y: torch.Tensor, weights: Weights, counts: np.ndarray) -> torch.Tensor:
    """Mean cross-entropy [nats] (P,) of each problem's probe on (x (P, n, d), y (n,))."""
    return -class_log_probs(x, weights, counts)[:, torch.arange(len(y)), y].mean(1)


def choose_penalty(x: torch.Tensor, y: torch.Tensor, fit: np.ndarray, validation: np.ndarray, classes: int,
                   settings: LinearProbeConfig, start: Weights | None = None) -> tuple[torch.Tensor, Weights]:
    """Per problem, the candidate λ (P,) with the smallest validation cross-entropy, and its validation-fit weights.

    Candidates run from the largest λ down, each fit warm-started from the previous
    solution (a strong penalty's solution is close to a slightly weaker one's). Every
    problem keeps its own best (ties: the larger λ, the first seen).
    """
    x_fit, y_fit, x_val, y_val = x[:, fit], y[fit], x[:, validation], y[validation]
    fit_counts = np.bincount(y_fit.numpy(), minlength=classes)
    best_ce = torch.full((x.shape[0],), math.inf, dtype=x.dtype)
    best_l2 = torch.zeros_like(best_ce)
    best_w = best_b = None
    weights = start
    for l2 in sorted(settings.l2, reverse=True):
        weights = fit_softmax(x_fit, y_fit, classes, l2, settings.max_iter, weights, PATH_TOLERANCE)
        ce = _mean_ce(x_val, y_val, weights, fit_counts)  # (P,)
        better = ce < best_ce
        best_ce, best_l2 = torch.where(better, ce, best_ce), torch.where(better, l2, best_l2)
        if best_w is None:
            best_w, best_b = weights[0].clone(), weights[1].clone()
        else:
            best_w[better], best_b[better] = weights[0][better], weights[1][better]
    return best_l2, (best_w, best_b)


def score_fold(x: torch.Tensor, labels: np.ndarray, fold: np.ndarray, k: int, classes: int,
               settings: LinearProbeConfig, start: Weights | None = None) -> tuple[list[FoldScore], Weights]:
    """Fit on the folds other than ``k`` (λ chosen on the next fold among them), score on fold ``k``.

    ``x`` (P, N, d) holds P problems on the same rows; ``labels`` are 0..classes−1;
    ``start`` warm-starts the first fit (the previous fold's solutions: the folds share
    most of their training rows). Returns one score per problem and the fitted weights.
    """
    train = fold != k
    mean, std = x[:, train].mean(1, keepdim=True), x[:, train].std(1, keepdim=True).clamp_min(1e-12)
    xt = (x - mean) / std  # standardized on the training folds' statistics only
    yt = torch.as_tensor(labels)
    test = ~train
    if len(settings.l2) == 1:
        penalty = torch.full((x.shape[0],), settings.l2[0], dtype=x.dtype)
    else:
        validation = fold == (k + 1) % settings.folds
        penalty, start = choose_penalty(xt, yt, train & ~validation, validation, classes, settings, start)
    weights = fit_softmax(xt[:, train], yt[train], classes, penalty, settings.max_iter, start)
    counts = np.bincount(labels[train], minlength=classes)
    log_p = class_log_probs(xt[:, test], weights, counts)  # (P, n_test, C)
    y_test = yt[test]
    ce = (-log_p[:, torch.arange(len(y_test)), y_test].mean(1) / math.log(2)).tolist()
    accuracy = (log_p.argmax(2) == y_test).double().mean(1).tolist()
    prior = (counts + 1) / (counts.sum() + classes)  # add-one: unseen classes cost finite bits
    h_y = float(-np.log2(prior[labels[test]]).mean())
    chance = float((labels[test] == counts.argmax()).mean())
    n_train, n_test = int(train.sum()), int(test.sum())
    scores = [FoldScore(n_train, n_test, float(penalty[i]), accuracy[i], chance, ce[i], h_y) for i in range(len(ce))]
    return scores, weights


def probe_layers(xs: np.ndarray, target: np.ndarray, settings: LinearProbeConfig) -> list[list[FoldScore]]:
    """Cross-validated scores [problem][fold] of linear probes from each of ``xs`` (P, N, d) to ``target`` (N,).

    The P arrays share the rows, labels and folds; each is probed exactly as by
    :func:`probe_layer` alone, the fits of one fold batched (:mod:`._lbfgs`).
    """
    if xs.shape[1] != len(target):
        raise ValueError(f"x has {xs.shape[1]} rows, the target {len(target)}")
    if not np.isfinite(xs).all():
        raise ValueError("x contains NaN or Inf values")
    _, labels = np.unique(target, return_inverse=True)
    classes = int(labels.max()) + 1
    if len(target) < settings.folds:
        raise ValueError(f"{len(target)} rows cannot be split into {settings.folds} folds")
    fold = stratified_folds(labels, settings.folds, settings.seed)
    x = torch.as_tensor(np.asarray(xs, dtype=np.float64))  # (P, N, d)
    scores: list[list[FoldScore]] = [[] for _ in range(x.shape[0])]
    start = None
    with one_thread():
        for k in range(settings.folds):
            fold_scores, start = score_fold(x, labels, fold, k, classes, settings, start)
            for per_problem, score in zip(scores, fold_scores):
                per_problem.append(score)
    return scores


def probe_layer(x: np.ndarray, target: np.ndarray, settings: LinearProbeConfig) -> list[FoldScore]:
    """Cross-validated scores, one per fold, of a linear probe from ``x`` (N, d) to the classes ``target`` (N,)."""
    return probe_layers(np.asarray(x)[None], target, settings)[0]


def linear_probe_dump(manifest: str | Path, settings: LinearProbeConfig) -> pd.DataFrame:
    """Tidy frame (:data:`COLUMNS`) for every site and layer of one activation dump.

    The class is the first target token (``meta.target_token_id``), the same Y the MI stage
    embeds; the folds (``fold_seed`` = ``settings.seed``) are shared by all layers and sites.
    """
    store = activations.open(Path(manifest))
    rows = slice(None, settings.max_examples)
    target = store.meta[TARGET_COLUMN].to_numpy()[rows]
    classes = int(len(np.unique(target)))
    records = []
    for batch in _batches(store, len(target)):
        xs = np.stack([np.asarray(store.array(site, layer), dtype=np.float64)[rows] for site, layer in batch])
        for (site, layer), scores in zip(batch, probe_layers(xs, target, settings)):
            for k, s in enumerate(scores):
                records.append({"site": site, "layer": int(layer), "fold": k, "fold_seed": settings.seed,
                                "n_train": s.n_train, "n_test": s.n_test, "classes": classes, "penalty": s.penalty,
                                "accuracy": s.accuracy, "chance_accuracy": s.chance_accuracy, "ce_bits": s.ce_bits,
                                "h_y_bits": s.h_y_bits, "v_info_bits": s.v_info_bits})
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def _batches(store: activations.ActivationStore, rows: int) -> list[list[tuple[str, int]]]:
    """The dump's (site, layer) arrays in order, grouped into runs of equal width of <= BATCH_ELEMENTS float64s."""
    batches: list[list[tuple[str, int]]] = []
    size = 0
    for site in store.sites:
        for layer in store.layers(site):
            width = store.width(site, layer)
            elements = rows * width
            if batches and store.width(*batches[-1][0]) == width and size + elements <= BATCH_ELEMENTS:
                batches[-1].append((site, layer))
                size += elements
            else:
                batches.append([(site, layer)])
                size = elements
    return batches
