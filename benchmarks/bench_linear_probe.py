"""Time the linear probe on one (site, layer) of the issue's shape: 256 rows, width 64, 13 classes.

Rows: class means drawn once and scaled by --signal, plus unit Gaussian noise (seeded), so
the probe is neither trivial nor hopeless. The same script times main's code (PYTHONPATH at
a checkout of it: one fixed λ = 0.01, cold starts) and this branch's (λ chosen per fold
among the candidates, warm starts), at each code's default LinearProbeConfig except
``folds``. Prints seconds per layer (best of --repeats) and the mean held-out scores.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from inforidge.config import LinearProbeConfig
from inforidge.readouts.linear_probe import probe_layer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=256)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--classes", type=int, default=13)
    parser.add_argument("--signal", type=float, nargs="+", default=[0.0, 0.3, 1.0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    settings = LinearProbeConfig()
    for signal in args.signal:
        rng = np.random.default_rng(0)
        target = rng.integers(0, args.classes, size=args.rows)
        x = rng.normal(size=(args.classes, args.width))[target] * signal + rng.normal(size=(args.rows, args.width))
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            scores = probe_layer(x, target, settings)
            times.append(time.perf_counter() - start)
        record = {"signal": signal, "seconds_per_layer": round(min(times), 3),
                  **{f: round(float(np.mean([getattr(s, f) for s in scores])), 4)
                     for f in ("accuracy", "ce_bits", "v_info_bits")},
                  "penalties": sorted({getattr(s, "penalty", settings.l2) for s in scores}
                                      if isinstance(settings.l2, list) else [settings.l2])}
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
