"""Row preprocessing that makes a layer's MI estimate independent of its geometry (docs/mi.md, "Invariances").

Kernel MI reads distances, so any map that changes distances between a layer's states changes
the estimate even when it keeps Shannon information (an invertible map of Z_l keeps I(Z_l; Y)).
Residual streams differ from layer to layer in exactly such maps: a growing common offset,
a few stretched directions, a rotated basis. ``whiten`` removes them before the kernel.

``whiten_rows`` on one subsample (..., N, d):

1. centre the rows (translation);
2. project on the principal directions and give each unit variance (PCA whitening): for a full
   rank X_c = U S Vᵀ the whitened rows are √(N−1)·U, and for any invertible linear map M,
   (X_c M) has the same column space, so its U differs by an orthogonal matrix and every
   pairwise distance is unchanged (rotation, isotropic and anisotropic scaling, shear);
3. keep at most ``max_rank(N)`` directions, and only those whose singular value exceeds
   ``RELATIVE_FLOOR`` × the largest (degenerate directions carry round-off, not data). With
   d ≥ N − 1 full whitening would put every pair of rows at the same distance (U Uᵀ = I − 11ᵀ/N)
   and erase the data (with N ≤ d + 1 any two point sets are affine images of one another: no
   estimate can be both affine-invariant and informative), so the cap is not optional. When it
   binds (rank > N/2) the estimate stays invariant to translation, rotation and isotropic
   scaling, but not to anisotropic scaling that reorders the leading directions. N/2, not N/4,
   by measurement (benchmarks/README-ridge.md): 64-wide layers at N = 64 with two coordinates
   stretched ×20 gave 9.5 % false ridges under N/4 and 4.5 % under N/2;
4. divide by √r (r directions kept), so the mean squared distance between rows is ≈ 2 as for
   ℓ2-normalized rows in general position: σ = 1 keeps a comparable meaning.
"""

from __future__ import annotations

import torch

#: Singular values below this fraction of the largest are treated as zero (round-off directions).
RELATIVE_FLOOR = 1e-6
#: At most N // RANK_DIVISOR whitened directions per subsample of N rows (see the module docstring).
RANK_DIVISOR = 2


def max_rank(n: int) -> int:
    """The most whitened directions a subsample of ``n`` rows keeps (at least 1)."""
    return max(1, n // RANK_DIVISOR)


def whiten_rows(x: torch.Tensor) -> torch.Tensor:
    """Centred, PCA-whitened rows of ``x`` (..., N, d) scaled to mean squared distance ≈ 2: (..., N, r_max).

    Directions dropped by the floor or the rank cap are zero columns, so a batch keeps one shape.
    """
    n = x.shape[-2]
    xc = x - x.mean(dim=-2, keepdim=True)  # (..., N, d)
    u, s, _ = torch.linalg.svd(xc, full_matrices=False)  # u (..., N, m), s (..., m), m = min(N, d)
    r_max = min(max_rank(n), s.shape[-1])
    u, s = u[..., :r_max], s[..., :r_max]
    keep = s > RELATIVE_FLOOR * s[..., :1].clamp_min(torch.finfo(s.dtype).tiny)  # (..., r_max)
    rank = keep.sum(dim=-1, keepdim=True).clamp_min(1).to(x.dtype)  # (..., 1)
    scale = (n - 1) ** 0.5 / rank.sqrt()  # (..., 1)
    return u * keep.to(x.dtype).unsqueeze(-2) * scale.unsqueeze(-1)  # (..., N, r_max)
