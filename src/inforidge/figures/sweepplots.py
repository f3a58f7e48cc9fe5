"""Figures of the capacity and multi-token tables (built from those tables only).

Same conventions as :mod:`inforidge.figures.plots` (its style, colours and ``save_figure``) and the
same registry (:mod:`inforidge.figures.registry`), which passes ``site`` as an option; kept apart
only to keep each module short. Each run is shown at its last checkpoint.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from inforidge.figures.plots import SPLIT_TITLES, Look, bandwidth_name, main_bandwidth, style


def _final(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of each run's last checkpoint."""
    return frame[frame["step"] == frame.groupby("run")["step"].transform("max")]


def _main(frame: pd.DataFrame, site: str) -> pd.DataFrame:
    """One site and the gaussian kernel when present (the paper's), else the first kernel."""
    kernels = sorted(frame["kernel"].unique())
    kernel = "gaussian" if "gaussian" in kernels else kernels[0]
    rows = frame[(frame["site"] == site) & (frame["kernel"] == kernel)]
    if rows.empty:
        raise ValueError(f"no rows for site {site!r} and kernel {kernel!r}")
    return rows


def _unit(frame: pd.DataFrame) -> str:
    """Unit label from a ``base`` column when the table has one, else from the mi table (bits)."""
    if "base" in frame.columns and set(frame["base"]) != {2.0}:
        return f"log base {frame['base'].iloc[0]:g}"
    return "bits"


def capacity_mi_by_depth(capacity: pd.DataFrame, look: Look = Look(), site: str = "resid_post") -> plt.Figure:
    """I(Z_l; Y) against relative depth l / L, one line per depth L, ID and OOD panels.

    Runs of equal depth (training seeds) are pooled: the band is ±1 s.d. across them. One σ, the main
    figures' (never averaged over a sweep).
    """
    style(look)
    rows = _final(_main(capacity, site))
    rows = main_bandwidth(rows).assign(depth=lambda f: "L = " + f["n_layer"].astype(str))
    order = [f"L = {d}" for d in sorted(rows["n_layer"].unique())]
    grid = sns.relplot(data=rows, x="relative_depth", y="mi_mean", hue="depth", hue_order=order, col="split",
                       kind="line", marker="o", errorbar="sd", palette=look.cmap, height=3.0, aspect=1.2)
    grid.set_axis_labels("relative depth l / L", "I(Z_l; Y) [bits]")
    for ax in grid.axes.flat:
        split = ax.get_title().split(" = ")[-1]
        ax.set_title(SPLIT_TITLES.get(split, split))
    grid.figure.suptitle(f"MI by relative depth across model depths ({site}, last checkpoint)", y=1.04)
    return grid.figure


def capacity_ridge(capacity: pd.DataFrame, look: Look = Look(), site: str = "resid_post") -> plt.Figure:
    """The ridge test's position (tested layer / L; 1 = no ridge) against depth L at the last checkpoint.

    One bandwidth, the main figures' (:func:`inforidge.figures.plots.main_bandwidth`): a sweep is not averaged over σ.
    """
    style(look)
    rows = _final(_main(capacity, site))
    rows = main_bandwidth(rows).drop_duplicates(["run", "split"])
    fig, ax = plt.subplots(figsize=(4.2, 3.2))
    sns.lineplot(data=rows, x="n_layer", y="ridge_position", hue="split", style="split", markers=True,
                 errorbar="sd", ax=ax)
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_ylim(-0.05, 1.1)
    ax.set_xticks(sorted(rows["n_layer"].unique()))
    ax.set_xlabel("model depth L (blocks)")
    ax.set_ylabel("tested ridge layer / L")
    ax.set_title(f"Ridge test vs depth ({site}, σ = {bandwidth_name(rows)}, last checkpoint;\n"
                 f"{rows['ridge_value'].iloc[0]}, {'/'.join(sorted(rows['normalize'].unique()))} rows, "
                 "family-wise 5 %)", fontsize="small")
    fig.tight_layout()
    return fig


def multitoken_heatmap(multitoken: pd.DataFrame, look: Look = Look(), site: str = "resid_post") -> plt.Figure:
    """Layer × decoding-step heatmap of the seed-mean I(Z_l^(t); Y^(t)), one panel per run and split."""
    style(look)
    rows = _final(_main(multitoken, site))
    means = rows[rows["quantity"] == "token"].groupby(["run", "split", "layer", "t"])["mi"].mean().reset_index()
    panels = list(means[["run", "split"]].drop_duplicates().sort_values(["run", "split"]).itertuples(index=False))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.8 * len(panels), 3.2), squeeze=False)
    vmin, vmax = means["mi"].min(), means["mi"].max()
    for ax, (run, split) in zip(axes.flat, panels):
        cells = means[(means["run"] == run) & (means["split"] == split)].pivot(index="layer", columns="t", values="mi")
        sns.heatmap(cells.sort_index(ascending=False), ax=ax, cmap=look.cmap, vmin=vmin, vmax=vmax,
                    cbar_kws={"label": f"I(Z_l^(t); Y^(t)) [{_unit(rows)}]"})
        ax.set_title(f"{run}: {SPLIT_TITLES.get(split, split)}")
        ax.set_xlabel("decoding step t")
        ax.set_ylabel("layer l (0 = embeddings)")
    fig.tight_layout()
    return fig


def multitoken_curves(multitoken: pd.DataFrame, look: Look = Look(), site: str = "resid_post") -> plt.Figure:
    """MI vs layer, one line per decoding step t (colormap), with the sequence-kernel MI dashed."""
    style(look)
    rows = _final(_main(multitoken, site))
    tokens = rows[rows["quantity"] == "token"]
    grid = sns.relplot(data=tokens, x="layer", y="mi", hue="t", col="split", row="run", kind="line", marker="o",
                       errorbar=None, palette=look.cmap, height=3.0, aspect=1.2,
                       facet_kws={"sharey": "row", "margin_titles": True})
    sequence = rows[rows["quantity"] == "sequence"]
    for (run, split), ax in grid.axes_dict.items():
        seq = sequence[(sequence["run"] == run) & (sequence["split"] == split)].groupby("layer")["mi"].mean()
        if not seq.empty:
            ax.plot(seq.index, seq.to_numpy(), color="black", linestyle="--")
    grid.set_axis_labels("layer l (0 = embeddings)", f"I(Z_l^(t); Y^(t)) [{_unit(rows)}]")
    grid.set_titles(col_template="{col_name}", row_template="{row_name}")
    grid.figure.suptitle(f"Multi-token MI by layer per decoding step t ({site}, last checkpoint; "
                         "dashed: sequence kernel)", y=1.03)
    return grid.figure
