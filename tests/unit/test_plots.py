"""Every figure draws from synthetic tables, with labeled axes, and saves in each format."""

from __future__ import annotations

import json
import re

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from inforidge import plots, results

from .test_tables import write_synthetic_tables


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict[str, pd.DataFrame]:
    results_dir = write_synthetic_tables(tmp_path_factory.mktemp("plots") / "results", kernels=("gaussian", "linear"))
    return {name: results.load(name, results_dir) for name in results.TABLES}


@pytest.mark.parametrize("name", sorted(plots.FIGURES))
def test_figure_draws_with_labeled_axes(name, tables):
    fig = plots.draw(name, tables)
    try:
        assert any(ax.has_data() or ax.collections for ax in fig.axes), f"{name}: nothing drawn"
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


def test_draw_names_a_missing_table(tables):
    with pytest.raises(ValueError, match="missing \\['mi'\\]"):
        plots.draw("early_exit", {"early_exit": tables["early_exit"]})


def test_workflow_declares_every_figure_with_its_tables_and_caption(repo_root):
    """figures.smk spells out each figure's tables (to keep matplotlib out of DAG parsing)."""
    text = (repo_root / "workflow/rules/figures.smk").read_text()
    for name, spec in plots.FIGURES.items():
        assert re.search(rf'"{name}": \(\s*{re.escape(json.dumps(list(spec.tables)))}', text), name
        assert (repo_root / f"workflow/report/{name}.rst").read_text().strip(), name
