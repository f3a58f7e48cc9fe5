"""Figures built from the tidy tables only (never from intermediate files).

Each function takes a table and returns a matplotlib Figure; ``save_figure`` writes it
in every configured format. Agg backend: no display is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from inforidge.atomic import temp_sibling  # noqa: E402

SPLIT_TITLES = {"id": "in-distribution", "ood": "out-of-distribution"}


def style(palette: str) -> None:
    """Shared look: white grid, readable fonts, a colorblind-safe palette."""
    sns.set_theme(style="whitegrid", context="paper", palette=palette)


def mi_by_layer(mi: pd.DataFrame, *, site: str = "resid_post", kernel: str = "gaussian") -> plt.Figure:
    """The ridge curves: I(Z_l; Y) vs layer, one line per checkpoint, ID and OOD panels.

    Lines are means over subsample seeds with ±2 s.d. bands (the paper's convention).
    """
    data = mi[(mi["quantity"] == "mi") & (mi["site"] == site) & (mi["kernel"] == kernel)]
    grid = sns.relplot(
        data=data, x="layer", y="mi", hue="step", col="split_role", row="run", kind="line",
        errorbar=("sd", 2), palette="viridis", height=3.0, aspect=1.2, marker="o",
        facet_kws={"sharey": "row", "margin_titles": True},
    )
    grid.set_axis_labels("layer l (0 = embeddings)", "I(Z_l; Y) [bits]")
    grid.set_titles(col_template="{col_name}", row_template="{row_name}")
    for ax in grid.axes.flat:
        ax.set_title(SPLIT_TITLES.get(ax.get_title(), ax.get_title()))
    grid.figure.suptitle(f"Mutual information by layer ({site}, {kernel} kernel)", y=1.03)
    return grid.figure


def training_curves(training: pd.DataFrame) -> plt.Figure:
    """Target accuracy and loss per checkpoint on the ID and OOD eval splits."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, metric, label in zip(axes, ("accuracy", "loss"), ("target accuracy", "target loss [nats]")):
        sns.lineplot(data=training, x="step", y=metric, hue="split", style="run", marker="o", ax=ax)
        ax.set_xlabel("training step")
        ax.set_ylabel(label)
    fig.tight_layout()
    return fig


def save_figure(fig: plt.Figure, outputs: Sequence[str | Path], dpi: int) -> None:
    """Save ``fig`` to each output path (format from the suffix), atomically."""
    for out in map(Path, outputs):
        tmp = temp_sibling(out).with_suffix(out.suffix)
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
        tmp.replace(out)
    plt.close(fig)
