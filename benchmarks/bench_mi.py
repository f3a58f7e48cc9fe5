"""Benchmark: per-layer MI for 13 layers (d = 768) against a straightforward reference.

Reference: per layer, numpy Gram matrices of Z, Y and their Hadamard product built from
scratch and three ``numpy.linalg.eigh`` calls in float64 (nothing shared across layers).
Fast path: ``inforidge.mi.layerwise_mi`` (eigenvalues only, Y's spectrum shared). The
"unavoidable" time is 2 ``eigvalsh`` per layer + 1 for Y on prebuilt matrices, one call each
with default threading, by the faster of ``torch.linalg.eigvalsh`` and ``numpy.linalg.eigvalsh``
at that size (the fast path's own solver choice, ``inforidge.mi.eigensolver``, is not assumed).

    python benchmarks/bench_mi.py --sizes 512 2048 4096
    python benchmarks/bench_mi.py --sizes 4096 --ref-layers 3   # reference timed on 3 layers, scaled to 13
    python benchmarks/bench_mi.py --device cuda                 # fast path and spectra on the GPU

With ``--device cuda`` the reference still runs on the CPU (it is the thing replaced), and
the unavoidable spectra are ``torch.linalg.eigvalsh`` on the GPU.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

from inforidge.mi import Sampling, layerwise_mi

LAYERS, D = 13, 768


def make_data(n: int, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """Random layers with structure: a shared 32-dim latent whose weight rises then falls with depth."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 32))
    y = latent @ rng.normal(size=(32, D)) + 0.5 * rng.normal(size=(n, D))
    layers = []
    for l in range(LAYERS):
        w = np.sin(np.pi * (l + 1) / (LAYERS + 1))
        layers.append(w * latent @ rng.normal(size=(32, D)) + rng.normal(size=(n, D)))
    return layers, y


def reference_mi(z: np.ndarray, y: np.ndarray, sigma: float = 1.0) -> float:
    """The estimator written out directly: ℓ2 rows, Gaussian Gram, unit trace, eigh, von Neumann, bits."""

    def gram(x: np.ndarray) -> np.ndarray:
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        sq = (x * x).sum(1)
        k = np.exp(-np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0) / (2 * sigma**2))
        d = np.sqrt(np.diag(k))
        return k / np.outer(d, d) / len(x)

    def s(a: np.ndarray) -> float:
        lam = np.linalg.eigh(a)[0]
        floor = len(lam) * np.finfo(float).eps * lam.max()
        lam = np.where(lam > floor, lam, 0.0)
        lam = lam / lam.sum()
        nz = lam[lam > 0]
        return float(-(nz * np.log2(nz)).sum())

    a, b = gram(z), gram(y)
    h = a * b
    return s(a) + s(b) - s(h / np.trace(h))


def unavoidable_seconds(layers: list[np.ndarray], y: np.ndarray, device: str) -> float:
    """Time of 2 eigvalsh per layer + 1 for Y, one call each, on prebuilt float64 matrices.

    On the CPU the best of torch and numpy; on CUDA torch on the device.
    """
    def gram(x: np.ndarray) -> torch.Tensor:
        t = torch.nn.functional.normalize(torch.tensor(x, device=device), dim=1)
        return torch.exp(-torch.cdist(t, t).pow(2) / 2) / len(x)

    b = gram(y)
    mats = [b] + [m for z in layers for m in (gram(z), (lambda a: a * b * len(y))(gram(z)))]
    on_torch, _ = timed(lambda: [torch.linalg.eigvalsh(m) for m in mats], device)
    if device != "cpu":
        return on_torch
    arrays = [m.numpy() for m in mats]
    return min(on_torch, timed(lambda: [np.linalg.eigvalsh(m) for m in arrays])[0])


def timed(work, device: str = "cpu"):
    """(seconds ``work()`` takes, including the GPU work it queued; its result)."""
    start = time.perf_counter()
    result = work()
    if device != "cpu":
        torch.cuda.synchronize()
    return time.perf_counter() - start, result


def best_of(repeats: int, work):
    """(fewest seconds of ``repeats`` calls of ``work``, that call's result)."""
    return min((timed(work) for _ in range(repeats)), key=lambda run: run[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 2048, 4096])
    parser.add_argument("--ref-layers", type=int, default=LAYERS,
                        help="time the reference on this many layers and scale to 13 (checks those layers only)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="where the fast path runs")
    args = parser.parse_args()
    gpu = f", {torch.cuda.get_device_name()}" if args.device == "cuda" else ""
    print(f"machine: {platform.processor() or platform.machine()}, torch threads {torch.get_num_threads()}, "
          f"torch {torch.__version__}, numpy {np.__version__}{gpu}")
    print(f"{'N':>6} {'fast s':>9} {'ref s':>9} {'ratio':>7} {'spectra s':>10} {'fast/spectra':>13} {'max|diff| bits':>15}")
    warm_layers, warm_y = make_data(64)  # first calls start thread pools and load LAPACK code
    layerwise_mi(warm_layers, warm_y, sampling=Sampling(n_samples=None, seeds=[0], permutations=0, scheme="random"), increments=False, device=args.device)
    for n in args.sizes:
        layers, y = make_data(n)
        repeats = 3 if n <= 1024 else 1  # best of 3 where a call takes seconds: first calls pay page faults
        # layerwise_mi returns host floats, so its GPU work is finished when it returns.
        fast, df = best_of(repeats, lambda: layerwise_mi(layers, y, sampling=Sampling(n_samples=None, seeds=[0], permutations=0, scheme="random"),
                                                         increments=False, device=args.device))
        k = min(args.ref_layers, LAYERS)
        ref_s, ref = best_of(repeats, lambda: [reference_mi(z, y) for z in layers[:k]])
        ref_s *= LAYERS / k
        diff = float(np.abs(df.mi.to_numpy()[:k] - np.array(ref)).max())
        spectra_s = unavoidable_seconds(layers, y, args.device)
        note = "" if k == LAYERS else f"  (reference timed on {k} layers, scaled)"
        print(f"{n:>6} {fast:>9.2f} {ref_s:>9.2f} {ref_s / fast:>7.2f} {spectra_s:>10.2f} {fast / spectra_s:>13.2f} {diff:>15.2e}{note}",
              flush=True)


if __name__ == "__main__":
    main()
