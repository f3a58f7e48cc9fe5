"""The capacity table: relative depth, seed statistics and the ridge position, from the mi table."""

import numpy as np
import pandas as pd
import pytest

from inforidge.config import validate_config
from inforidge.results import read_table
from inforidge.tables.capacity import CAPACITY, capacity_table
from inforidge.tables.tidy import write_table
from inforidge.workflow.planning import capacity_wanted


def mi_rows(run: str, n_layer: int, curve: list[float], seeds=range(6), step: int = 10) -> list[dict]:
    rows = []
    for layer, value in enumerate(curve):
        for seed in seeds:
            rows.append({"run": run, "model": f"gpt2-L{n_layer}", "task": "a", "seed": 0, "n_layer": n_layer,
                         "step": step, "split": "id", "data_split": "eval_id", "site": "resid_post",
                         "quantity": "mi", "layer": layer, "kernel": "gaussian", "sigma": 1.0, "bandwidth_rule": "fixed",
                         "normalize": "whiten", "sample_seed": seed, "mi": value + 0.1 * (seed % 2),
                         "mi_excess": value - 1.0 + 0.01 * ((seed * (layer + 1)) % 3)})
    return rows


@pytest.fixture
def mi():
    rows = mi_rows("shallow", 2, [1.0, 2.0, 3.0]) + mi_rows("deep", 4, [1.0, 3.0, 4.0, 3.5, 2.0])
    gain = {**rows[0], "quantity": "gain", "mi": 100.0}
    return pd.DataFrame(rows + [gain])


def test_relative_depth_and_seed_statistics(mi):
    table = capacity_table(mi)
    assert len(table) == 3 + 5  # one row per (run, layer): gain rows ignored
    deep = table[table.run == "deep"].sort_values("layer")
    assert (deep["n_layer"] == 4).all()  # the loaded depth, equal to the deepest layer measured
    assert np.allclose(deep["relative_depth"], [0, 0.25, 0.5, 0.75, 1.0])
    assert np.allclose(deep["mi_mean"], [1.05, 3.05, 4.05, 3.55, 2.05])
    assert np.allclose(deep["mi_std"], np.std([0.0, 0.1] * 3, ddof=1))
    assert (deep["sample_seeds"] == 6).all()


def test_ridge_position_comes_from_the_ridge_test(mi):
    table = capacity_table(mi)
    ridge = table.drop_duplicates("run").set_index("run")
    # Rising to the last block: no interior layer is above it, the ridge sits at L.
    assert ridge.loc["shallow", "ridge_layer"] == 2 and ridge.loc["shallow", "ridge_position"] == 1.0
    assert ridge.loc["shallow", "ridge_verdict"] == "no ridge"
    assert ridge.loc["deep", "ridge_layer"] == 2 and ridge.loc["deep", "ridge_position"] == 0.5
    assert ridge.loc["deep", "ridge_verdict"] == "ridge" and ridge.loc["deep", "ridge_value"] == "mi_excess"
    assert ridge.loc["deep", "ridge_p"] == pytest.approx(1 / 64)


def test_too_few_seeds_put_the_ridge_at_the_last_layer_as_untestable(mi):
    table = capacity_table(mi[mi["sample_seed"] < 2]).drop_duplicates("run").set_index("run")
    assert (table["ridge_verdict"] == "untestable").all() and (table["ridge_position"] == 1.0).all()


def test_bandwidths_are_not_averaged(mi):
    rule = mi.assign(sigma=float("nan"), bandwidth_rule="median", mi=mi["mi"] + 2.0)  # NaN σ is still a key
    table = capacity_table(pd.concat([mi, mi.assign(sigma=2.0, mi=mi["mi"] + 1.0), rule]))
    assert set(table["bandwidth_rule"]) == {"fixed", "median"} and len(table) == 3 * (3 + 5)
    assert set(table["sigma"].dropna()) == {1.0, 2.0} and table["sigma"].isna().sum() == 3 + 5


def test_written_table_reads_back_with_its_schema(mi, tmp_path):
    path = tmp_path / "capacity.parquet"
    write_table(capacity_table(mi), path, "capacity")
    back = read_table(path, "capacity")
    assert list(back.columns) == CAPACITY.names
    assert list(back["n_layer"]) == sorted(back["n_layer"])


def test_empty_mi_is_an_error(mi):
    with pytest.raises(ValueError, match="no rows with quantity 'mi'"):
        capacity_table(mi[mi.quantity == "gain"])


def test_capacity_wanted():
    def config(enabled, *models):
        runs = {f"r{i}": {"task": "t", "model": model} for i, model in enumerate(models)}
        return validate_config({"tasks": {"t": {"kind": "arithmetic"}}, "runs": runs, "capacity": {"enabled": enabled}})

    scratch = lambda n: {"source": "scratch", "n_layer": n}
    pretrained = {"source": "pretrained", "name_or_path": "gpt2", "n_layer": 4}
    assert capacity_wanted(config("auto", scratch(2), scratch(4)))
    assert not capacity_wanted(config("auto", scratch(2), scratch(2), pretrained))
    assert not capacity_wanted(config("auto", scratch(2)))
    assert capacity_wanted(config(True, scratch(2))) and not capacity_wanted(config(False, scratch(2), scratch(4)))