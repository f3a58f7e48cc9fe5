"""The inforidge command line and the generated config schema."""

from __future__ import annotations

import pandas as pd
import pytest

from inforidge import cli

from .test_tables import write_synthetic_tables


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    return write_synthetic_tables(tmp_path_factory.mktemp("cli") / "results")


def test_tables_list_shows_row_counts_and_missing_tables(results_dir, tmp_path, capsys):
    assert cli.main(["tables", "list", "--results-dir", str(results_dir)]) == 0
    out = capsys.readouterr().out
    assert "early_exit" in out and "rows" in out
    assert cli.main(["tables", "list", "--results-dir", str(tmp_path)]) == 0
    assert "not built" in capsys.readouterr().out


def test_tables_export_writes_csv(results_dir, tmp_path):
    out = tmp_path / "betas.csv"
    assert cli.main(["tables", "export", "residual_scaling", "--csv", str(out), "--results-dir", str(results_dir)]) == 0
    assert list(pd.read_csv(out).columns[:6]) == ["run", "model", "task", "seed", "n_layer", "step"]


def test_export_of_a_missing_table_is_one_line_error(tmp_path, capsys):
    assert cli.main(["tables", "export", "mi", "--csv", str(tmp_path / "x.csv"), "--results-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("inforidge: error: table 'mi' not found") and err.count("\n") == 1


def test_unknown_table_is_an_argparse_error():
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["tables", "export", "nope", "--csv", "x.csv"])
    assert exit_info.value.code == 2


def test_config_schema_prints_every_key(capsys):
    assert cli.main(["config", "schema"]) == 0
    out = capsys.readouterr().out
    assert "| `figures.palette` | `str` | `'colorblind'` |" in out
    assert "| `mi.kernels` |" in out


def test_committed_config_schema_is_up_to_date(repo_root):
    committed = (repo_root / "workflow/schemas/config.md").read_text()
    assert committed == cli.schema_markdown(), (
        "workflow/schemas/config.md is stale: run `inforidge config schema > workflow/schemas/config.md`"
    )
