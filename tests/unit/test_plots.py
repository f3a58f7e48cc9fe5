"""Every figure draws from synthetic tables, with labeled axes, and saves in each format."""

from __future__ import annotations

import json
import re

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from inforidge import plots, results, sweepplots

from .test_tables import write_synthetic_tables


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict[str, pd.DataFrame]:
    results_dir = write_synthetic_tables(tmp_path_factory.mktemp("plots") / "results", kernels=("gaussian", "linear"))
    return {name: results.load(name, results_dir) for name in results.TABLES}


@pytest.mark.parametrize("name", sorted(plots.FIGURES))
def test_figure_draws_with_labeled_axes(name, tables):
    fig = plots.draw(name, tables)
    try:
        # Every panel (and colour bar, twin axis) shows data: an empty facet means rows went missing.
        assert all(ax.has_data() for ax in fig.axes), f"{name}: a panel with nothing drawn"
        # Facet grids label only the outer panels of shared axes: at least one label per direction.
        assert any(ax.get_xlabel() for ax in fig.axes), f"{name}: no x label"
        assert any(ax.get_ylabel() for ax in fig.axes), f"{name}: no y label"
    finally:
        plt.close(fig)


def test_mi_axis_carries_the_unit(tables):
    fig = plots.draw("mi_by_layer", tables)
    assert "[bits]" in fig.axes[0].get_ylabel()
    plt.close(fig)
    nats = tables["mi"].assign(base=2.718281828459045)
    assert plots.mi_unit(nats) == "nats"


def test_save_figure_writes_each_format_atomically(tables, tmp_path):
    outputs = [tmp_path / "figs/training.png", tmp_path / "figs/training.pdf"]
    plots.save_figure(plots.draw("training", tables), outputs, dpi=60)
    assert outputs[0].read_bytes()[:4] == b"\x89PNG" and outputs[1].read_bytes()[:4] == b"%PDF"
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == ["training.pdf", "training.png"]


def test_missing_rows_are_a_clear_error(tables):
    with pytest.raises(ValueError, match="no rows for quantity='gain'"):
        plots.draw("mi_gain", {"mi": tables["mi"][tables["mi"]["quantity"] == "mi"]})
    with pytest.raises(ValueError, match="at least two kernels"):
        plots.draw("kernel_ablation", {"mi": tables["mi"][tables["mi"]["kernel"] == "gaussian"]})


def bar_heights(fig: plt.Figure) -> dict[tuple[str, str, str], float]:
    """{(panel title, legend entry, x tick label): height} of every bar, legend matched by colour."""
    legend = fig.legends[0]
    entry = {to_hex(h.get_facecolor()): t.get_text() for h, t in zip(legend.legend_handles, legend.texts)}
    heights = {}
    for ax in fig.axes:
        ticks = {round(t.get_position()[0]): t.get_text() for t in ax.get_xticklabels()}
        for bar in (bar for bars in ax.containers for bar in bars):  # not ax.patches: legend proxies live there
            key = (ax.get_title(), entry[to_hex(bar.get_facecolor())], ticks[round(bar.get_x() + bar.get_width() / 2)])
            assert key not in heights, f"two bars for {key}"
            heights[key] = bar.get_height()
    return heights


def test_residual_scaling_accuracy_shows_before_and_after_for_each_split(tables):
    # Distinct accuracy per (fit split, fit seed, eval split, phase), so a swapped or dropped bar shows.
    acc = tables["residual_scaling_accuracy"]
    acc = acc.assign(accuracy=(acc["split"] == "ood") * 0.4 + (acc["phase"] == "after") * 0.2
                     + (acc["fit_split"] == "ood") * 0.1 + acc["fit_seed"] * 0.02 + 0.1)
    fig = plots.draw("residual_scaling_accuracy", {"residual_scaling_accuracy": acc})
    try:
        heights = bar_heights(fig)
    finally:
        plt.close(fig)
    expected = {
        (f"β fitted on {plots.SPLIT_TITLES[fit]} data", plots.PHASE_LABELS[phase], plots.SPLIT_TITLES[split]): mean
        for (fit, split, phase), mean in acc.groupby(["fit_split", "split", "phase"])["accuracy"].mean().items()
    }
    assert len(expected) == 8  # 2 fit splits × 2 eval splits × before/after
    assert heights == pytest.approx(expected)


def test_residual_scaling_accuracy_refuses_half_a_comparison(tables):
    acc = tables["residual_scaling_accuracy"]
    no_after_ood = acc[~((acc["phase"] == "after") & (acc["split"] == "ood"))]
    with pytest.raises(ValueError, match="needs before and after rows"):
        plots.draw("residual_scaling_accuracy", {"residual_scaling_accuracy": no_after_ood})


def test_draw_names_a_missing_table(tables):
    with pytest.raises(ValueError, match="missing \\['mi'\\]"):
        plots.draw("early_exit", {"early_exit": tables["early_exit"]})


def test_workflow_declares_every_figure_with_its_tables_and_caption(repo_root):
    """figures.smk spells out each figure's tables (to keep matplotlib out of DAG parsing)."""
    text = (repo_root / "workflow/rules/figures.smk").read_text()
    for name, spec in plots.FIGURES.items():
        assert re.search(rf'"{name}": \(\s*{re.escape(json.dumps(list(spec.tables)))}', text), name
        assert (repo_root / f"workflow/report/{name}.rst").read_text().strip(), name


def test_workflow_reports_every_sweep_figure_with_a_caption(repo_root):
    """capacity.smk and multitoken.smk give each of their figures a report label and a caption."""
    helper = (repo_root / "workflow/rules/figures.smk").read_text()
    assert 'caption=f"../report/{name}.rst"' in helper  # figure_report, shared by every figure rule
    for name, (table, _) in sweepplots.FIGURES.items():
        text = (repo_root / f"workflow/rules/{table}.smk").read_text()
        assert re.search(rf'"{name}": "[^"]+"', text), name
        assert "figure_report(_name, " in text, table
        assert (repo_root / f"workflow/report/{name}.rst").read_text().strip(), name
