"""Time the linear probe on --layers (site, layer) arrays of the issue's shape: 256 rows, width 64, 13 classes.

Rows: class means drawn once and scaled by --signal, plus unit Gaussian noise (seeded, a
fresh draw per layer), so the probe is neither trivial nor hopeless. All layers of one
signal share the rows' classes, as the layers of one dump do, and are probed together
(``probe_layers``, the batched fits of the job) where the code has it, else one after the
other (``probe_layer``: the code before the batched solver, PYTHONPATH at a checkout of it).
Default LinearProbeConfig. Prints seconds per layer (best of --repeats) and the mean
held-out scores over layers and folds; --layers 1 times the one-array path.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from inforidge.config import LinearProbeConfig
from inforidge.readouts import linear_probe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=256)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--classes", type=int, default=13)
    parser.add_argument("--signal", type=float, nargs="+", default=[0.0, 0.3, 1.0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--layers", type=int, default=6, help="arrays per dump (6: the default run's read sites)")
    args = parser.parse_args()
    settings = LinearProbeConfig()
    for signal in args.signal:
        rng = np.random.default_rng(0)
        target = rng.integers(0, args.classes, size=args.rows)
        means = rng.normal(size=(args.classes, args.width))[target] * signal
        xs = np.stack([means + rng.normal(size=(args.rows, args.width)) for _ in range(args.layers)])
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            if hasattr(linear_probe, "probe_layers"):
                per_layer = linear_probe.probe_layers(xs, target, settings)
            else:
                per_layer = [linear_probe.probe_layer(x, target, settings) for x in xs]
            times.append((time.perf_counter() - start) / args.layers)
        scores = [s for layer in per_layer for s in layer]
        record = {"signal": signal, "seconds_per_layer": round(min(times), 3),
                  **{f: round(float(np.mean([getattr(s, f) for s in scores])), 4)
                     for f in ("accuracy", "ce_bits", "v_info_bits")},
                  "penalties": sorted({getattr(s, "penalty", settings.l2) for s in scores}
                                      if isinstance(settings.l2, list) else [settings.l2])}
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
