"""The verdict figure: every read-out's ridge verdict per checkpoint, in one grid (the report's first section)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from inforidge.analyses.verdictspec import VERDICT_SOURCES
from inforidge.figures.plots import SPLIT_TITLES, Look

#: Cell colours by verdict (colourblind-safe: green, grey, sand, white).
VERDICT_COLOURS = {"ridge": "#009e73", "no ridge": "#d9d9d9", "untestable": "#f0e0a0", "no spread": "#f0e0a0",
                   "no replicates": "#ffffff"}
CURVE = ["readout", "metric", "site", "setting"]


def _curves(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (curve, checkpoint): the curve's verdict columns (the same on each layer row), read-outs
    in registration order (MI first)."""
    rank = {name: i for i, name in enumerate(VERDICT_SOURCES.names())}
    cells = rows.drop_duplicates([*CURVE, "step"]).assign(_rank=lambda f: f["readout"].map(rank))
    return cells.sort_values(["_rank", *CURVE, "step"]).drop(columns="_rank")


def _label(curve: tuple) -> str:
    readout, metric, site, setting = curve
    extra = " ".join(x for x in (site, "" if setting == "-" else setting) if x)
    return f"{readout}: {metric}\n{extra}"


def _cell_text(cell: pd.Series) -> str:
    """What a cell says: the tested layer and its gap with the simultaneous interval, or why there is none."""
    best = f"best L{int(cell['best_layer'])} of {int(cell['last_layer'])}"
    if cell["verdict"] in ("ridge", "no ridge", "no spread"):
        head = {"ridge": "RIDGE", "no ridge": "no ridge", "no spread": "no spread (t = ∞)"}[cell["verdict"]]
        gap = f"L{int(cell['tested_layer'])}−last {cell['gap']:+.3g}"
        interval = f"[{cell['gap_ci_low']:+.2g}, {cell['gap_ci_high']:+.2g}] p={cell['p_adjusted']:.2g}"
        return f"{head} ({best})\n{gap}\n{interval}"
    if cell["verdict"] == "untestable":
        return f"untestable: {int(cell['replicates'])} reps\n{best}"
    return f"no replicates\n{best}"


def _panel(ax: plt.Axes, rows: pd.DataFrame, title: str) -> None:
    cells = _curves(rows)
    curves = list(cells[CURVE].drop_duplicates().itertuples(index=False, name=None))
    steps = sorted(cells["step"].unique())
    ax.set_xlim(0, len(steps))
    ax.set_ylim(len(curves), 0)
    for _, cell in cells.iterrows():
        x, y = steps.index(cell["step"]), curves.index(tuple(cell[CURVE]))
        ax.add_patch(plt.Rectangle((x, y), 1, 1, facecolor=VERDICT_COLOURS.get(cell["verdict"], "#ffffff"),
                                   edgecolor="0.6", linewidth=0.6))
        ax.text(x + 0.5, y + 0.5, _cell_text(cell), ha="center", va="center", fontsize=6.5)
    ax.set_xticks(np.arange(len(steps)) + 0.5, [str(s) for s in steps])
    ax.set_yticks(np.arange(len(curves)) + 0.5, [_label(c) for c in curves], fontsize=7)
    ax.set_xlabel("checkpoint (training step)")
    ax.set_ylabel("read-out: metric, site, setting")
    ax.grid(False)
    ax.set_title(title, fontsize=9)


def _summary(rows: pd.DataFrame) -> str:
    """One line per run: at its last checkpoint out of distribution, which read-outs find a ridge, and where."""
    lines = []
    for run, by_run in rows.groupby("run", sort=True):
        last = _curves(by_run[(by_run["step"] == by_run["step"].max()) & (by_run["split"] == "ood")])
        found = last[last["verdict"] == "ridge"]
        tested = last[last["verdict"].isin(["ridge", "no ridge"])]
        where = ", ".join(f"{r.readout}/{r.metric} L{int(r.tested_layer)}" for r in found.itertuples()) or "none"
        lines.append(f"{run}, step {int(by_run['step'].max())}, OOD: ridge in {len(found)} of {len(tested)} tested "
                     f"curves ({where})")
    return "\n".join(lines)


def verdict(table: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """Per run and split, read-outs (rows) × checkpoints (columns): the ridge test's verdict with the tested
    layer, gap to the last layer and simultaneous interval; descriptive best layer where nothing is tested."""
    panels = list(table[["run", "split"]].drop_duplicates().sort_values(["run", "split"]).itertuples(index=False))
    n_curves = max(len(_curves(g)[CURVE].drop_duplicates()) for _, g in table.groupby(["run", "split"]))
    n_steps = table.groupby("run")["step"].nunique().max()
    fig, axes = plt.subplots(len(panels), 1, squeeze=False,
                             figsize=(2.0 + 1.7 * n_steps, max(2.5, 0.62 * n_curves + 1.0) * len(panels)))
    for ax, (run, split) in zip(axes[:, 0], panels):
        rows = table[(table["run"] == run) & (table["split"] == split)]
        _panel(ax, rows, f"{run}: {SPLIT_TITLES.get(split, split)}")
    fig.suptitle("Where the information lives: ridge test of each read-out (interior layers vs the last, "
                 "family-wise 5 %)\n" + _summary(table), fontsize=9, y=1.0 + 0.02 * math.log1p(len(panels)))
    fig.tight_layout()
    return fig
