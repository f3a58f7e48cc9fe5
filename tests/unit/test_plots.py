"""Every figure draws from synthetic tables, with labeled axes, and saves in each format."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from inforidge import results
from inforidge.core.registry import resolve
from inforidge.figures import plots
from inforidge.figures.report import all_figures
from inforidge.tables.tidy import TABLES

from .test_tables import write_synthetic_tables


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict[str, pd.DataFrame]:
    results_dir = write_synthetic_tables(tmp_path_factory.mktemp("plots") / "results", kernels=("gaussian", "linear"))
    return {name: results.load(name, results_dir) for name in results.TABLES}


@pytest.mark.parametrize("name", sorted(all_figures().names()))
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
        (f"fitted on {plots.SPLIT_TITLES[fit]} data", plots.PHASE_LABELS[phase], plots.SCORED_TITLES[split]): mean
        for (fit, split, phase), mean in acc.groupby(["fit_split", "split", "phase"])["accuracy"].mean().items()
    }
    assert len(expected) == 18  # 2 fit splits × (held-out + 2 eval splits) × before/temperature/after
    assert heights == pytest.approx(expected)


def test_residual_scaling_accuracy_refuses_half_a_comparison(tables):
    acc = tables["residual_scaling_accuracy"]
    no_after_ood = acc[~((acc["phase"] == "after") & (acc["split"] == "ood"))]
    with pytest.raises(ValueError, match="needs before, temperature and after rows"):
        plots.draw("residual_scaling_accuracy", {"residual_scaling_accuracy": no_after_ood})


def test_draw_names_a_missing_table(tables):
    with pytest.raises(ValueError, match="missing \\['mi'\\]"):
        plots.draw("early_exit", {"early_exit": tables["early_exit"]})


def test_every_registered_figure_resolves_and_has_a_caption(repo_root):
    """Each registry entry names a drawing function that exists, tables that exist, and a caption."""
    for spec in all_figures():
        assert callable(resolve(spec.draw)), spec.name
        assert set(spec.tables) <= set(TABLES), spec.name
        assert (repo_root / f"workflow/report/{spec.name}.rst").read_text().strip(), spec.name


def test_figure_rules_are_derived_from_the_registry(repo_root):
    """figures.smk loops over the registry; no rule file spells out a figure name."""
    rules = {p.name: p.read_text() for p in (repo_root / "workflow/rules").glob("*.smk")}
    assert "for _fig in all_figures():" in rules["figures.smk"]
    for spec in all_figures():  # names live in the registry only (`"training"` is also a table name)
        assert not any(f'figure_{spec.name}' in text or f'"{spec.name}.rst"' in text for text in rules.values())
    assert [name for name, text in rules.items() if "figure_draw" in text] == ["figures.smk"]


def test_main_figure_leads_with_the_excess_and_labels_both_last_layer_sites(tables):
    fig = plots.draw("mi_by_layer", tables)
    try:
        assert "null mean" in fig.axes[0].get_ylabel()
        labels = {t.get_text() for legend in fig.legends for t in legend.texts}
        assert {"resid_post[l]", "final_norm(resid_post[L])"} <= labels
    finally:
        plt.close(fig)
    no_null = tables["mi"].assign(mi_excess=float("nan"), null_mean=float("nan"), null_std=float("nan"))
    fig = plots.draw("mi_by_layer", {"mi": no_null})
    assert "raw" in fig.axes[0].get_ylabel() and "no permutation null" in fig.axes[0].get_ylabel()
    plt.close(fig)


def test_null_figure_draws_the_null_band_beside_the_raw_curve(tables):
    fig = plots.draw("mi_null", tables)
    try:
        for ax in fig.axes:
            band = ax.collections[-1].get_paths()[0].vertices[:, 1]  # the null band's fill polygon
            assert band.min() == pytest.approx(0.4 - 2 * 0.05) and band.max() == pytest.approx(0.4 + 2 * 0.05)
    finally:
        plt.close(fig)


def test_ridge_sigma_puts_numeric_bandwidths_in_order_then_rules(tables):
    bandwidths = [(0.5, "fixed"), (2.0, "fixed"), (float("nan"), "median"), (10.0, "fixed")]
    ridge = pd.concat([tables["ridge"].assign(sigma=s, bandwidth_rule=rule, ridge_layer=i)
                       for i, (s, rule) in enumerate(bandwidths)], ignore_index=True)
    fig = plots.draw("ridge_sigma", {"ridge": ridge})
    try:
        ax = fig.axes[0]
        assert [t.get_text() for t in ax.get_xticklabels()] == ["0.5", "2", "10", "median"]
        line = ax.get_lines()[0]
        assert list(line.get_ydata()) == [0, 1, 3, 2]
    finally:
        plt.close(fig)


def test_ridge_sigma_is_drawn_for_a_bandwidth_sweep_only(repo_root):
    import yaml

    from inforidge.config import validate_config
    from inforidge.figures.report import wanted_figures

    data = yaml.safe_load((repo_root / "configs/test.yaml").read_text())
    assert "ridge_sigma" not in {f.name for f in wanted_figures(validate_config(data))}
    data["mi"]["sigma"] = [0.5, 1.0, "median"]
    assert "ridge_sigma" in {f.name for f in wanted_figures(validate_config(data))}


def test_paired_figure_plots_each_layer_minus_the_last_at_the_last_step(tables):
    paired = tables["mi_paired"]
    fig = plots.draw("mi_paired", {"mi_paired": paired})
    try:
        ax = fig.axes[0]
        run, split = sorted(paired[["run", "split"]].drop_duplicates().itertuples(index=False))[0]
        want = paired[(paired["run"] == run) & (paired["split"] == split) & (paired["site"] == "resid_post")
                      & (paired["value"] == "mi_excess") & (paired["step"] == paired["step"].max())
                      & (paired["kernel"] == "gaussian")]  # the main figures' kernel
        line = ax.get_lines()[0]  # the excess's points (errorbar draws the data line first)
        assert list(line.get_ydata()) == pytest.approx(want.sort_values("layer_a")["mean_diff"].tolist())
        assert list(line.get_xdata()) == pytest.approx((want.sort_values("layer_a")["layer_a"] - 0.12).tolist())
    finally:
        plt.close(fig)


def test_ridge_over_training_draws_the_tests_verdicts_not_the_argmax(tables):
    """A found ridge sits at its tested layer (filled), no ridge at the last layer (open), untestable and no
    spread at the argmax, each under its own label."""
    ridge = tables["ridge"]
    steps = sorted(ridge["step"].unique())[:3]
    rows = ridge[ridge["step"].isin(steps)].copy()
    extra = rows[rows["step"] == steps[2]].assign(step=steps[2] + 1, verdict="no spread")
    steps.append(steps[2] + 1)
    verdict = dict(zip(steps, ["ridge", "no ridge", "untestable", "no spread"]))
    rows = pd.concat([rows, extra], ignore_index=True)
    rows["verdict"] = rows["step"].map(verdict)
    rows["tested_layer"], rows["ridge_layer"] = 1, 2
    fig = plots.draw("ridge_layer", {"ridge": rows})
    try:
        ax = fig.axes[0]
        points = {c.get_label().split(": ")[-1]: c.get_offsets() for c in ax.collections}
        last = int(rows["last_layer"].max())
        assert [list(p) for p in points["ridge"]] == [[steps[0], 1]]
        assert [list(p) for p in points["no ridge (at last)"]] == [[steps[1], last]]
        assert [list(p) for p in points["untestable, argmax"]] == [[steps[2], 2]]
        assert [list(p) for p in points["no spread, argmax"]] == [[steps[3], 2]]
        assert "whiten" in fig._suptitle.get_text() or "l2" in fig._suptitle.get_text()
    finally:
        plt.close(fig)
