"""What each preprocessing of the ridge comparison is invariant to (docs/mi.md, "Invariances").

Every transform below keeps Shannon information (it is invertible), so an estimator that
changes under it can make a ridge out of geometry. ``whiten`` must be unchanged by all the
affine ones; the paper's ``l2`` is unchanged only by rotation and isotropic scaling; neither
is invariant to a monotone nonlinear map (tested, so the docs cannot overclaim).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inforidge.mi import mutual_information
from inforidge.mi.geometry import max_rank, whiten_rows

N, D, C = 80, 6, 5


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(z, y): N×D states carrying a C-class signal, and the class embeddings (N, 4)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, C, N)
    z = rng.normal(size=(C, D))[labels] + rng.normal(size=(N, D))
    return z, rng.normal(size=(C, 4))[labels]


def _rotation(d: int, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q


TRANSFORMS = {
    "translation": lambda z: z + 7.0 * np.arange(1, z.shape[1] + 1),
    "isotropic": lambda z: 13.0 * z,
    "anisotropic": lambda z: z * np.r_[20.0, 5.0, np.ones(z.shape[1] - 2)],
    "rotation": lambda z: z @ _rotation(z.shape[1], 1),
    "invertible linear": lambda z: z @ (np.eye(z.shape[1]) + 0.7 * np.random.default_rng(2).normal(size=(z.shape[1],) * 2)),
    "monotone nonlinear": lambda z: np.sinh(2.0 * z),
}
#: (preprocessing, transform) -> invariant? The table docs/mi.md states.
INVARIANT = {
    "whiten": {"translation", "isotropic", "anisotropic", "rotation", "invertible linear"},
    "l2": {"isotropic", "rotation"},
}


@pytest.mark.parametrize("normalize", sorted(INVARIANT))
@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_stated_invariances_hold_and_the_others_do_not(normalize: str, name: str) -> None:
    z, y = _data()
    before = mutual_information(z, y, normalize=normalize)
    after = mutual_information(TRANSFORMS[name](z), y, normalize=normalize)
    if name in INVARIANT[normalize]:
        assert after == pytest.approx(before, abs=1e-9)
    else:
        assert abs(after - before) > 1e-3, f"{normalize} looked invariant to {name}: update docs/mi.md"


def test_whitening_keeps_information_that_l2_loses_to_an_offset() -> None:
    """A large common offset squeezes ℓ2 rows onto one point: l2 reads ~0 while whiten is unchanged."""
    z, y = _data()
    shifted = z + 1e3
    assert mutual_information(shifted, y, normalize="l2") < 0.1 * mutual_information(z, y, normalize="l2")
    assert mutual_information(shifted, y, normalize="whiten") == pytest.approx(
        mutual_information(z, y, normalize="whiten"), abs=1e-9)


def test_whitened_rows_are_white_and_scaled() -> None:
    """Centred, identity covariance up to the 1/r scale, mean squared distance 2 (σ = 1 keeps its meaning)."""
    z, _ = _data()
    w = whiten_rows(torch.as_tensor(z))  # (N, r)
    assert w.shape == (N, D)
    torch.testing.assert_close(w.mean(0), torch.zeros(D, dtype=w.dtype), atol=1e-12, rtol=0)
    torch.testing.assert_close(w.T @ w / (N - 1), torch.eye(D, dtype=w.dtype) / D, atol=1e-12, rtol=0)
    d2 = torch.cdist(w, w) ** 2
    assert float(d2.sum() / (N * (N - 1))) == pytest.approx(2.0, rel=1e-9)


def test_rank_cap_and_degenerate_directions() -> None:
    """d > N/2 keeps the N/2 leading directions; a rank-deficient layer keeps only its real ones."""
    rng = np.random.default_rng(3)
    wide = whiten_rows(torch.as_tensor(rng.normal(size=(40, 100))))
    assert wide.shape == (40, max_rank(40)) and bool((wide.abs().sum(0) > 0).all())
    flat = rng.normal(size=(40, 2)) @ rng.normal(size=(2, 8))  # rank 2 in 8 dimensions
    w = whiten_rows(torch.as_tensor(flat))
    assert int((w.abs().sum(0) > 1e-9).sum()) == 2


def test_batched_whitening_matches_one_at_a_time() -> None:
    rng = np.random.default_rng(4)
    x = torch.as_tensor(rng.normal(size=(3, 30, 5)))
    x[1, :, 3:] = 0.0  # a degenerate member of the batch
    batch = whiten_rows(x)
    for b in range(3):
        torch.testing.assert_close(torch.cdist(batch[b], batch[b]), torch.cdist(whiten_rows(x[b]), whiten_rows(x[b])))
