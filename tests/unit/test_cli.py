"""The inforidge command line and the generated config schema."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
import yaml

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


def test_export_to_dash_writes_csv_on_stdout(results_dir, capsys):
    assert cli.main(["tables", "export", "attention", "--csv", "-", "--results-dir", str(results_dir)]) == 0
    captured = capsys.readouterr()
    frame = pd.read_csv(io.StringIO(captured.out))
    assert list(frame.columns[:5]) == ["run", "model", "task", "seed", "n_layer"] and len(frame) > 0
    assert "rows of table attention" in captured.err  # the summary stays off the data stream
    assert not Path("-").exists()


def test_closed_pipe_ends_quietly(results_dir):
    """`inforidge tables list | head`: the reader has gone; exit 0 without a BrokenPipe traceback."""
    code = f"import sys; from inforidge import cli; sys.exit(cli.main(['tables', 'list', '--results-dir', {str(results_dir)!r}]))"
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write: every write fails with EPIPE
    try:
        writer = subprocess.run([sys.executable, "-c", code], stdout=write_end, stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write_end)
    assert writer.returncode == 0, writer.stderr.decode()
    assert b"Traceback" not in writer.stderr and b"BrokenPipeError" not in writer.stderr


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"inforidge {version('inforidge')}"


def test_committed_json_schema_is_up_to_date_and_validates_the_shipped_configs(repo_root, capsys):
    assert cli.main(["config", "schema", "--json"]) == 0
    generated = json.loads(capsys.readouterr().out)
    committed = json.loads((repo_root / "workflow/schemas/config.schema.json").read_text())
    assert committed == generated, (
        "workflow/schemas/config.schema.json is stale: run "
        "`inforidge config schema --json > workflow/schemas/config.schema.json`"
    )
    jsonschema.Draft202012Validator.check_schema(committed)
    validator = jsonschema.Draft202012Validator(committed)
    for path in [repo_root / "config.yaml", *sorted((repo_root / "configs").glob("*.yaml"))]:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert not errors, (path.name, errors)
    # The schema rejects what the typed model rejects: an unknown key and a wrong type.
    bad = {"tasks": {"t": {"kind": "arithmetic", "modulos": 3}}, "runs": {"r": {"task": "t", "seed": "zero"}}}
    messages = " ".join(e.message for e in validator.iter_errors(bad))
    assert "modulos" in messages and "'zero' is not of type 'integer'" in messages
