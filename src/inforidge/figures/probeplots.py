"""Figures of the careful probes (docs/probes.md): β over the temperature baseline, lenses, causal checks.

Drawn from the tidy tables only, like :mod:`inforidge.figures.plots` (whose look and labels they
share); kept apart so each probe's figures sit together. Bands are ±1 s.d. over the
probe's own seeds (fit, lens-training or pairing seeds), as the issue asks.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from inforidge.figures.plots import BLOCK_LABEL, LAYER_LABEL, SCORED_TITLES, SPLIT_TITLES, Look, _layer_ticks, phase_rows


def _panel(frame: pd.DataFrame) -> pd.Series:
    return frame["run"] + ", step " + frame["step"].astype(str)


def _measure_labels(grid: sns.FacetGrid, xlabel: str) -> None:
    # Columns are different measures (own y scales): each panel's y axis names its measure.
    grid.set_titles(col_template="{col_name}", row_template="{row_name}")
    for (_, measure), ax in grid.axes_dict.items():
        ax.set_ylabel(measure)
        ax.set_xlabel(xlabel)
    _layer_ticks(grid)


def residual_scaling_gain(summary: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """What β adds over the temperature-only baseline: Δ loss and Δ accuracy (after − temperature) per scored split."""
    phase_rows(summary)  # refuses incomplete phase sets
    keys = ["run", "step", "fit_split", "fit_seed", "split"]
    wide = summary.pivot_table(index=keys, columns="phase", values=["loss", "accuracy"]).reset_index()
    gain = pd.DataFrame({
        "panel": _panel(wide), "split": wide["split"].map(lambda s: SCORED_TITLES.get(s, s)),
        "fit_split": wide["fit_split"].map(lambda s: SPLIT_TITLES.get(s, s)),
        "Δ loss [nats] (after − temperature)": wide["loss"]["after"] - wide["loss"]["temperature"],
        "Δ accuracy (after − temperature)": wide["accuracy"]["after"] - wide["accuracy"]["temperature"],
    })
    long = gain.melt(id_vars=["panel", "split", "fit_split"], var_name="measure", value_name="delta")
    grid = sns.catplot(data=long, x="split", y="delta", hue="fit_split", col="measure", row="panel", kind="bar",
                       errorbar=("sd", 1), capsize=0.1, height=3.0, aspect=1.3, margin_titles=True,
                       sharey=False, palette=look.palette)
    for ax in grid.axes.flat:
        ax.axhline(0.0, color="0.3", linewidth=0.8)  # 0: β adds nothing beyond the temperature
    grid.set_axis_labels("scored on", "change from the temperature baseline")
    grid.set_titles(col_template="{col_name}", row_template="{row_name}")
    grid.legend.set_title("β fitted on")
    grid.figure.suptitle("Residual scaling: gain of β over a temperature-only fit (mean ± 1 s.d. over seeds)", y=1.03)
    return grid.figure


def tuned_lens(lens: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """Accuracy and cross-entropy per layer of the logit lens and the tuned lens, per eval split (±1 s.d. over seeds)."""
    long = lens.melt(id_vars=["run", "step", "split", "layer", "lens", "fit_seed"], value_vars=["accuracy", "loss"],
                     var_name="measure", value_name="value")
    long["measure"] = long["measure"].map({"accuracy": "accuracy (first token)", "loss": "cross-entropy [nats]"})
    long["split"] = long["split"].map(lambda s: SPLIT_TITLES.get(s, s))
    long["panel"] = _panel(long)
    grid = sns.relplot(data=long, x="layer", y="value", hue="lens", style="split", col="measure", row="panel",
                       kind="line", errorbar=("sd", 1), marker="o", height=3.0, aspect=1.2, palette=look.palette,
                       facet_kws={"sharey": False, "margin_titles": True})
    _measure_labels(grid, LAYER_LABEL)
    grid.figure.suptitle("Early exit: logit lens vs tuned lens (translators trained on the train split)", y=1.03)
    return grid.figure


def causal_ablation(ablation: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """Δ accuracy and Δ loss when each block's update is zero- or mean-ablated, per eval split."""
    long = ablation.melt(id_vars=["run", "step", "split", "layer", "ablation"],
                         value_vars=["delta_accuracy", "delta_loss"], var_name="measure", value_name="delta")
    long["measure"] = long["measure"].map({"delta_accuracy": "Δ accuracy (ablated − intact)",
                                           "delta_loss": "Δ cross-entropy [nats]"})
    long["split"] = long["split"].map(lambda s: SPLIT_TITLES.get(s, s))
    long["panel"] = _panel(long)
    grid = sns.relplot(data=long, x="layer", y="delta", hue="split", style="ablation", col="measure", row="panel",
                       kind="line", marker="o", height=3.0, aspect=1.2, palette=look.palette,
                       facet_kws={"sharey": False, "margin_titles": True})
    for ax in grid.axes.flat:
        ax.axhline(0.0, color="0.5", linewidth=0.8, linestyle=":")
    _measure_labels(grid, BLOCK_LABEL)
    grid.figure.suptitle("Block ablation: effect of removing each block's residual update", y=1.03)
    return grid.figure


def causal_patching(patching: pd.DataFrame, look: Look = Look()) -> plt.Figure:
    """Source rate and logit difference when resid_post[l] at the last prompt position comes from another input."""
    frame = patching.assign(direction=patching["source_split"] + " → " + patching["target_split"],
                            panel=_panel(patching))
    long = frame.melt(id_vars=["panel", "direction", "layer", "fit_seed"], value_vars=["source_rate", "logit_diff"],
                      var_name="measure", value_name="value")
    long["measure"] = long["measure"].map({"source_rate": "top-1 = source's answer (fraction)",
                                           "logit_diff": "logit(target ans.) − logit(source ans.)"})
    grid = sns.relplot(data=long, x="layer", y="value", hue="direction", col="measure", row="panel", kind="line",
                       errorbar=("sd", 1), marker="o", height=3.0, aspect=1.2, palette=look.palette,
                       facet_kws={"sharey": False, "margin_titles": True})
    _measure_labels(grid, "layer l patched (resid_post[l])")
    grid.legend.set_title("source → target")
    grid.figure.suptitle("Activation patching at the last prompt position (mean ± 1 s.d. over pairing seeds)", y=1.03)
    return grid.figure
