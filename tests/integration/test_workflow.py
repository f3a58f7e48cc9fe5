"""The whole DAG on the tiny test config: tables, invariants, idempotence."""

import math

import numpy as np
import pandas as pd
import pytest

from inforidge.config import load_config
from inforidge.models.schedule import checkpoint_steps

from .conftest import TEST_CONFIG, snakemake

pytestmark = pytest.mark.integration
CFG = load_config(TEST_CONFIG)


def table(workdir, name):
    return pd.read_parquet(workdir / "results" / "tables" / f"{name}.parquet")


def test_mi_table_has_one_row_per_site_layer_checkpoint_split_seed(finished_workflow):
    mi = table(finished_workflow, "mi")
    run = CFG.runs["tiny"]
    steps, n_layer = checkpoint_steps(run.training), run.model.n_layer
    rows = mi[mi["quantity"] == "mi"]
    expected = (n_layer + 1 + 1) * len(steps) * 2 * len(CFG.mi.seeds)  # resid_post 0..L + final_norm
    assert len(rows) == expected
    keys = ["run", "step", "split", "site", "layer", "sample_seed", "kernel"]
    assert not rows.duplicated(keys).any()
    assert set(rows["step"]) == set(steps)
    assert set(rows["split"]) == {"id", "ood"}
    assert set(rows["data_split"]) == {"eval_id", "eval_ood"}
    assert set(rows[rows.site == "resid_post"]["layer"]) == set(range(n_layer + 1))
    assert set(rows[rows.site == "final_norm"]["layer"]) == {n_layer}


def test_mi_values_are_finite_and_bounded(finished_workflow):
    mi = table(finished_workflow, "mi")
    assert np.isfinite(mi[["mi", "h_z", "h_y", "h_joint", "mi_excess", "null_mean"]].to_numpy()).all()
    bound = math.log2(CFG.mi.n_samples)
    rows = mi[mi["quantity"] == "mi"]
    assert (rows["mi"] >= -1e-9).all() and (rows["mi"] <= bound + 1e-9).all()
    # Disjoint subsamples: n = min(n_samples, rows of the split // seeds).
    sizes = CFG.tasks["arithmetic"].sizes
    split_rows = min(sizes["eval_id"], sizes["eval_ood"])
    assert (rows["n"] == min(CFG.mi.n_samples, split_rows // len(CFG.mi.seeds))).all()
    assert rows[["model", "task", "seed", "kernel", "sigma", "alpha"]].notna().all().all()


def test_gain_rows_for_each_block(finished_workflow):
    gain = table(finished_workflow, "mi").query("quantity == 'gain'")
    assert set(gain["layer"]) == set(range(1, CFG.runs["tiny"].model.n_layer + 1))
    assert set(gain["site"]) == {"resid_post"}


def test_training_table(finished_workflow):
    training = table(finished_workflow, "training")
    steps = checkpoint_steps(CFG.runs["tiny"].training)
    assert sorted(training["step"].unique()) == steps
    assert set(training["split"]) == {"id", "ood"}
    assert training["accuracy"].between(0, 1).all()
    assert training.query("step > 0")["train_loss"].notna().all()


def test_figures_exist(finished_workflow):
    figures = finished_workflow / "results" / "figures"
    assert (figures / "mi_by_layer.png").stat().st_size > 10_000


def test_second_run_schedules_nothing(finished_workflow):
    result = snakemake(finished_workflow, "-n", "--cores", "2")
    assert "Nothing to be done" in result.stdout + result.stderr, result.stdout[-3000:]


def test_linear_probe_table_per_checkpoint_split_site_layer_fold(finished_workflow):
    probe = table(finished_workflow, "linear_probe")
    run, settings = CFG.runs["tiny"], CFG.readouts.linear_probe
    steps, n_layer = checkpoint_steps(run.training), run.model.n_layer
    assert len(probe) == (n_layer + 1 + 1) * len(steps) * 2 * settings.folds  # resid_post 0..L + final_norm
    assert not probe.duplicated(["run", "step", "split", "site", "layer", "fold"]).any()
    assert set(probe["split"]) == {"id", "ood"}
    assert np.isfinite(probe[["accuracy", "ce_bits", "h_y_bits", "v_info_bits"]].to_numpy()).all()
    assert ((probe["accuracy"] >= 0) & (probe["accuracy"] <= 1)).all()
    assert np.allclose(probe["v_info_bits"], probe["h_y_bits"] - probe["ce_bits"])


def test_ridge_and_paired_tables_follow_the_mi_table(finished_workflow):
    ridge, paired = table(finished_workflow, "ridge"), table(finished_workflow, "mi_paired")
    n_layer = CFG.runs["tiny"].model.n_layer
    assert set(ridge["value"]) == {"mi_excess", "mi"} and set(ridge["site"]) == {"resid_post"}
    assert ridge["ridge_layer"].between(0, n_layer).all() and ridge["seeds"].eq(len(CFG.mi.seeds)).all()
    # The test config's 2 seeds allow no level-0.05 sign-flip test: said, not guessed; sizes really used.
    assert set(ridge["verdict"]) == {"untestable"} and set(ridge["normalize"]) == {CFG.mi.normalize}
    assert ridge["n"].le(CFG.mi.n_samples).all() and ridge["n_requested"].eq(CFG.mi.n_samples).all()
    assert set(paired["layer_a"]) == set(range(n_layer)) and paired["layer_b"].eq(n_layer).all()
