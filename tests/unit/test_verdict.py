"""The verdict table: every read-out's layer curve with the ridge test, or the reason there is none."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inforidge import results
from inforidge.analyses.verdictspec import VERDICT_SOURCES, source_tables
from inforidge.config import FiguresConfig
from inforidge.figures.plots import render
from inforidge.figures.verdictplots import verdict as draw_verdict
from inforidge.tables.tidy import TABLES, write_table
from inforidge.tables.verdict import verdict_table

L = 4
KEYS = {"run": "narrow", "model": "broad@step-3000", "task": "t", "seed": 0, "n_layer": L, "step": 100}


def _rows(values: dict[int, list[float]], replicate: str | None, **columns) -> pd.DataFrame:
    """Long rows of one curve: layer -> a value per replicate."""
    rows = [{**KEYS, "split": "ood", "layer": layer, **({replicate: r} if replicate else {}), "value": v, **columns}
            for layer, per_rep in values.items() for r, v in enumerate(per_rep)]
    return pd.DataFrame(rows)


def _ridge_at_2(k: int, noise: float = 0.01) -> dict[int, list[float]]:
    rng = np.random.default_rng(0)
    peak = {0: 0.1, 1: 0.4, 2: 0.9, 3: 0.6, 4: 0.3}
    return {layer: list(peak[layer] + noise * rng.standard_normal(k)) for layer in range(L + 1)}


def _tables() -> dict[str, pd.DataFrame]:
    mi = _rows(_ridge_at_2(8), "sample_seed", quantity="mi", site="resid_post", kernel="gaussian", sigma=1.0,
               bandwidth_rule="fixed", normalize="whiten").rename(columns={"value": "mi"})
    mi["mi_excess"] = mi["mi"] - 0.05
    gain = mi.assign(quantity="gain", mi=99.0)  # not an I(Z_l; Y) curve: left out
    flat = {layer: [0.5 + 0.01 * f for f in range(5)] for layer in range(L + 1)}
    probe = _rows(flat, "fold", site="resid_post").rename(columns={"value": "v_info_bits"})
    probe["accuracy"] = 0.3
    tuned = _rows(_ridge_at_2(3), "fit_seed", lens="tuned").rename(columns={"value": "accuracy"})
    logit_in_tuned = tuned.assign(lens="logit", accuracy=0.0)
    early = _rows({layer: [0.2 * layer] for layer in range(L + 1)}, None).rename(columns={"value": "accuracy"})
    ablation = _rows({layer: [-0.1 * layer] for layer in range(1, L + 1)}, None, ablation="zero")
    return {"mi": pd.concat([mi, gain]), "linear_probe": probe, "tuned_lens": pd.concat([tuned, logit_in_tuned]),
            "early_exit": early, "causal_ablation": ablation.rename(columns={"value": "delta_accuracy"})}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return verdict_table(_tables())


def _curve(table: pd.DataFrame, readout: str, metric: str) -> pd.DataFrame:
    return table[(table["readout"] == readout) & (table["metric"] == metric)].set_index("layer")


def test_an_mi_ridge_is_found_with_its_interval(table):
    for metric in ("mi_excess", "mi"):
        curve = _curve(table, "mi", metric)
        assert list(curve.index) == list(range(L + 1))
        first = curve.iloc[0]
        assert (first["verdict"], first["tested_layer"], first["best_layer"], first["replicates"]) == ("ridge", 2, 2, 8)
        assert 0 < first["gap_ci_low"] < first["gap"] < first["gap_ci_high"]
        assert first["gap"] == pytest.approx(0.6, abs=0.02)
        assert first["setting"] == "gaussian σ=1.0 whiten" and first["replicate_kind"] == "subsample seed"
        assert curve.loc[2, "diff_ci_low"] > 0 and np.isnan(curve.loc[L, "diff_ci_low"])
    assert _curve(table, "mi", "mi")["value"].max() < 2  # the gain rows (99) stay out


def test_bandwidth_rules_are_curves_of_their_own():
    """σ is NaN under a rule: the setting names the rule, so median and silverman curves stay apart."""
    tables = _tables()
    mi = tables["mi"][tables["mi"]["quantity"] == "mi"]
    rules = pd.concat([mi.assign(sigma=float("nan"), bandwidth_rule=rule) for rule in ("median", "silverman")])
    tables["mi"] = pd.concat([tables["mi"], rules])
    settings = set(verdict_table(tables).query("readout == 'mi'")["setting"])
    assert settings == {"gaussian σ=1.0 whiten", "gaussian σ=median whiten", "gaussian σ=silverman whiten"}


def test_a_flat_probe_curve_has_no_ridge(table):
    curve = _curve(table, "linear_probe", "v_info_bits")
    assert set(curve["verdict"]) == {"no ridge"} and (curve["replicates"] == 5).all()
    assert curve["gap"].iloc[0] == pytest.approx(0.0)


def test_three_lens_seeds_are_untestable_and_only_the_tuned_lens_is_read(table):
    curve = _curve(table, "tuned_lens", "accuracy")
    assert set(curve["verdict"]) == {"untestable"} and curve["tested_layer"].isna().all()
    assert curve.loc[2, "value"] > 0.8  # the logit rows of the tuned_lens table (0.0) are not mixed in
    assert curve.loc[2, "diff_ci_low"] > 0  # three seeds still give the per-layer paired interval


def test_read_outs_without_replicates_say_so_and_invent_no_interval(table):
    for readout, metric in (("logit_lens", "accuracy"), ("ablation", "accuracy_drop")):
        curve = _curve(table, readout, metric)
        assert set(curve["verdict"]) == {"no replicates"}, readout
        assert (curve["replicates"] == 1).all()
        assert curve[["value_std", "diff_ci_low", "gap", "gap_ci_low", "p_adjusted"]].isna().all().all()
    ablation = _curve(table, "ablation", "accuracy_drop")
    assert ablation.loc[3, "value"] == pytest.approx(0.3)  # the drop is −delta_accuracy: larger matters more
    assert ablation["setting"].iloc[0] == "zero" and ablation["best_layer"].iloc[0] == L


def test_replicates_that_agree_exactly_are_not_a_ridge():
    """Five lens seeds landing on identical predictions: the gap's t is infinite, the flips reject anything."""
    same = {layer: [0.016] * 5 for layer in range(L + 1)}
    same[L] = [0.012] * 5
    lens = _rows(same, "fit_seed", lens="tuned").rename(columns={"value": "accuracy"})
    curve = verdict_table({"tuned_lens": lens})
    assert set(curve["verdict"]) == {"no spread"}
    assert curve["gap"].iloc[0] == pytest.approx(0.004)


def test_the_table_conforms_and_round_trips(table, tmp_path):
    write_table(table, tmp_path / "verdict.parquet", "verdict")
    back = results.read_table(tmp_path / "verdict.parquet", "verdict")
    assert list(back.columns) == TABLES["verdict"].names and len(back) == len(table)


def test_absent_source_tables_are_skipped_and_no_curve_at_all_is_an_error():
    partial = verdict_table({"early_exit": _tables()["early_exit"]})
    assert set(partial["readout"]) == {"logit_lens"}
    with pytest.raises(ValueError, match="verdict: no layer curve"):
        verdict_table({"early_exit": _tables()["early_exit"].query("layer == 0")})


def test_every_source_reads_a_declared_table():
    assert set(source_tables()) <= set(TABLES)
    assert VERDICT_SOURCES.names()[0] == "mi"


def test_the_figure_draws_every_curve(table):
    fig = render(draw_verdict, [table], FiguresConfig(), {})
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert sum("mi: mi_excess" in label for label in labels) == 1 and len(labels) == 7
    summary = "narrow, step 100, OOD: ridge in 2 of 4 tested curves (mi/mi L2, mi/mi_excess L2)"
    assert summary in fig._suptitle.get_text()
