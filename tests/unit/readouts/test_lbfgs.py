"""The batched L-BFGS of the linear probe: per-problem solutions, stopping and history."""

from __future__ import annotations

import numpy as np
import torch

from inforidge.readouts import _lbfgs
from inforidge.readouts.linear_probe import SoftmaxLoss, fit_softmax


def _problems(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Three softmax problems on the same labels, conditioned differently: x (3, 120, 6), y (120,)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, size=120)
    base = rng.normal(size=(120, 6)) + np.eye(4)[y] @ rng.normal(size=(4, 6))
    scales = [np.ones(6), np.geomspace(0.3, 3.0, 6), np.geomspace(0.1, 1.0, 6)[::-1]]  # feature scales 1:1, 1:10
    x = np.stack([base * s for s in scales])
    return torch.as_tensor(x), torch.as_tensor(y)


def _reference(x: torch.Tensor, y: torch.Tensor, classes: int, l2: float) -> torch.Tensor:
    """One problem by torch's own L-BFGS (strong Wolfe, autograd) to a tight tolerance: [W; b] (d + 1, C)."""
    w = torch.zeros(x.shape[1], classes, dtype=x.dtype, requires_grad=True)
    b = torch.zeros(classes, dtype=x.dtype, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=2000, max_eval=4000, tolerance_grad=1e-10, tolerance_change=0,
                            history_size=20, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ w + b, y) + 0.5 * l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return torch.cat([w.detach(), b.detach()[None]])


def _loss(x: torch.Tensor, y: torch.Tensor, l2: list[float]) -> SoftmaxLoss:
    xb = torch.cat([x, torch.ones(*x.shape[:2], 1, dtype=x.dtype)], 2)
    return SoftmaxLoss(xb, torch.nn.functional.one_hot(y, 4).to(x.dtype), torch.tensor(l2, dtype=x.dtype))


def test_batched_fits_reach_each_problems_own_optimum():
    x, y = _problems()
    l2 = torch.tensor([1e-2, 3e-2, 1.0], dtype=x.dtype)  # each problem its own λ
    w, b = fit_softmax(x, y, 4, l2, 2000, tolerance=1e-10)
    for p in range(3):
        ref = _reference(x[p], y, 4, float(l2[p]))
        # Each fit stops at gradient entries of 1e-10, i.e. a gradient norm of at most sqrt(28) * 1e-10
        # over W's curvature (>= λ = 1e-2): within ~5e-8 of the unique optimum, so the two within
        # ~1.1e-7 (9e-8 seen on an AMD EPYC host, under 5e-8 on others). The bias is unpenalized
        # (curvature: the softmax covariance only), so it gets a wider bound.
        torch.testing.assert_close(w[p], ref[:-1], atol=1.1e-7, rtol=0)
        torch.testing.assert_close(b[p], ref[-1], atol=2e-7, rtol=0)


def test_closed_form_gradient_is_autograds():
    x, y = _problems(1)
    loss = _loss(x, y, [1e-2, 0.0, 3.0])
    theta = torch.as_tensor(np.random.default_rng(2).normal(size=(3, 7 * 4)), dtype=x.dtype)
    value, grad = loss(theta)
    for p, l2 in enumerate([1e-2, 0.0, 3.0]):
        t = theta[p].view(7, 4).clone().requires_grad_(True)
        ref = torch.nn.functional.cross_entropy(x[p] @ t[:6] + t[6], y) + 0.5 * l2 * (t[:6] ** 2).sum()
        ref.backward()
        torch.testing.assert_close(value[p], ref.detach())
        torch.testing.assert_close(grad[p], t.grad.flatten())


def test_a_converged_problem_stays_put_while_another_iterates():
    x, y = _problems(3)
    loss = _loss(x[:2], y, [1e-2, 1e-2])
    solo = _lbfgs.minimize(loss.take(torch.tensor([0])), torch.zeros(1, 28, dtype=x.dtype), 1e-8, 500)
    start = torch.cat([solo.theta, torch.zeros(1, 28, dtype=x.dtype)])  # problem 0 starts at its optimum
    both = _lbfgs.minimize(loss, start, 1e-8, 500)
    assert both.iterations.tolist()[0] == 0 and both.iterations.tolist()[1] > 10
    assert torch.equal(both.theta[0], solo.theta[0])  # not moved by a single bit
    assert both.converged.all()


def test_each_problem_stops_at_its_own_tolerance():
    # Loose and tight problems in one batch: each runs exactly as many iterations as alone
    # (the iterates differ from the lone runs' by the rounding of a batched matrix product).
    x, y = _problems(4)
    loss = _loss(x, y, [1.0, 1e-3, 1e-2])
    zeros = torch.zeros(3, 28, dtype=x.dtype)
    both = _lbfgs.minimize(loss, zeros, 1e-7, 1000)
    alone = [_lbfgs.minimize(loss.take(torch.tensor([p])), zeros[:1], 1e-7, 1000) for p in range(3)]
    assert both.iterations.tolist() == [int(r.iterations) for r in alone]
    assert len(set(both.iterations.tolist())) == 3  # they did stop at different iterations
    torch.testing.assert_close(both.theta, torch.cat([r.theta for r in alone]), atol=1e-8, rtol=0)
    _, grad = loss(both.theta)
    assert (grad.abs().amax(1) <= 1e-7).all()


def test_unpenalized_separable_problem_runs_to_the_cap_without_nan():
    # λ = 0 on separable data: no minimizer, the loss and gradient only tend to 0 as the
    # weights grow; with tolerance 0 the fit must run to max_iter through the rounding floor
    # (flat curvature pairs, steps that f cannot resolve) and end finite.
    rng = np.random.default_rng(5)
    y = torch.as_tensor(rng.integers(0, 4, size=80))
    x = torch.as_tensor(np.eye(4)[y.numpy()] * 3 + rng.normal(size=(80, 4)) * 0.1)[None]
    loss = _loss(x, y, [0.0])
    result = _lbfgs.minimize(loss, torch.zeros(1, 20, dtype=x.dtype), 0.0, 40)
    assert result.iterations.tolist() == [40] and not result.converged.any()
    value, grad = loss(result.theta)
    assert torch.isfinite(result.theta).all() and torch.isfinite(grad).all()
    assert 0.0 <= float(value) < 1e-12


def _two_loop(g: torch.Tensor, pairs: list[tuple[torch.Tensor, torch.Tensor]], gamma: float) -> torch.Tensor:
    """The textbook L-BFGS recursion (Nocedal and Wright, algorithm 7.4) for one problem: H·g."""
    q, alphas = g.clone(), []
    for s, y in reversed(pairs):
        alphas.append((s @ q) / (s @ y))
        q -= alphas[-1] * y
    r = gamma * q
    for (s, y), a in zip(pairs, reversed(alphas)):
        r += (a - (y @ r) / (s @ y)) * s
    return r


def test_compact_direction_equals_the_two_loop_recursion():
    """Past a full ring and with skipped pairs (s·y < 0 for problem 1 twice), per problem."""
    gen = torch.Generator().manual_seed(0)
    problems, m, dim = 3, 5, 7
    hessians = [(lambda q: q @ q.T + torch.eye(dim, dtype=torch.float64))(
        torch.randn(dim, dim, dtype=torch.float64, generator=gen)) for _ in range(problems)]
    history = _lbfgs._History(problems, m, dim, torch.float64)
    pushed: list[list[tuple[torch.Tensor, torch.Tensor, bool]]] = [[] for _ in range(problems)]
    gamma = [1.0] * problems
    for step in range(12):
        s = torch.randn(problems, dim, dtype=torch.float64, generator=gen)
        y = torch.stack([h @ v for h, v in zip(hessians, s)])
        if step in (3, 6):
            y[1] = -s[1]  # negative curvature: the pair must be skipped
        history.push(s, y)
        for p in range(problems):
            valid = bool(s[p] @ y[p] > 0)
            pushed[p].append((s[p], y[p], valid))
            gamma[p] = float((s[p] @ y[p]) / (y[p] @ y[p])) if valid else gamma[p]
        g = torch.randn(problems, dim, dtype=torch.float64, generator=gen)
        got = history.apply(g)
        for p in range(problems):
            used = [(a, b) for a, b, valid in pushed[p][-m:] if valid]  # the ring holds the last m pushes
            torch.testing.assert_close(got[p], _two_loop(g[p], used, gamma[p]), atol=1e-12, rtol=1e-12)
