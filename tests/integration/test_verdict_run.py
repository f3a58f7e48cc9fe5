"""The verdict table and figure of the shared reference run (configs/test.yaml), against the tables they line up."""

from __future__ import annotations

import pandas as pd
import pytest

from inforidge import results

pytestmark = pytest.mark.integration


def table(workdir, name) -> pd.DataFrame:
    return results.read_table(workdir / "results" / "tables" / f"{name}.parquet", name)


def test_every_read_out_is_lined_up_per_layer_and_checkpoint(finished_workflow):
    verdict = table(finished_workflow, "verdict")
    assert set(verdict["readout"]) == {"mi", "linear_probe", "logit_lens", "tuned_lens", "ablation"}
    mi = table(finished_workflow, "mi")
    assert set(verdict.loc[verdict["readout"] == "mi", "step"]) == set(mi["step"])
    keys = ["run", "step", "split", "readout", "metric", "site", "setting", "layer"]
    assert not verdict.duplicated(keys).any()
    assert (verdict.groupby(keys[:-1])["verdict"].nunique() == 1).all()  # one verdict per curve


def test_mi_rows_repeat_the_ridge_table(finished_workflow):
    """Same test, same answer: the verdict's MI curves agree with the ridge table curve by curve."""
    verdict = table(finished_workflow, "verdict").query("readout == 'mi'")
    ridge = table(finished_workflow, "ridge").rename(columns={"value": "metric"})
    curves = verdict.drop_duplicates(["run", "step", "split", "metric", "site", "setting"])
    merged = curves.merge(ridge, on=["run", "step", "split", "site", "metric"], suffixes=("", "_ridge"))
    assert len(merged) == len(curves) > 0
    assert (merged["verdict"] == merged["verdict_ridge"]).all()
    assert (merged["replicates"] == merged["seeds"]).all()
    mean = table(finished_workflow, "mi").query("quantity == 'mi' and site == 'resid_post'")
    mean = mean.groupby(["run", "step", "split", "layer"])["mi_excess"].mean()
    rows = verdict.query("metric == 'mi_excess' and site == 'resid_post'").set_index(["run", "step", "split", "layer"])
    assert rows["value"].to_numpy() == pytest.approx(mean.loc[rows.index].to_numpy())


def test_read_outs_without_replicates_carry_their_values_and_no_interval(finished_workflow):
    verdict = table(finished_workflow, "verdict")
    lens = verdict.query("readout == 'logit_lens'").set_index(["step", "split", "layer"])["value"]
    early = table(finished_workflow, "early_exit").set_index(["step", "split", "layer"])["accuracy"]
    assert lens.to_numpy() == pytest.approx(early.loc[lens.index].to_numpy())
    untested = verdict[verdict["readout"].isin(["logit_lens", "ablation"])]
    assert set(untested["verdict"]) == {"no replicates"} and untested["diff_ci_low"].isna().all()
    # Two MI seeds and two lens seeds in the test config: below the test's five, said so.
    assert set(verdict.loc[verdict["readout"].isin(["mi", "tuned_lens"]), "verdict"]) == {"untestable"}


def test_the_verdict_figure_leads_the_report(finished_workflow):
    from inforidge.figures.report import VERDICT, all_figures

    assert (finished_workflow / "results" / "figures" / "verdict.png").stat().st_size > 0
    assert all_figures().names()[0] == VERDICT.name
    categories = {spec.category for spec in all_figures()}
    assert min(categories) == VERDICT.category  # the HTML report lists categories alphabetically
