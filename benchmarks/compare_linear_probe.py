"""Run the linear-probe job on real dumps and time it, or compare two such runs' tables.

``run OUT MANIFEST...``: :func:`~inforidge.readouts.linear_probe.linear_probe_dump` at the
default :class:`~inforidge.config.LinearProbeConfig` on each activations manifest, one
after the other in this process; writes ``OUT/<checkpoint>_<split>.csv`` per dump (named
from the manifest's path, .../<checkpoint>/<split>/manifest.json) and ``OUT/cpu.json`` (CPU
seconds per dump from ``time.process_time``: the job's work, not start-up). ``--max-iter``
overrides the cap, e.g. far above it to see where both versions converge to. The code timed
is whatever ``inforidge`` the ``PYTHONPATH`` points at, so the same script times main's code
and a branch's.

``compare BEFORE AFTER``: over the dumps AFTER scored, per (dump, site, layer, fold), max
|diff| of accuracy, ce_bits and v_info_bits, and the rows whose chosen penalty differs.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import pandas as pd

KEYS = ["dump", "site", "layer", "fold"]


def run(out: Path, manifests: list[str], max_iter: int | None) -> None:
    from inforidge.config import LinearProbeConfig
    from inforidge.readouts.linear_probe import linear_probe_dump

    out.mkdir(parents=True, exist_ok=True)
    settings = LinearProbeConfig() if max_iter is None else LinearProbeConfig(max_iter=max_iter)
    cpu = {}
    for manifest in manifests:
        name = "_".join(Path(manifest).parts[-3:-1])
        start = time.process_time()
        frame = linear_probe_dump(manifest, settings)
        cpu[name] = round(time.process_time() - start, 2)
        frame.insert(0, "dump", name)
        tmp = out / f".{name}.csv.tmp"
        frame.to_csv(tmp, index=False, float_format="%.17g")
        os.replace(tmp, out / f"{name}.csv")
        print(json.dumps({"dump": name, "cpu_s": cpu[name]}), flush=True)
    tmp = out / ".cpu.json.tmp"
    tmp.write_text(json.dumps(cpu, indent=1))
    os.replace(tmp, out / "cpu.json")


def compare(before: Path, after: Path) -> None:
    names = sorted(f.name for f in after.glob("*.csv"))  # the dumps both runs scored

    def load(path: Path) -> pd.DataFrame:
        return pd.concat([pd.read_csv(path / name) for name in names]).set_index(KEYS).sort_index()

    a, b = load(before), load(after)
    if not a.index.equals(b.index):
        raise SystemExit("the two runs scored different (dump, site, layer, fold) sets")
    same = a.penalty == b.penalty
    report = {"rows": len(a), "penalty_differs": int((~same).sum()),
              **{f"max_abs_diff_{c}": float((a[c] - b[c]).abs().max())
                 for c in ("accuracy", "ce_bits", "v_info_bits", "h_y_bits")},
              **{f"max_abs_diff_{c}_same_penalty": float((a[c] - b[c])[same].abs().max())
                 for c in ("accuracy", "ce_bits", "v_info_bits")}}
    print(json.dumps(report, indent=1))
    if (~same).any():
        print(pd.concat({"before": a[~same][["penalty", "ce_bits", "accuracy"]],
                         "after": b[~same][["penalty", "ce_bits", "accuracy"]]}, axis=1).to_string())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("out", type=Path)
    r.add_argument("manifests", nargs="+")
    r.add_argument("--max-iter", type=int, help="override the default cap (a far higher one: fits run to tolerance)")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "run":
        run(args.out, args.manifests, args.max_iter)
    else:
        compare(args.before, args.after)


if __name__ == "__main__":
    main()
