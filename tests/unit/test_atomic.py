"""Write-then-rename: failures leave nothing at the final path."""

import pandas as pd
import pytest

from inforidge.core.atomic import atomic_directory, write_parquet


def test_atomic_directory_failure_leaves_no_output(tmp_path):
    target = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with atomic_directory(target) as tmp:
            (tmp / "partial").write_text("x")
            raise RuntimeError("boom")
    assert not target.exists() and not list(tmp_path.iterdir())


def test_atomic_directory_replaces_existing_and_cleans_stale(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old").write_text("old")
    (tmp_path / ".out.tmp-99999").mkdir()
    with atomic_directory(target) as tmp:
        (tmp / "new").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_write_parquet_roundtrip(tmp_path):
    frame = pd.DataFrame({"a": [1, 2]})
    write_parquet(frame, tmp_path / "x" / "t.parquet")
    assert pd.read_parquet(tmp_path / "x" / "t.parquet").equals(frame)
