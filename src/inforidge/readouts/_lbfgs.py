"""Batched L-BFGS: P independent smooth problems minimized together, each on its own terms.

Why: the linear probe fits one small softmax regression per (site, layer) of a dump, all on
the same rows, labels and folds. Each fit is a few hundred parameters, so a separate
``torch.optim.LBFGS`` run spends its time in per-iteration Python and dispatch overhead on
tiny tensors, not in arithmetic. Stacking the P problems into one tensor (θ: (P, D)) pays
that overhead once per iteration for all of them.

Summing the P losses into one objective would be wrong: one L-BFGS would share a step size
and mix the problems' curvature pairs. Here every problem keeps its own state:

- its own history of curvature pairs (s, y) and its own initial Hessian scale γ = s·y / y·y;
  the quasi-Newton direction −H·g uses the compact form of the L-BFGS matrix (Byrd, Nocedal,
  Schnabel 1994: H = γI + [S γY] M [S γY]ᵀ with M from two m×m triangular solves), which
  equals the two-loop recursion and costs a few batched matrix products per iteration
  instead of ~8 tiny operations per stored pair;
- its own step length: a vectorized backtracking line search (Armijo sufficient decrease or,
  at the rounding floor of f, the approximate Wolfe condition; quadratic interpolation)
  evaluates only the problems whose trial step was rejected;
- its own stopping rule: max |gradient component| <= ``tolerance``, or ``max_iter``
  iterations, or a line search that finds no decrease (the floating-point floor). A problem
  that stops leaves the batch: its θ is final and no later iteration touches it.

The pairs are stored in one ring of ``history`` slots shared by the batch (every problem
still running adds a pair each iteration); a pair with s·y <= ``CURVATURE_FLOOR``·y·y
(a flat direction, e.g. λ = 0 on separable data) is masked out of that problem's matrix, as
L-BFGS skips it. Backtracking (not Wolfe) suffices because the probe's objective is
convex: s·y >= 0 for every step, > 0 where it is strictly convex (λ > 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch

#: A pair (s, y) is used only if s·y > CURVATURE_FLOOR · y·y (else masked out).
CURVATURE_FLOOR = 1e-10
#: Armijo constant: accept a step t when f(θ + t·d) <= f(θ) + ARMIJO · t · ∇f·d.
ARMIJO = 1e-4
#: Near the optimum the decrease a step makes falls below the rounding of f, where Armijo cannot
#: tell: a step is then also accepted if f grew by at most FLAT·|f| and the slope at the trial is
#: ≤ −(1 − 2·0.1) times the slope at the start (Hager and Zhang's approximate Wolfe condition: a
#: decrease measured by gradients, which keep their precision there).
FLAT = 1e-12
#: Backtracking rounds before a problem's line search counts as failed (t shrinks >= 2x a round).
MAX_BACKTRACKS = 40


class Objective(Protocol):
    """P smooth losses of parameters θ (P, D): value and gradient per problem."""

    def __call__(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss (P,) and gradient (P, D) at θ (P, D)."""
        ...

    def take(self, index: torch.Tensor) -> Objective:
        """The same objective restricted to the problems ``index`` (A,), in that order."""
        ...


@dataclass(frozen=True)
class Result:
    """Minimizers and how each problem stopped."""

    theta: torch.Tensor  # (P, D)
    iterations: torch.Tensor  # (P,) int64: iterations run (0: converged at the start)
    converged: torch.Tensor  # (P,) bool: gradient tolerance reached (False: max_iter or a failed line search)


def minimize(objective: Objective, theta0: torch.Tensor, tolerance: float, max_iter: int,
             history: int = 20) -> Result:
    """Minimize each of the P problems of ``objective`` from θ0 (P, D), see the module docstring."""
    theta = theta0.clone()  # (P, D): the final iterate of every problem, written when it stops
    p_all = theta.shape[0]
    iterations = torch.zeros(p_all, dtype=torch.int64)
    converged = torch.zeros(p_all, dtype=torch.bool)
    loss, grad = objective(theta)  # (P,), (P, D)
    converged[:] = grad.abs().amax(1) <= tolerance
    active = (~converged).nonzero().squeeze(1)  # (A,): positions in the full batch still running
    if len(active) == 0:
        return Result(theta, iterations, converged)
    obj = objective.take(active) if len(active) < p_all else objective
    x, f, g = theta[active], loss[active], grad[active]  # (A, D), (A,), (A, D)
    pairs = _History(len(active), history, x.shape[1], x.dtype)
    while True:
        d = -pairs.apply(g)  # (A, D)
        gd = (g * d).sum(1)  # (A,): directional derivative, < 0 for a descent direction
        uphill = gd >= 0  # rounding can spoil the quasi-Newton direction: fall back to -g, forget the pairs
        if uphill.any():
            d[uphill] = -g[uphill]
            pairs.forget(uphill)
            gd = (g * d).sum(1)
        if pairs.pushed == 0:  # first iteration: no curvature yet, keep the first step's length <= 1 in l1
            t = (1.0 / g.abs().sum(1)).clamp(max=1.0)
        else:
            t = torch.ones_like(f)
        x_new, f_new, g_new, failed = _backtrack(obj, x, f, g, gd, d, t)
        pairs.push(x_new - x, g_new - g)
        x, f, g = x_new, f_new, g_new
        step = pairs.pushed  # every problem still in the batch has run this many iterations
        conv = g.abs().amax(1) <= tolerance
        done = conv | failed if step < max_iter else torch.ones_like(conv)
        if done.any():
            theta[active[done]], iterations[active[done]] = x[done], step
            converged[active[done]] = conv[done]
            keep = (~done).nonzero().squeeze(1)  # (A',)
            if len(keep) == 0:
                return Result(theta, iterations, converged)
            active, obj, pairs = active[keep], obj.take(keep), pairs.take(keep)
            x, f, g = x[keep], f[keep], g[keep]


class _History:
    """The last m curvature pairs of A problems in a ring of slots, and the products L-BFGS needs of them."""

    def __init__(self, problems: int, m: int, dim: int, dtype: torch.dtype) -> None:
        self.m = m
        self.pushed = 0  # pairs pushed so far; the next goes to slot pushed % m (the oldest)
        self.sy_hist = torch.zeros(problems, 2 * m, dim, dtype=dtype)  # (A, 2m, D): rows s_0..s_m−1, y_0..y_m−1
        self.sy = torch.zeros(problems, m, m, dtype=dtype)  # (A, m, m): [i, j] = s_i·y_j (slot order)
        self.yy = torch.zeros(problems, m, m, dtype=dtype)  # (A, m, m): [i, j] = y_i·y_j
        self.valid = torch.zeros(problems, m, dtype=torch.bool)  # (A, m): pair i is used
        self.gamma = torch.ones(problems, dtype=dtype)  # (A,): γ of the newest valid pair (1 before any)

    def push(self, s: torch.Tensor, y: torch.Tensor) -> None:
        """Store the pair (s, y) (A, D) of every problem in the oldest slot; mask it where s·y is too small."""
        m, j = self.m, self.pushed % self.m
        self.sy_hist[:, j], self.sy_hist[:, m + j] = s, y
        dots = torch.bmm(self.sy_hist, torch.stack([s, y], 2))  # (A, 2m, 2): s_i·s, s_i·y, y_i·s, y_i·y
        self.sy[:, j, :], self.sy[:, :, j] = dots[:, m:, 0], dots[:, :m, 1]
        self.yy[:, j, :] = self.yy[:, :, j] = dots[:, m:, 1]
        sy, yy = self.sy[:, j, j], self.yy[:, j, j]
        ok = sy > CURVATURE_FLOOR * yy
        self.valid[:, j] = ok
        self.gamma = torch.where(ok, sy / torch.where(ok, yy, 1.0), self.gamma)
        self.pushed += 1

    def forget(self, mask: torch.Tensor) -> None:
        """Drop every pair of the problems ``mask`` (A,) (H back to the identity)."""
        self.valid[mask] = False
        self.gamma[mask] = 1.0

    def take(self, index: torch.Tensor) -> _History:
        """The history of the problems ``index`` only."""
        new = _History.__new__(_History)
        new.m, new.pushed = self.m, self.pushed
        new.sy_hist, new.sy, new.yy = self.sy_hist[index], self.sy[index], self.yy[index]
        new.valid, new.gamma = self.valid[index], self.gamma[index]
        return new

    def apply(self, g: torch.Tensor) -> torch.Tensor:
        """H·g (A, D): H = γI + [S γY] M [S γY]ᵀ, the L-BFGS inverse-Hessian estimate of each problem's valid pairs.

        With S, Y (D, m) in chronological order, R = upper triangle of SᵀY and Δ its
        diagonal: u = R⁻¹Sᵀg, p = R⁻ᵀ((Δ + γYᵀY)u − γYᵀg), H·g = γg + Sp − γYu. A masked
        pair gets a unit row and column in R and zeros elsewhere, so it drops out.
        """
        if self.pushed == 0:
            return g.clone()
        m, shift = self.m, self.pushed % self.m  # chronological index k ↔ slot (shift + k) % m
        v = torch.roll(self.valid, -shift, 1).to(g.dtype)  # (A, m)
        vv = v[:, :, None] * v[:, None, :]  # (A, m, m)
        sy = torch.roll(self.sy, (-shift, -shift), (1, 2)) * vv
        yy = torch.roll(self.yy, (-shift, -shift), (1, 2)) * vv
        r = torch.triu(sy) + torch.diag_embed(1.0 - v)  # (A, m, m): upper triangular, unit where masked
        proj = torch.bmm(self.sy_hist, g[:, :, None])  # (A, 2m, 1): Sᵀg, Yᵀg in slot order
        sg = torch.roll(proj[:, :m], -shift, 1) * v[:, :, None]  # (A, m, 1)
        yg = torch.roll(proj[:, m:], -shift, 1) * v[:, :, None]
        gamma = self.gamma[:, None, None]  # (A, 1, 1)
        u = torch.linalg.solve_triangular(r, sg, upper=True)  # (A, m, 1)
        rhs = torch.diagonal(sy, dim1=1, dim2=2)[:, :, None] * u + gamma * (torch.bmm(yy, u) - yg)
        p = torch.linalg.solve_triangular(r.transpose(1, 2), rhs, upper=False)  # (A, m, 1)
        coef = torch.cat([torch.roll(p, shift, 1), -gamma * torch.roll(u, shift, 1)], 1)  # (A, 2m, 1), slot order
        return self.gamma[:, None] * g + torch.bmm(coef.transpose(1, 2), self.sy_hist).squeeze(1)


def _backtrack(obj: Objective, x: torch.Tensor, f: torch.Tensor, g: torch.Tensor, gd: torch.Tensor,
               d: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-problem Armijo backtracking along d (A, D) from step t (A,): new x, f, g and a failed mask (A,).

    Only the problems whose trial was rejected are evaluated again. A failed problem (no
    decrease after MAX_BACKTRACKS rounds: the loss is flat to rounding) keeps x, f and g.
    """
    trial = torch.addcmul(x, t[:, None], d)
    f_try, g_try = obj(trial)
    accept = _acceptable(f, gd, t, f_try, g_try, d)
    if accept.all():  # the usual case: the quasi-Newton step (t = 1) is accepted by every problem
        return trial, f_try, g_try, torch.zeros_like(accept)
    keep = accept[:, None]
    x_new, f_new, g_new = torch.where(keep, trial, x), torch.where(accept, f_try, f), torch.where(keep, g_try, g)
    todo = (~accept).nonzero().squeeze(1)  # (T,): problems still searching
    sub = obj.take(todo)
    f_try, t_try = f_try[todo], t[todo]
    for _ in range(MAX_BACKTRACKS):
        # Minimizer of the quadratic through f(0), f'(0) and f(t), kept within [t/10, t/2].
        f0, slope = f[todo], gd[todo]
        curv = (f_try - f0 - slope * t_try) / (t_try * t_try)
        t_quad = torch.where(torch.isfinite(curv) & (curv > 0), -slope / (2 * curv), 0.1 * t_try)
        t_try = torch.minimum(torch.maximum(t_quad, 0.1 * t_try), 0.5 * t_try)
        trial = torch.addcmul(x[todo], t_try[:, None], d[todo])
        f_try, g_try = sub(trial)
        accept = _acceptable(f0, slope, t_try, f_try, g_try, d[todo])
        if accept.any():
            hit = todo[accept]
            x_new[hit], f_new[hit], g_new[hit] = trial[accept], f_try[accept], g_try[accept]
        if accept.all():
            return x_new, f_new, g_new, torch.zeros(len(f), dtype=torch.bool)
        miss = (~accept).nonzero().squeeze(1)
        todo, sub, f_try, t_try = todo[miss], sub.take(miss), f_try[miss], t_try[miss]
    failed = torch.zeros(len(f), dtype=torch.bool)
    failed[todo] = True
    return x_new, f_new, g_new, failed


def _acceptable(f0: torch.Tensor, slope: torch.Tensor, t: torch.Tensor, f_try: torch.Tensor, g_try: torch.Tensor,
                d: torch.Tensor) -> torch.Tensor:
    """Whether each trial step t (T,) along d (T, D) is accepted: Armijo, or approximate Wolfe at f's rounding floor."""
    armijo = f_try <= f0 + ARMIJO * t * slope
    flat = (f_try <= f0 + FLAT * f0.abs()) & ((g_try * d).sum(1) <= -0.8 * slope)
    return torch.isfinite(f_try) & (armijo | flat)
