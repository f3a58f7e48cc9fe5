"""The public loading API: validation, clear errors, derived ridge layers."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from inforidge import results

from .test_tables import N_LAYER, write_synthetic_tables


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    return write_synthetic_tables(tmp_path_factory.mktemp("results") / "results")


def test_load_returns_the_table_with_typed_columns(results_dir):
    mi = results.load("mi", results_dir)
    assert mi["layer"].dtype == "int64" and mi["mi"].dtype == "float64"
    assert set(results.available(results_dir)) == set(results.TABLES)


def test_unknown_table_name_is_rejected(results_dir):
    with pytest.raises(ValueError, match="unknown table 'ridges'"):
        results.load("ridges", results_dir)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"tables/early_exit\.parquet"):
        results.load("early_exit", tmp_path)


def test_other_schema_version_is_refused(results_dir, tmp_path):
    table = pq.read_table(results_dir / "tables/attention.parquet")
    meta = {**table.schema.metadata, b"inforidge.schema_version": b"0"}
    (tmp_path / "tables").mkdir()
    pq.write_table(table.replace_schema_metadata(meta), tmp_path / "tables/attention.parquet")
    with pytest.raises(ValueError, match="schema version 0"):
        results.load("attention", tmp_path)


def test_a_file_of_another_table_is_refused(results_dir, tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables/mi.parquet").write_bytes((results_dir / "tables/runs.parquet").read_bytes())
    with pytest.raises(ValueError, match="holds table 'runs'"):
        results.load("mi", tmp_path)


def test_ridge_layer_is_the_argmax_of_the_seed_mean(results_dir):
    ridge = results.ridge_layers(results.load("mi", results_dir))
    trained = ridge[(ridge["site"] == "resid_post") & (ridge["step"] == 12)]
    assert set(trained["ridge_layer"]) == {2}  # the synthetic ridge
    final = ridge[ridge["site"] == "final_norm"]
    assert set(final["ridge_layer"]) == {N_LAYER}  # only one layer to choose from


def test_mean_mi_averages_over_sample_seeds(results_dir):
    mi = results.load("mi", results_dir)
    means = results.mean_mi(mi)
    assert set(means["seeds"]) == {2}
    assert len(means) == len(mi[mi["quantity"] == "mi"]) // 2
