"""Every branch of the eigenvalue dispatch returns torch.linalg.eigvalsh's eigenvalues."""

from __future__ import annotations

import pytest
import torch
from threadpoolctl import threadpool_info

from inforidge.mi import eigensolver


def symmetric(*shape: int, dtype: torch.dtype = torch.float64, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=g, dtype=dtype)
    return x + x.transpose(-1, -2)  # (..., N, N)


@pytest.fixture
def two_threads():
    """Pooling needs more than one thread; set two even on a one-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


@pytest.mark.parametrize("shape", [(7, 7), (3, 40, 40), (2, 3, 25, 25), (1, 30, 30)])
def test_pooled_and_numpy_paths_match_torch(shape, two_threads):
    a = symmetric(*shape)
    assert torch.allclose(eigensolver.eigvalsh(a), torch.linalg.eigvalsh(a), rtol=0, atol=1e-12)


def test_threaded_numpy_batch_matches_torch(monkeypatch):
    monkeypatch.setattr(eigensolver, "SMALL_N", 0)
    a = symmetric(4, 33, 33)
    assert torch.allclose(eigensolver.eigvalsh(a), torch.linalg.eigvalsh(a), rtol=0, atol=1e-12)


def test_large_matrices_go_to_torch(monkeypatch):
    monkeypatch.setattr(eigensolver, "MKL_FROM_N", 16)
    a = symmetric(2, 20, 20)
    assert torch.equal(eigensolver.eigvalsh(a), torch.linalg.eigvalsh(a))


def test_dtype_order_and_lower_triangle_are_kept(two_threads):
    a = symmetric(3, 24, 24, dtype=torch.float32)
    lower_only = torch.tril(a)  # like torch, only the lower triangle is read
    got = eigensolver.eigvalsh(lower_only)
    assert got.dtype == torch.float32 and got.shape == (3, 24)
    assert torch.all(got[:, 1:] >= got[:, :-1])
    assert torch.allclose(got, torch.linalg.eigvalsh(a), rtol=0, atol=1e-4)


@pytest.mark.parametrize("shape", [(4, 32, 32), (32, 32)])
def test_single_threaded_solves_restore_the_blas_thread_count(shape, two_threads):
    before = blas_threads()
    eigensolver.eigvalsh(symmetric(*shape))
    assert blas_threads() == before


def test_empty_batch():
    assert eigensolver.eigvalsh(torch.zeros(0, 5, 5, dtype=torch.float64)).shape == (0, 5)
