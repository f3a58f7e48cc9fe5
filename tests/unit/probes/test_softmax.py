"""Tiled softmax moments of a frozen head equal the full-logits computation, overflow included."""

from __future__ import annotations

import pytest
import torch

from inforidge.probes import _softmax
from inforidge.probes._softmax import HeadMatrix, cross_entropy, log_sum_exp, softmax_moments


@pytest.fixture
def small_tiles(monkeypatch) -> None:
    # Tiles far smaller than the vocabulary and the rows, so every loop runs several times
    # and the last tile of each is partial.
    monkeypatch.setattr(_softmax, "TILE_ROWS", 7)
    monkeypatch.setattr(_softmax, "TILE_ELEMENTS", 7 * 23)


def _head(vocab: int = 101, width: int = 6, bias: bool = True) -> torch.nn.Linear:
    torch.manual_seed(0)
    head = torch.nn.Linear(width, vocab, bias=bias)
    return head.requires_grad_(False)


@pytest.mark.parametrize("bias", [False, True])
def test_moments_equal_the_full_softmax(small_tiles, bias: bool) -> None:
    head = _head(bias=bias)
    hidden = torch.randn(30, 6) * 3
    matrix = HeadMatrix.of(head)
    x = matrix.inputs(hidden)
    moments = softmax_moments(x, matrix, argmax=True)
    logits = head(hidden).double()
    p = torch.softmax(logits, -1)
    torch.testing.assert_close(moments.lse.double(), torch.logsumexp(logits, -1), rtol=1e-6, atol=1e-5)
    torch.testing.assert_close(moments.mean.double(), p @ matrix.weight.double(), rtol=1e-5, atol=1e-6)
    assert torch.equal(moments.argmax, logits.argmax(-1))


def test_rows_beyond_float32_exp_are_recomputed_with_a_shift(small_tiles) -> None:
    head = _head()
    with torch.no_grad():
        head.bias.sub_(200)  # every logit of a moderate row below −87: its exps underflow to 0
    hidden = torch.randn(12, 6)
    hidden[:6] *= 1000  # logits far above 88: exp overflows
    matrix = HeadMatrix.of(head)
    logits = head(hidden).double()
    assert (logits[:6].amax(-1) > 100).all() and logits[6:].max() < -150
    moments = softmax_moments(matrix.inputs(hidden), matrix, argmax=True)
    torch.testing.assert_close(moments.lse.double(), torch.logsumexp(logits, -1), rtol=1e-6, atol=1e-3)
    torch.testing.assert_close(moments.mean.double(), torch.softmax(logits, -1) @ matrix.weight.double(),
                               rtol=1e-4, atol=1e-3)
    assert torch.equal(moments.argmax, logits.argmax(-1))


@pytest.mark.parametrize("bias", [False, True])
def test_cross_entropy_and_its_gradients_equal_the_full_logits_loss(small_tiles, bias: bool) -> None:
    head = _head(bias=bias)
    matrix = HeadMatrix.of(head)
    targets = torch.randint(0, 101, (30,))
    results = []
    for tiled in (True, False):
        hidden = (torch.randn(30, 6, generator=torch.Generator().manual_seed(1)) * 2).requires_grad_()
        tau = torch.tensor(0.4, requires_grad=True)
        if tiled:
            loss = cross_entropy(hidden, targets, matrix, tau.exp()).sum()
        else:
            loss = torch.nn.functional.cross_entropy(head(hidden) / tau.exp(), targets, reduction="sum")
        loss.backward()
        results.append((loss.detach(), hidden.grad, tau.grad))
    for tiled, full in zip(*results):
        torch.testing.assert_close(tiled, full, rtol=1e-4, atol=1e-5)


def test_log_sum_exp_without_gradients_skips_the_mean(small_tiles) -> None:
    matrix = HeadMatrix.of(_head())
    x = matrix.inputs(torch.randn(9, 6))
    with torch.no_grad():
        value = log_sum_exp(x, matrix)
    torch.testing.assert_close(value, softmax_moments(x, matrix).lse)
    assert softmax_moments(x, matrix, mean=False).mean is None


def test_the_matrix_is_rebuilt_when_the_head_changes() -> None:
    head = _head()
    first = HeadMatrix.of(head)
    assert HeadMatrix.of(head) is first
    with torch.no_grad():
        head.weight.mul_(2)
    second = HeadMatrix.of(head)
    assert second is not first and torch.equal(second.weight[:, :6], head.weight)
    assert torch.equal(second.weight[:, 6], head.bias) and torch.equal(second.augmented[:, 7], torch.ones(101))
