"""Writing an activation store: bounded NPY shards, checksums and an atomic directory swap.

Rows arrive in order, batch by batch, so each shard is preallocated at its final size
(N is known up front) and filled by sequential positional writes while a running
sha256 is updated. Writing through ``write()`` rather than a writable memmap keeps dirty
file pages out of the process's resident set, so peak RSS stays flat in N.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from inforidge.activations.layout import MANIFEST, shard_path
from inforidge.models.checkpoint_files import combined_sha256, sha256_file, weight_files, weights_dir

log = logging.getLogger(__name__)

def frame_sha256(frame: pd.DataFrame) -> str:
    """Hash of an examples frame's content (columns, values, row order; not the index).

    JSON is used because split frames hold list columns (``signal_positions``), which
    ``pd.util.hash_pandas_object`` cannot hash.
    """
    text = frame.reset_index(drop=True).to_json(orient="split", index=False, double_precision=15, default_handler=str)
    return hashlib.sha256(text.encode()).hexdigest()


def checkpoint_sha256(checkpoint_dir: Path) -> tuple[str, list[str]]:
    """Combined hash of a checkpoint's weight files and their names (trainer state excluded);
    a series pointer's are the files it points at (``checkpoint_files.weights_dir``)."""
    files = weight_files(weights_dir(checkpoint_dir))
    return combined_sha256({p.name: sha256_file(p) for p in files}), [p.name for p in files]


class _Shard:
    """One preallocated NPY file filled front to back, hashed as it is written."""

    def __init__(self, root: Path, relpath: str, rows: int, dim: int, dtype: np.dtype) -> None:
        self.relpath = relpath
        self.path = root / relpath
        self.rows = rows
        self.row_bytes = dim * dtype.itemsize
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": (rows, dim)}
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("wb") as handle:
            handle.write(header.getvalue())
            handle.truncate(header.tell() + rows * self.row_bytes)  # sparse preallocation
        self.offset = header.tell()
        self.digest = hashlib.sha256(header.getvalue())
        self.written = 0

    def write(self, block: np.ndarray) -> None:
        """Append rows [n, dim] right after the rows already written."""
        data = np.ascontiguousarray(block).data
        with self.path.open("r+b") as handle:
            handle.seek(self.offset + self.written * self.row_bytes)
            handle.write(data)
        self.digest.update(data)
        self.written += block.shape[0]

    def record(self) -> dict[str, Any]:
        """Manifest entry of the finished shard."""
        if self.written != self.rows:
            raise RuntimeError(f"shard {self.relpath} got {self.written} of {self.rows} rows")
        return {"path": self.relpath, "rows": self.rows, "bytes": self.path.stat().st_size, "sha256": self.digest.hexdigest()}


class ShardedArrayWriter:
    """Streams the rows of one N×d array (a site, layer and step) into bounded shards.

    Each shard holds at most ``shard_bytes`` of row data (at least one row), so readers
    can map or load a shard without knowing N.
    """

    def __init__(
        self, root: Path, site: str, layer: int, step: int, num_rows: int, dim: int, dtype: np.dtype, shard_bytes: int,
    ) -> None:
        self.site, self.layer, self.step = site, layer, step
        self.shape = (num_rows, dim)
        self.dtype = np.dtype(dtype)
        per_shard = max(1, shard_bytes // (dim * self.dtype.itemsize))
        self._shards = [
            _Shard(root, shard_path(site, layer, step, k), min(per_shard, num_rows - start), dim, self.dtype)
            for k, start in enumerate(range(0, num_rows, per_shard))
        ]
        self._current = 0

    def write(self, block: np.ndarray) -> None:
        """Append rows [n, d] (in example order), splitting them across shard boundaries."""
        if block.dtype != self.dtype or block.ndim != 2 or block.shape[1] != self.shape[1]:
            raise ValueError(f"{self.site}[{self.layer}] step {self.step}: expected [n, {self.shape[1]}] "
                             f"{self.dtype}, got {list(block.shape)} {block.dtype}")
        while block.shape[0]:
            shard = self._shards[self._current]
            take = min(shard.rows - shard.written, block.shape[0])
            shard.write(block[:take])
            block = block[take:]
            if shard.written == shard.rows:
                self._current += 1

    def record(self) -> dict[str, Any]:
        """Manifest entry: site, layer, step, shape, dtype and the shard list with checksums."""
        return {
            "site": self.site, "layer": self.layer, "step": self.step, "shape": list(self.shape),
            "dtype": self.dtype.name, "shards": [shard.record() for shard in self._shards],
        }


def write_manifest(directory: Path, manifest: Mapping[str, Any]) -> Path:
    """Write ``manifest.json`` (the completion marker; written last)."""
    path = directory / MANIFEST
    path.write_text(json.dumps(manifest, indent=1, default=str) + "\n")
    return path


