"""Compare two versions' probe tables (``bench_probes_vocab.py`` outputs) within seed bands.

Usage: python benchmarks/compare_probe_tables.py BEFORE_DIR AFTER_DIR

Per table, per group (residual scaling: fit split × split × phase, and fit split × layer for
β; tuned lens: split × lens × layer), prints the seed mean ± s.d. of each measure for both
versions, the difference of the means, and that difference over the pooled seed s.d.
(|z| ≤ 2: within the seed band).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

GROUPS = {
    "residual_scaling_accuracy": (["fit_split", "split", "phase"], ["loss", "accuracy", "temperature"]),
    "residual_scaling_betas": (["fit_split", "layer"], ["beta", "beta_norm"]),
    "tuned_lens": (["split", "lens", "layer"], ["accuracy", "loss", "kl_to_final"]),
}


def compare(before: pd.DataFrame, after: pd.DataFrame, keys: list[str], measures: list[str]) -> pd.DataFrame:
    stats = {name: frame.groupby(keys)[measures].agg(["mean", "std"]) for name, frame in
             (("before", before), ("after", after))}
    rows = []
    for measure in measures:
        b, a = stats["before"][measure], stats["after"][measure]
        pooled = np.sqrt((b["std"] ** 2 + a["std"] ** 2) / 2)
        diff = a["mean"] - b["mean"]
        rows.append(pd.DataFrame({"measure": measure, "before": b["mean"], "before_sd": b["std"], "after": a["mean"],
                                  "after_sd": a["std"], "diff": diff, "z": diff / pooled.replace(0, np.nan)}))
    return pd.concat(rows).reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    pd.set_option("display.width", 220)
    pd.set_option("display.max_rows", 500)
    for name, (keys, measures) in GROUPS.items():
        paths = [d / f"{name}.parquet" for d in (args.before, args.after)]
        if not all(p.exists() for p in paths):
            continue
        table = compare(*(pd.read_parquet(p) for p in paths), keys, measures)
        print(f"== {name}: |z| ≤ 2 in {np.mean(table['z'].abs().fillna(0) <= 2):.0%} of "
              f"{len(table)} (group, measure) cells; max |z| {table['z'].abs().max():.2f}")
        print(table.round(4).to_string(index=False))


if __name__ == "__main__":
    main()
