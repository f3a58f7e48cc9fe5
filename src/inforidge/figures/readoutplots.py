"""Figures of the read-out and ridge tables: the linear probe by layer, the ridge test vs σ and over training."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from inforidge.figures.plots import LAYER_LABEL, SPLIT_TITLES, Look, _layer_ticks, default_kernel, main_bandwidth
from inforidge.mi.bandwidth import FIXED, bandwidth_label

SITE_MARKERS = {"resid_post": "o", "final_norm": "X"}

PROBE_METRICS = {"accuracy": "held-out accuracy", "v_info_bits": "V-information I_V(Z_l → Y) [bits]"}


def linear_probe(probe: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """Held-out accuracy and V-information of the linear probe vs layer, per checkpoint, ID and OOD.

    Mean over folds with ±2 s.d. bands; chance accuracy (majority class) dotted; V-information
    0 (no better than the class prior) dotted. Both sites' layers appear, final_norm as its own style.
    """
    long = probe.melt(id_vars=["run", "step", "split", "site", "layer", "fold"], value_vars=list(PROBE_METRICS),
                      var_name="metric", value_name="value")
    long["panel"] = long["run"] + ": " + long["metric"].map(PROBE_METRICS)
    long["split"] = long["split"].map(lambda s: SPLIT_TITLES.get(s, s))
    grid = sns.relplot(data=long, x="layer", y="value", hue="step", style="site", col="split", row="panel",
                       kind="line", errorbar=("sd", 2), markers=SITE_MARKERS, palette=look.cmap, height=3.0, aspect=1.2,
                       facet_kws={"sharey": "row", "margin_titles": True})
    chance = probe.groupby(["run", "split"])["chance_accuracy"].mean()
    for (panel, split), ax in grid.axes_dict.items():
        run, _, metric = panel.partition(": ")
        if metric == PROBE_METRICS["accuracy"]:
            role = {v: k for k, v in SPLIT_TITLES.items()}.get(split, split)
            ax.axhline(chance.get((run, role), float("nan")), color="0.5", linewidth=0.8, linestyle=":")
        else:
            ax.axhline(0.0, color="0.5", linewidth=0.8, linestyle=":")
    grid.set_axis_labels(LAYER_LABEL, "value (see row)")
    grid.set_titles(col_template="{col_name}", row_template="{row_name}")
    _layer_ticks(grid)
    grid.figure.suptitle("Linear probe Z_l → target class, cross-validated (dotted: chance / prior)", y=1.03)
    return grid.figure


def _bandwidth_order(bandwidth: tuple[str, float]) -> tuple[bool, float, str]:
    """Fixed bandwidths by value, then the rules by name (NaN would not sort)."""
    rule, sigma = bandwidth
    return (rule != FIXED, sigma if rule == FIXED else 0.0, rule)


def _final_resid_post(frame: pd.DataFrame) -> pd.DataFrame:
    """The ``resid_post`` rows of the main figures' kernel at each run's last checkpoint."""
    rows = frame[(frame["site"] == "resid_post") & (frame["kernel"] == default_kernel(frame))]
    return rows[rows["step"] == rows.groupby("run")["step"].transform("max")]


def _run_split_panels(rows: pd.DataFrame) -> list[tuple[str, str]]:
    """One panel per (run, split), in sorted order."""
    return list(rows[["run", "split"]].drop_duplicates().sort_values(["run", "split"]).itertuples(index=False))


#: Verdicts without a test result, drawn grey at the descriptive argmax: marker and legend text.
_NO_RESULT = {"untestable": ("x", "untestable, argmax"), "no spread": ("+", "no spread, argmax")}


def _verdict_points(ax: plt.Axes, line: pd.DataFrame, x: str, color: object, label: str) -> None:
    """The ridge test's verdicts of ``line`` at ``x``: filled at the tested layer where it found a ridge,
    open at the last layer where it did not; grey at the descriptive argmax where it gave no result:
    crosses where untestable, pluses for ``no spread`` (a rejection whose gaps are identical in every seed)."""
    found, none = (line[line["verdict"] == v] for v in ("ridge", "no ridge"))
    ax.plot(line[x], line["ridge_layer"], color=color, linewidth=0.6, alpha=0.5)
    ax.scatter(found[x], found["tested_layer"], color=color, marker="o", zorder=3, label=f"{label}: ridge")
    ax.scatter(none[x], none["last_layer"], facecolors="none", edgecolors=color, marker="o", zorder=3,
               label=f"{label}: no ridge (at last)")
    for verdict, (marker, text) in _NO_RESULT.items():
        rows = line[line["verdict"] == verdict]
        if not rows.empty:
            ax.scatter(rows[x], rows["ridge_layer"], color="0.5", marker=marker, zorder=3, label=f"{label}: {text}")


def _test_note(rows: pd.DataFrame) -> str:
    """What the verdicts rest on: preprocessing, subsample size and seeds, level (for captions)."""
    if rows.empty:
        return ""
    n = f"n = {int(rows['n'].min())}" + ("" if rows["n"].nunique() == 1 else f"–{int(rows['n'].max())}")
    short = " (fewer rows than asked)" if ((rows["n_requested"] > 0) & (rows["n"] < rows["n_requested"])).any() else ""
    return (f"{'/'.join(sorted(rows['normalize'].unique()))} rows, {n}{short} per subsample, "
            f"{int(rows['seeds'].max())} seeds, P = {int(rows['permutations'].max())}; "
            f"family-wise level {rows['level'].iloc[0]:g}")


def ridge_sigma(ridge: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """The ridge test's verdict vs kernel bandwidth σ at each run's last checkpoint (resid_post, main kernel).

    Filled: a ridge at the tested layer (some interior layer above the last, family-wise level 5 %);
    open: no ridge (drawn at the last layer); grey ×: untestable (fewer than 5 seeds), grey +: no
    spread (identical gaps in every seed), both at the descriptive argmax; the thin line joins the
    argmax layers. Numeric σ in increasing order,
    then bandwidth rules (median, silverman).
    """
    rows = _final_resid_post(ridge)
    keys = list(zip(rows["bandwidth_rule"], rows["sigma"].fillna(0.0)))
    order = sorted(set(keys), key=_bandwidth_order)
    rows = rows.assign(x=[order.index(key) for key in keys])
    names = [bandwidth_label(sigma, rule) for rule, sigma in order]
    return _verdict_panels(rows, "x", "kernel bandwidth σ", {v: v for v in sorted(rows["value"].unique())}, look,
                           "Ridge test vs σ", lambda ax: ax.set_xticks(range(len(order)), names))


def ridge_over_training(ridge: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """The ridge test's verdict at every checkpoint (resid_post, the main figures' kernel and σ).

    One panel per (run, split); markers as in :func:`ridge_sigma`, for the excess over the null
    and the raw MI.
    """
    rows = ridge[(ridge["site"] == "resid_post") & (ridge["kernel"] == default_kernel(ridge))]
    rows = main_bandwidth(rows)  # one σ, the main figures' (a sweep has ridge_sigma)

    def integer_layers(ax: plt.Axes) -> None:
        ax.set_ylim(-0.3, float(rows["last_layer"].max()) + 0.3)
        ax.yaxis.set_major_locator(plt.MaxNLocator(integer=True))

    return _verdict_panels(rows, "step", "training step", PAIRED_VALUES, look,
                           "Ridge test over training, resid_post", integer_layers)


def _verdict_panels(rows: pd.DataFrame, x: str, xlabel: str, labels: dict[str, str], look: Look, title: str,
                    decorate: Callable[[plt.Axes], object]) -> plt.Figure:
    """One panel per (run, split): the verdicts of each compared ``value`` (``labels``: value -> legend) vs ``x``."""
    panels = _run_split_panels(rows)
    fig, axes = plt.subplots(1, max(len(panels), 1), figsize=(3.8 * max(len(panels), 1), 3.2), squeeze=False)
    colors = dict(zip(labels, sns.color_palette(look.palette)))
    for ax, (run, split) in zip(axes.flat, panels):
        for value, color in colors.items():
            line = rows[(rows["run"] == run) & (rows["split"] == split) & (rows["value"] == value)]
            if not line.empty:
                _verdict_points(ax, line.sort_values(x), x, color, labels[value])
        decorate(ax)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("ridge layer (tested)")
        ax.set_title(f"{run}: {SPLIT_TITLES.get(split, split)}")
        ax.legend(fontsize="x-small")
    fig.suptitle(f"{title} ({_test_note(rows)})", y=1.02, fontsize="small")
    fig.tight_layout()
    return fig


PAIRED_VALUES = {"mi_excess": "excess over the null", "mi": "raw MI"}


def mi_paired(paired: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """Every layer minus the last layer, paired by subsample seed, at each run's last checkpoint.

    ``resid_post``, the main figures' kernel and σ. Points: mean over seeds of
    value(l) − value(L); bars: the 95 % t-interval over seeds (none for one seed), per layer and
    not corrected for testing every layer: the verdict is the ridge table's (:func:`ridge_sigma`,
    :func:`ridge_over_training`), not a bar above 0.
    """
    rows = _final_resid_post(paired)
    rows = main_bandwidth(rows)  # one σ, the main figures' (a sweep has ridge_sigma)
    panels = _run_split_panels(rows)
    fig, axes = plt.subplots(1, max(len(panels), 1), figsize=(3.8 * max(len(panels), 1), 3.2), squeeze=False)
    colors = dict(zip(PAIRED_VALUES, sns.color_palette(look.palette)))
    for ax, (run, split) in zip(axes.flat, panels):
        for offset, (value, color) in zip((-0.12, 0.12), colors.items()):
            line = rows[(rows["run"] == run) & (rows["split"] == split) & (rows["value"] == value)]
            line = line.sort_values("layer_a")
            if line.empty:
                continue
            low, high = line["mean_diff"] - line["ci_low"], line["ci_high"] - line["mean_diff"]
            ax.errorbar(line["layer_a"] + offset, line["mean_diff"], yerr=[low.fillna(0.0), high.fillna(0.0)],
                        marker="o", linestyle="none", capsize=3, color=color, label=PAIRED_VALUES[value])
        ax.axhline(0.0, color="0.5", linewidth=0.8, linestyle=":")
        ax.set_xlabel(LAYER_LABEL)
        ax.set_ylabel("value(l) − value(L) [bits]")
        ax.set_title(f"{run}: {SPLIT_TITLES.get(split, split)}")
        ax.legend(fontsize="x-small")
    fig.suptitle("Layer l minus the last layer, paired by seed (95 % t-interval per layer, uncorrected; "
                 "the ridge verdict is the ridge test's)", y=1.02, fontsize="small")
    fig.tight_layout()
    return fig
