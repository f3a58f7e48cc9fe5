"""Write-then-rename helpers: nothing half-written ever sits at a final path."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)


def staging_path(path: Path, tag: str = "tmp") -> Path:
    """Hidden sibling of ``path`` used while writing (``tmp``) or replacing (``old``) it.

    Same directory → same filesystem, so the final rename is atomic.
    """
    return path.parent / f".{path.name}.{tag}-{os.getpid()}"


def temp_sibling(path: Path) -> Path:
    """Temporary sibling for a single file written then renamed onto ``path``."""
    return staging_path(Path(path), "tmp")


def _remove_stale(path: Path) -> None:
    # One writer per output (Snakemake guarantees it): any staging sibling found now
    # belongs to a killed earlier attempt.
    for tag in ("tmp", "old"):
        for stale in path.parent.glob(f".{path.name}.{tag}-*"):
            log.warning("removing %s left by an interrupted run", stale)
            shutil.rmtree(stale, ignore_errors=True)


@contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on the file ``lock`` (created if missing) for the block.

    For shared caches written outside Snakemake (the fixture cache, filled by tests running
    in parallel workers and by ``make fixtures``): ``_remove_stale`` assumes one writer per
    output, and this makes it true there. The lock dies with its process, so a killed
    writer never leaves it held.
    """
    lock = Path(lock)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def atomic_directory(path: Path) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``path`` only if the block succeeds.

    An exception removes the temporary directory and leaves ``path`` as it was. An
    existing ``path`` (e.g. the empty directory Snakemake pre-creates) is renamed away,
    the new one renamed in, then the old deleted: a reader never sees a half-written or
    half-deleted directory under the final name, even if the process is killed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(path)
    tmp = staging_path(path, "tmp")
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if path.exists():
        old = staging_path(path, "old")
        os.rename(path, old)
    os.rename(tmp, path)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a DataFrame to Parquet via a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(path)
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)
