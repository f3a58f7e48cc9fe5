"""Full-vocabulary softmax moments of a frozen linear head, computed tile by tile.

Every vocabulary-sized quantity the probes need is a moment of p = softmax(x Mᵀ) for a
frozen matrix M [V, k] (the LM head's weight, with its bias as an extra column): the
log-normaliser lse(x) = log Σ_v exp(x·M_v), its gradient E_p[M] = pᵀM (the tuned lens's
KL and the residual-scaling cross-entropy need nothing else of p), and the argmax for
accuracy. ``softmax_moments`` computes them in one sweep: per tile the logits x Mᵀ, one
in-place exp, and one matmul of the exps with [M, 1] (the last column is Σ exp): three
passes over the tile where autograd's ``logsumexp`` + backward made about eight (max,
subtract, exp, sum, log, and again exp and a subtraction in the backward, then the matmul),
and one tile buffer serves a whole sweep.

The exps are not shifted by the row maximum: a logit above ~88 or a row with every logit
below ~−87 would overflow or underflow float32, so such rows (Σ exp not finite or below
``_SAFE_LOW``) are recomputed with the shift. That is exact, not an approximation: the
shift cancels in the moments.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import torch
from torch import nn

#: Rows whose unshifted Σ exp is below this are recomputed with the max shift (float32's
#: normal range ends at 1.2e-38; a margin keeps the smallest exps out of the denormals).
_SAFE_LOW = 1e-30


@dataclass(frozen=True)
class HeadMatrix:
    """A frozen head as one float32 matrix: ``weight`` [V, k] = [W, b] (b: the bias column, if any).

    ``augmented`` is [V, k + 1] = [weight, 1], so that exps @ augmented yields Σ exp too;
    ``weight`` is a view of it (a real head is ~25 MB: one copy, built once per head).
    """

    weight: torch.Tensor
    augmented: torch.Tensor

    @classmethod
    def of(cls, head: nn.Module) -> HeadMatrix:
        """The matrix of ``head``'s weight (and bias) in float32, detached; cached per head until its weights change."""
        key = tuple((t._version, t.data_ptr(), t.dtype) for t in (head.weight, head.bias) if t is not None)
        cached = _MATRICES.get(head)
        if cached is not None and cached[0] == key:
            return cached[1]
        matrix = cls._build(head)
        _MATRICES[head] = (key, matrix)
        return matrix

    @classmethod
    def _build(cls, head: nn.Module) -> HeadMatrix:
        weight = head.weight.detach()
        columns = [weight.float()]
        if head.bias is not None:
            columns.append(head.bias.detach().float()[:, None])
        columns.append(torch.ones(weight.shape[0], 1, dtype=torch.float32, device=weight.device))
        augmented = torch.cat(columns, dim=1)
        return cls(augmented[:, :-1], augmented)  # one copy of the head: ``weight`` is a view

    def inputs(self, hidden: torch.Tensor, bias_scale: torch.Tensor | float = 1.0) -> torch.Tensor:
        """hidden [n, d] as the matrix's inputs: with a bias, a last column of ``bias_scale`` (1, or 1/T)."""
        if self.weight.shape[1] == hidden.shape[1]:
            return hidden
        column = torch.ones(hidden.shape[0], 1, dtype=hidden.dtype, device=hidden.device) * bias_scale
        return torch.cat([hidden, column], dim=1)


#: Built matrices per head module (a copy of a real head is ~25 MB: not rebuilt per call).
_MATRICES: weakref.WeakKeyDictionary[nn.Module, tuple[tuple, HeadMatrix]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Moments:
    """Per row of x: ``lse`` [n], ``mean`` = E_p[M] [n, k] (None unless asked), ``argmax`` [n] (None unless asked)."""

    lse: torch.Tensor
    mean: torch.Tensor | None
    argmax: torch.Tensor | None


#: One tile of logits: at most this many rows × ``TILE_ELEMENTS // rows`` vocabulary entries
#: (2^18 float32 = 1 MiB: the tile, its slice of M and the running sums stay in a core's L2
#: cache, so the exp and the second matmul read the logits from cache, not from memory;
#: measured 1.9x faster per row than whole-vocabulary rows of 16 MiB, benchmarks/README-probes.md).
TILE_ROWS, TILE_ELEMENTS = 256, 2**18


@torch.no_grad()
def softmax_moments(x: torch.Tensor, head: HeadMatrix, *, mean: bool = True, argmax: bool = False) -> Moments:
    """Moments of softmax(x Mᵀ) for x [n, k] (k = the matrix's columns), tile by tile (``TILE_ELEMENTS``)."""
    x = x.float()
    n = x.shape[0]
    lse = torch.empty(n, dtype=torch.float32, device=x.device)
    means = torch.empty(n, head.weight.shape[1], dtype=torch.float32, device=x.device) if mean else None
    top = torch.empty(n, dtype=torch.long, device=x.device) if argmax else None
    for start in range(0, n, TILE_ROWS):
        rows = slice(start, min(start + TILE_ROWS, n))
        moment, best = _sweep(x[rows], head, argmax=argmax, mean=mean)
        total = moment[:, -1]
        unsafe = ~torch.isfinite(total) | (total < _SAFE_LOW)
        shift = torch.zeros(len(total), dtype=torch.float32, device=x.device)
        if unsafe.any():  # rare: recompute those rows with their maximum logit subtracted
            shift[unsafe] = _sweep(x[rows][unsafe], head, argmax=True, maximum=True)[1][0]
            moment[unsafe] = _sweep(x[rows][unsafe], head, argmax=False, mean=mean, shift=shift[unsafe])[0]
            total = moment[:, -1]
        lse[rows] = shift + total.log()
        if mean:
            means[rows] = moment[:, :-1] / total[:, None]
        if argmax:
            top[rows] = best[1]
    return Moments(lse, means, top)


def _sweep(x: torch.Tensor, head: HeadMatrix, *, argmax: bool, mean: bool = True, shift: torch.Tensor | None = None,
           maximum: bool = False) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None]:
    """One pass over the vocabulary for rows x [r, k]: (Σ_v exp(x·M_v − shift)·[M_v, 1] [r, k + 1], (max, argmax)).

    ``mean=False``: the first result is Σ_v exp(x·M_v − shift) only ([r, 1]). ``maximum``: only
    the running (max logit, argmax) is computed (the first result is None).
    """
    weight, augmented = head.weight, head.augmented
    r, vocab = x.shape[0], weight.shape[0]
    columns = max(1, TILE_ELEMENTS // max(r, 1))
    buffer = torch.empty(r, min(columns, vocab), dtype=torch.float32, device=x.device)
    # Without ``mean`` only Σ exp is wanted: the last column of M's augmented copy.
    width = augmented.shape[1] if mean else 1
    moment = None if maximum else torch.zeros(r, width, dtype=torch.float32, device=x.device)
    best = None
    if argmax:
        best = (torch.full((r,), -torch.inf, device=x.device), torch.zeros(r, dtype=torch.long, device=x.device))
    for v in range(0, vocab, columns):
        logits = buffer[:, :min(columns, vocab - v)]
        torch.mm(x, weight[v:v + columns].t(), out=logits)
        if argmax:
            value, index = logits.max(-1)
            better = value > best[0]  # strict: the first maximum wins, as in argmax
            best = (torch.where(better, value, best[0]), torch.where(better, index + v, best[1]))
        if maximum:
            continue
        if shift is not None:
            logits.sub_(shift[:, None])
        moment.addmm_(logits.exp_(), augmented[v:v + columns, -moment.shape[1]:])
    return moment, best


class _LogSumExp(torch.autograd.Function):
    """lse(x) = log Σ_v exp(x·M_v) per row, differentiable in x (M frozen): ∂lse/∂x = E_p[M]."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, head: HeadMatrix) -> torch.Tensor:  # noqa: D102 (autograd protocol)
        moments = softmax_moments(x, head, mean=ctx.needs_input_grad[0])
        ctx.save_for_backward(moments.mean if moments.mean is not None else x.new_empty(0))
        return moments.lse

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # noqa: D102
        (mean,) = ctx.saved_tensors
        return grad[:, None] * mean, None


def log_sum_exp(x: torch.Tensor, head: HeadMatrix) -> torch.Tensor:
    """Row-wise log Σ_v exp(x·M_v) [n] of x [n, k]; its backward is E_p[M] (computed in the same sweep)."""
    return _LogSumExp.apply(x, head)


def cross_entropy(hidden: torch.Tensor, targets: torch.Tensor, head: HeadMatrix,
                  temperature: torch.Tensor | float = 1.0) -> torch.Tensor:
    """Per-row cross-entropy [n] of softmax(head(hidden) / temperature) at ``targets``, differentiable in both.

    The head's input ``hidden`` [n, d]; equal to ``F.cross_entropy(head(hidden).float() / T, targets,
    reduction="none")`` without any [n, V] tensor kept for the backward.
    """
    x = head.inputs(hidden.float() / temperature, 1 / temperature)
    return log_sum_exp(x, head) - (x * head.weight[targets]).sum(-1)


@torch.no_grad()
def score_rows(hidden: torch.Tensor, targets: torch.Tensor, head: HeadMatrix, temperature: float = 1.0,
               accuracy: bool = True) -> tuple[float, int | None]:
    """(summed cross-entropy, number correct) of the head's readout of ``hidden`` [n, d] at ``targets``.

    ``accuracy=False`` skips the argmax (one fewer pass per tile) and returns None for it.
    """
    x = head.inputs(hidden.float() / temperature, 1 / temperature)
    moments = softmax_moments(x, head, mean=False, argmax=accuracy)
    loss = moments.lse - (x * head.weight[targets]).sum(-1)
    return float(loss.sum()), (int((moments.argmax == targets).sum()) if accuracy else None)
