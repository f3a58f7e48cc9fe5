"""Figures built from the tidy tables only (never from intermediate files).

Each figure function takes tables (as returned by ``inforidge.results.load``) and
returns a matplotlib Figure; the figure registry (:mod:`inforidge.figures.report`) names the
tables each one reads; ``render`` draws one in the configured look and ``save_figure``
writes it in every configured format. Agg
backend: no display is needed. Colours come from the configured seaborn palette
(categorical) and colormap (checkpoints, heatmap); both default to colorblind-safe ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from inforidge.config import FiguresConfig  # noqa: E402
from inforidge.core.atomic import temp_sibling  # noqa: E402
from inforidge.core.registry import resolve  # noqa: E402
from inforidge.figures.report import all_figures  # noqa: E402
from inforidge.mi.bandwidth import FIXED, bandwidth_label  # noqa: E402
from inforidge.results import mean_mi  # noqa: E402

SPLIT_TITLES = {"id": "in-distribution", "ood": "out-of-distribution"}
SCORED_TITLES = {"heldout": "held-out (fit split)", **SPLIT_TITLES}  # where a fitted probe is scored
LAYER_LABEL = "layer l (0 = embeddings)"
BLOCK_LABEL = "block l"
STEP_LABEL = "training step"


@dataclass(frozen=True)
class Look:
    """Cosmetic settings from the ``figures`` config section."""

    palette: str = "colorblind"
    cmap: str = "viridis"


def style(look: Look) -> None:
    """Shared look: white grid, readable fonts, a colorblind-safe palette."""
    sns.set_theme(style="whitegrid", context="paper", palette=look.palette)


def mi_unit(mi: pd.DataFrame) -> str:
    """Unit of the MI values from the table's logarithm base (bits, nats or log_b)."""
    bases = set(mi["base"].unique())
    if len(bases) != 1:
        raise ValueError(f"mi table mixes logarithm bases {sorted(bases)}; filter it to one")
    base = bases.pop()
    if base == 2:
        return "bits"
    return "nats" if math.isclose(base, math.e) else f"log base {base:g}"


def default_kernel(mi: pd.DataFrame) -> str:
    """The kernel the main figures use: gaussian (the paper's) when present, else the first."""
    kernels = sorted(mi["kernel"].unique())
    return "gaussian" if "gaussian" in kernels else kernels[0]


def main_bandwidth(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the bandwidth the main figures use: the paper's fixed σ = 1 when present, else the
    smallest fixed σ, else the first rule (``none`` for kernels without a bandwidth). A sweep's σ values
    are different estimators: figures pick one, never average them."""
    if frame.empty:
        return frame
    fixed = frame[frame["bandwidth_rule"] == FIXED]
    if not fixed.empty:
        sigma = 1.0 if (fixed["sigma"] == 1.0).any() else fixed["sigma"].min()
        return fixed[fixed["sigma"] == sigma]
    return frame[frame["bandwidth_rule"] == sorted(frame["bandwidth_rule"].unique())[0]]


def bandwidth_name(frame: pd.DataFrame) -> str:
    """How the bandwidth of ``frame``'s first row is named in a figure (``1``, ``median``, ``none``)."""
    return bandwidth_label(float(frame["sigma"].iloc[0]), str(frame["bandwidth_rule"].iloc[0]))


def _select(mi: pd.DataFrame, *, quantity: str = "mi", site: str | None = "resid_post",
            kernel: str | None = None) -> pd.DataFrame:
    rows = mi[(mi["quantity"] == quantity) & (mi["kernel"] == (kernel or default_kernel(mi)))]
    rows = main_bandwidth(rows)
    if site is not None:
        rows = rows[rows["site"] == site]
    if rows.empty:
        raise ValueError(f"mi table has no rows for quantity={quantity!r}, site={site!r}, kernel={kernel!r}")
    return rows


def _split_titles(grid: sns.FacetGrid) -> None:
    for ax in grid.axes.flat:
        ax.set_title(SPLIT_TITLES.get(ax.get_title(), ax.get_title()))


def _layer_ticks(grid: sns.FacetGrid) -> None:
    # Layers are integers; fractional ticks would suggest positions between blocks.
    for ax in grid.axes.flat:
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))


def _layer_panels(data: pd.DataFrame, *, y: str, hue: str, ylabel: str, title: str, xlabel: str = LAYER_LABEL,
                  style: str | None = None, palette: str | None = None, sharey: bool | str = True,
                  markers: dict[str, str] | None = None) -> plt.Figure:
    """Lines of ``y`` against layer, one per ``hue`` level, in split (columns) × run (rows) panels.

    Lines are means over subsample seeds with ±2 s.d. bands (the paper's convention).
    """
    marks = {"markers": markers} if markers else {"marker": "o"}
    grid = sns.relplot(
        data=data, x="layer", y=y, hue=hue, style=style, col="split", row="run", kind="line",
        errorbar=("sd", 2), palette=palette, height=3.0, aspect=1.2, **marks,
        facet_kws={"sharey": sharey, "margin_titles": True},
    )
    grid.set_axis_labels(xlabel, ylabel)
    grid.set_titles(col_template="{col_name}", row_template="{row_name}")
    _split_titles(grid)
    _layer_ticks(grid)
    grid.figure.suptitle(title, y=1.03)
    return grid.figure


def lead_value(mi: pd.DataFrame) -> tuple[str, str]:
    """The column the main figures lead with and its axis name: the excess over the null when the null ran."""
    if mi["mi_excess"].notna().any():
        return "mi_excess", "I(Z_l; Y) − null mean"
    return "mi", "raw I(Z_l; Y) (no permutation null)"


RESID, FINAL = "resid_post[l]", "final_norm(resid_post[L])"
#: The last layer after the final norm gets its own marker beside the resid_post curve.
SITE_MARKERS = {RESID: "o", FINAL: "X"}


def with_last_layer_sites(rows: pd.DataFrame) -> pd.DataFrame:
    """resid_post curves plus the last layer after the final norm (a lone, labelled point at l = L)."""
    last = rows[(rows["site"] == "final_norm") & (rows["layer"] == rows["n_layer"])]
    out = pd.concat([rows[rows["site"] == "resid_post"], last], ignore_index=True)
    return out.assign(site=out["site"].map({"resid_post": RESID, "final_norm": FINAL}))



def mi_by_layer(mi: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """The ridge curves in the quantity that survives the null: I − null mean vs layer, per checkpoint.

    The last layer appears twice: resid_post[L] on the curve and after the final norm (the
    paper's hidden_states[-1]) as a separate marker. Without a null the raw curve is drawn,
    and the axis says so.
    """
    kernel = default_kernel(mi)
    value, label = lead_value(mi)
    rows = with_last_layer_sites(_select(mi, kernel=kernel, site=None))
    fig = _layer_panels(rows, y=value, hue="step", style="site", markers=SITE_MARKERS, palette=look.cmap,
                        sharey="row",
                        ylabel=f"{label} [{mi_unit(mi)}]",
                        title=f"Mutual information by layer, excess over the permutation null ({kernel} kernel)"
                        if value == "mi_excess" else f"Raw mutual information by layer ({kernel} kernel)")
    for ax in fig.axes:
        ax.axhline(0.0, color="0.5", linewidth=0.8, linestyle=":")  # the null's level
    return fig


def mi_heatmap(mi: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """Layer × checkpoint heatmap of the seed-mean I(Z_l; Y), one panel per run and split."""
    means = mean_mi(_select(mi))
    panels = means[["run", "split"]].drop_duplicates().sort_values(["run", "split"]).itertuples(index=False)
    panels = list(panels)
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.2), squeeze=False)
    vmin, vmax = means["mean"].min(), means["mean"].max()
    for ax, (run, split) in zip(axes.flat, panels):
        cells = means[(means["run"] == run) & (means["split"] == split)].pivot(index="layer", columns="step",
                                                                               values="mean")
        sns.heatmap(cells.sort_index(ascending=False), ax=ax, cmap=look.cmap, vmin=vmin, vmax=vmax,
                    cbar_kws={"label": f"I(Z_l; Y) [{mi_unit(mi)}]"})
        ax.set_title(f"{run}: {SPLIT_TITLES.get(split, split)}")
        ax.set_xlabel(STEP_LABEL)
        ax.set_ylabel(LAYER_LABEL)
    fig.tight_layout()
    return fig


def mi_gain(mi: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """Incremental gain I(ΔZ_l; Y) of each block's update, one line per checkpoint."""
    return _layer_panels(_select(mi, quantity="gain"), y="mi", hue="step", palette=look.cmap, sharey="row",
                         xlabel=BLOCK_LABEL, ylabel=f"I(ΔZ_l; Y) [{mi_unit(mi)}]",
                         title="Incremental gain of each block's update ΔZ_l = Z_l − Z_(l−1)")


def mi_null(mi: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """Raw I(Z_l; Y) beside its permutation null (mean ± 2 null s.d.) by layer, at each run's last checkpoint.

    How much of a raw ridge is geometry: the null band is what the raw estimator reads when Y
    is shuffled against the same states. The last layer is shown at both sites.
    """
    rows = with_last_layer_sites(_select(mi, site=None))
    rows = rows[rows["step"] == rows.groupby("run")["step"].transform("max")]
    grid = sns.relplot(data=rows, x="layer", y="mi", style="site", col="split", row="run", kind="line",
                       errorbar=("sd", 2), markers=SITE_MARKERS, height=3.0, aspect=1.2, color="C0",
                       facet_kws={"sharey": "row", "margin_titles": True})
    for (run, split), ax in grid.axes_dict.items():
        null = (rows[(rows["run"] == run) & (rows["split"] == split) & (rows["site"] == RESID)]
                .groupby("layer")[["null_mean", "null_std"]].mean())  # seed means (layers,)
        ax.plot(null.index, null["null_mean"], color="0.4", linestyle="--", label="permutation null mean")
        low, high = null["null_mean"] - 2 * null["null_std"], null["null_mean"] + 2 * null["null_std"]
        ax.fill_between(null.index, low, high, color="0.6", alpha=0.3, label="null mean ± 2 null s.d.")
    grid.axes.flat[0].legend(fontsize="x-small", loc="best")
    grid.set_axis_labels(LAYER_LABEL, f"raw I(Z_l; Y) [{mi_unit(mi)}]")
    grid.set_titles(col_template="{col_name}", row_template="{row_name}")
    _split_titles(grid)
    _layer_ticks(grid)
    grid.figure.suptitle("Raw MI and its permutation null (last checkpoint)", y=1.03)
    return grid.figure


def final_sites(mi: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """resid_post[L] vs final_norm(resid_post[L]) over training: is the final drop a norm artifact?"""
    rows = _select(mi, site=None)
    rows = rows[rows["layer"] == rows["n_layer"]]
    if set(rows["site"]) != {"resid_post", "final_norm"}:
        raise ValueError(f"need resid_post and final_norm rows at the last layer, found sites {sorted(set(rows['site']))}")
    grid = sns.relplot(data=rows, x="step", y="mi", hue="site", style="site", col="split", row="run", kind="line",
                       errorbar=("sd", 2), marker="o", height=3.0, aspect=1.2, facet_kws={"margin_titles": True})
    grid.set_axis_labels(STEP_LABEL, f"I(Z_L; Y) [{mi_unit(mi)}]")
    grid.set_titles(col_template="{col_name}", row_template="{row_name}")
    _split_titles(grid)
    grid.figure.suptitle("Last layer: raw residual stream vs after the final norm", y=1.03)
    return grid.figure


def kernel_ablation(mi: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """MI vs layer for every kernel at each run's last checkpoint (shape, not level, is comparable)."""
    rows = mi[(mi["quantity"] == "mi") & (mi["site"] == "resid_post")]
    rows = rows[rows["step"] == rows.groupby("run")["step"].transform("max")]
    if rows["kernel"].nunique() < 2:
        raise ValueError("kernel ablation needs MI rows for at least two kernels")
    return _layer_panels(rows, y="mi", hue="kernel", style="kernel", ylabel=f"I(Z_l; Y) [{mi_unit(mi)}]",
                         title="Kernel ablation (last checkpoint, resid_post)")


def mi_entropies(mi: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """The three matrix entropies behind I = S(Z) + S(Y) − S(Z,Y) by layer, at each run's last checkpoint.

    Shows what moves the MI across layers: the states' entropy S(Z) and the joint S(Z,Y)
    (S(Y) is the same for every layer of one split and subsample, a flat reference line).
    """
    rows = _select(mi, kernel=default_kernel(mi))
    rows = rows[rows["step"] == rows.groupby("run")["step"].transform("max")]
    long = rows.melt(id_vars=["run", "split", "layer", "sample_seed"], value_vars=["h_z", "h_y", "h_joint"],
                     var_name="entropy", value_name="value")
    long["entropy"] = long["entropy"].map({"h_z": "S(Z_l)", "h_y": "S(Y)", "h_joint": "S(Z_l, Y)"})
    return _layer_panels(long, y="value", hue="entropy", palette=look.palette, sharey="row",
                         ylabel=f"matrix entropy [{mi_unit(mi)}]",
                         title="Matrix-based Rényi entropies by layer (resid_post, last checkpoint)")


def training_curves(training: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """Target accuracy and loss per checkpoint on the ID and OOD eval splits.

    Series steps whose weights repeat an earlier step's (allowed by model.series.allow_duplicates)
    are marked with a red x: not a distinct point in training.
    """
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    repeats = training[training["duplicate_of"].notna()] if "duplicate_of" in training else training.iloc[:0]
    for ax, metric, label in zip(axes, ("accuracy", "loss"), ("target accuracy", "target loss [nats]")):
        sns.lineplot(data=training, x="step", y=metric, hue="split", style="run", marker="o", ax=ax)
        if len(repeats):
            ax.scatter(repeats["step"], repeats[metric], marker="x", s=60, color="red", zorder=5,
                       label="duplicate weights")
            ax.legend(fontsize="small")
        ax.set_xlabel(STEP_LABEL)
        ax.set_ylabel(label)
    fig.tight_layout()
    return fig


def residual_scaling(betas: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """Early-stopped β_l per block, ID-fit vs OOD-fit: raw β and β / mean β, mean over fit seeds with 1σ bands.

    Fits that did not converge (step cap reached) are marked with an x: their β may still be moving.
    """
    long = betas.melt(id_vars=["run", "step", "fit_split", "fit_seed", "layer", "converged"],
                      value_vars=["beta", "beta_norm"], var_name="scale", value_name="value")
    long["scale"] = long["scale"].map({"beta": "raw β_l", "beta_norm": "normalised β_l / mean β"})
    long["panel"] = long["run"] + ", step " + long["step"].astype(str)
    long["fit_split"] = long["fit_split"].map(lambda s: SPLIT_TITLES.get(s, s))
    grid = sns.relplot(data=long, x="layer", y="value", hue="fit_split", style="fit_split", col="scale", row="panel",
                       kind="line", errorbar=("sd", 1), marker="o", height=3.0, aspect=1.2, palette=look.palette,
                       facet_kws={"margin_titles": True, "sharey": False})
    for (panel, scale), ax in grid.axes_dict.items():
        ax.axhline(1.0, color="0.5", linewidth=0.8, linestyle=":")  # β = 1: the unmodified block
        loose = long[(long["panel"] == panel) & (long["scale"] == scale) & ~long["converged"].astype(bool)]
        ax.scatter(loose["layer"], loose["value"], marker="x", color="0.2", zorder=5,
                   label="not converged" if len(loose) else None)
    grid.set_axis_labels(BLOCK_LABEL, "residual scale (dimensionless)")
    grid.set_titles(col_template="{col_name}", row_template="{row_name}")
    _layer_ticks(grid)
    grid.legend.set_title("β fitted on")
    grid.figure.suptitle("Residual scaling: β fitted on ID vs OOD data (mean ± 1 s.d. over fit seeds)", y=1.03)
    return grid.figure


PHASE_LABELS = {"before": "model (all β = 1)", "temperature": "temperature only", "after": "β + temperature"}


def phase_rows(summary: pd.DataFrame) -> pd.DataFrame:
    keys = ["run", "step", "fit_split", "fit_seed", "split"]
    phases = summary.groupby(keys)["phase"].agg(frozenset)
    incomplete = phases[phases != frozenset(PHASE_LABELS)]
    if not incomplete.empty:
        # A lone bar would read as "no change"; refuse rather than draw half a comparison.
        raise ValueError(f"residual_scaling_accuracy needs before, temperature and after rows; incomplete {keys}: "
                         f"{list(incomplete.index)}")
    return summary.assign(phase=summary["phase"].map(PHASE_LABELS),
                          split=summary["split"].map(lambda s: SCORED_TITLES.get(s, s)),
                          fit_split=summary["fit_split"].map(lambda s: SPLIT_TITLES.get(s, s)),
                          panel=summary["run"] + ", step " + summary["step"].astype(str))


def residual_scaling_accuracy(summary: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """Accuracy of the model, the temperature baseline and the joint β fit per scored split, mean ± 1 s.d. over seeds."""
    rows = phase_rows(summary)
    grid = sns.catplot(data=rows, x="split", y="accuracy", hue="phase", hue_order=list(PHASE_LABELS.values()),
                       col="fit_split", row="panel", kind="bar", errorbar=("sd", 1), capsize=0.1, height=3.0,
                       aspect=1.3, margin_titles=True, palette=look.palette)
    for ax in grid.axes.flat:
        for bars in ax.containers:
            ax.bar_label(bars, fmt="%.3f", label_type="center", fontsize="x-small")
    grid.set_axis_labels("scored on", "target accuracy (first token)")
    grid.set_titles(col_template="fitted on {col_name} data", row_template="{row_name}")
    grid.legend.set_title("model")
    grid.figure.suptitle("Residual scaling: accuracy before, with a temperature, with β + temperature", y=1.03)
    return grid.figure


def early_exit(early: pd.DataFrame, mi: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """Early-exit accuracy per layer (ID, OOD) with the seed-mean I(Z_l; Y) on a twin axis."""
    means = mean_mi(_select(mi))
    panels = list(early[["run", "step"]].drop_duplicates().sort_values(["run", "step"]).itertuples(index=False))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    colors = dict(zip(sorted(early["split"].unique()), sns.color_palette(look.palette)))
    for ax, (run, step) in zip(axes.flat, panels):
        twin = ax.twinx()
        for split, color in colors.items():
            acc = early[(early["run"] == run) & (early["step"] == step) & (early["split"] == split)]
            ax.plot(acc["layer"], acc["accuracy"], marker="o", color=color,
                    label=f"accuracy, {SPLIT_TITLES.get(split, split)}")
            info = means[(means["run"] == run) & (means["step"] == step) & (means["split"] == split)]
            twin.plot(info["layer"], info["mean"], marker="s", linestyle="--", color=color, alpha=0.7,
                      label=f"MI, {SPLIT_TITLES.get(split, split)}")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(LAYER_LABEL)
        ax.set_ylabel("early-exit target accuracy")
        twin.set_ylabel(f"I(Z_l; Y) [{mi_unit(mi)}] (dashed)")
        twin.grid(False)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_title(f"{run}, step {step}")
        handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
        ax.legend(handles=handles, fontsize="x-small", loc="lower left")
    fig.tight_layout()
    return fig


def attention(attn: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """Attention mass of the last prompt position per block: sink (position 0), signal tokens, last token, rest."""
    long = attn.melt(id_vars=["run", "step", "split", "layer"],
                     value_vars=["sink_mass", "signal_mass", "last_mass", "other_mass"], var_name="target", value_name="mass")
    long["target"] = long["target"].map({"sink_mass": "sink (position 0)", "signal_mass": "signal tokens",
                                         "last_mass": "last token", "other_mass": "other tokens"})
    long["panel"] = long["run"] + ", step " + long["step"].astype(str)
    grid = sns.relplot(data=long, x="layer", y="mass", hue="target", style="split", col="panel", kind="line",
                       marker="o", height=3.0, aspect=1.2, col_wrap=min(3, long["panel"].nunique()))
    grid.set(ylim=(0, 1.02))
    grid.set_axis_labels(BLOCK_LABEL, "attention mass (fraction of 1)")
    grid.set_titles(col_template="{col_name}")
    _layer_ticks(grid)
    grid.figure.suptitle("Attention of the last prompt position, averaged over heads", y=1.04)
    return grid.figure


def render(draw_fn: Callable[..., plt.Figure], tables: Sequence[pd.DataFrame], settings: FiguresConfig,
           options: Mapping[str, Any]) -> plt.Figure:
    """Draw a registered figure (:mod:`inforidge.figures.registry`) in the configured look."""
    look = Look(palette=settings.palette, cmap=settings.cmap)
    style(look)
    return draw_fn(*tables, look=look, **options)


def draw(name: str, tables: Mapping[str, pd.DataFrame], look: Look = Look(), **options: Any) -> plt.Figure:
    """Draw registered figure ``name`` from tables given by name (extra tables are ignored)."""
    spec = all_figures()[name]
    missing = [t for t in spec.tables if t not in tables]
    if missing:
        raise ValueError(f"figure {name} reads tables {list(spec.tables)}; missing {missing}")
    style(look)
    return resolve(spec.draw)(*(tables[t] for t in spec.tables), look=look, **options)


def save_figure(fig: plt.Figure, outputs: Sequence[str | Path], dpi: int) -> None:
    """Save ``fig`` to each output path (format from the suffix), atomically."""
    for out in map(Path, outputs):
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_sibling(out).with_suffix(out.suffix)
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
        tmp.replace(out)
    plt.close(fig)
