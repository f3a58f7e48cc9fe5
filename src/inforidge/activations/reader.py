"""Reading an activation store written by :func:`inforidge.activations.dump_split`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from inforidge.activations.layout import FORMAT, FORMAT_VERSION, MANIFEST, PROVENANCE_KEYS, TARGET_SITE
from inforidge.activations.writer import sha256_file


class ActivationStore:
    """Read access to one store (one checkpoint × split); build it with :func:`open`.

    Attributes:
        root: the store directory.
        manifest: the parsed ``manifest.json``.
        meta: one row per example, aligned with the rows of every array.
    """

    def __init__(self, root: Path, manifest: dict[str, Any], meta: pd.DataFrame) -> None:
        self.root = root
        self.manifest = manifest
        self.meta = meta
        self._arrays = {(a["site"], a["layer"], a["step"]): a for a in manifest["arrays"]}

    @property
    def sites(self) -> list[str]:
        """Activation (Z) sites in the store, e.g. ``["resid_post", "final_norm"]``; the target is separate."""
        return list(self.manifest["sites"])

    @property
    def num_layers(self) -> int:
        """L, the model's number of blocks (``resid_post`` has layers 0..L)."""
        return int(self.manifest["model"]["num_layers"])

    @property
    def num_examples(self) -> int:
        """N, the number of rows of every array."""
        return int(self.manifest["num_examples"])

    @property
    def decode_steps(self) -> int:
        """T, the number of target-token steps stored (1 unless a multi-token dump)."""
        return int(self.manifest["decode_steps"])

    def layers(self, site: str) -> list[int]:
        """Layer indices stored for ``site`` (``resid_post``: 0..L, ``final_norm``: [L], ``target``: [0])."""
        if site == TARGET_SITE:
            return [0]
        if site not in self.manifest["layers"]:
            raise KeyError(f"site {site!r} not in {self.root}; stored: {self.sites + [TARGET_SITE]}")
        return list(self.manifest["layers"][site])

    def width(self, site: str, layer: int, step: int = 1) -> int:
        """d, the columns of ``site`` at ``layer`` (from the manifest: no shard is read)."""
        return int(self._entry(site, layer, step)["shape"][1])

    def _entry(self, site: str, layer: int, step: int) -> dict[str, Any]:
        """The manifest entry of one array; a KeyError naming what the store holds if absent."""
        entry = self._arrays.get((site, layer, step))
        if entry is None:
            raise KeyError(f"no array for site {site!r}, layer {layer}, step {step} in {self.root}; "
                           f"layers: {self.layers(site)}, steps: 1..{self.decode_steps}")
        return entry

    def array(self, site: str, layer: int, step: int = 1) -> np.ndarray:
        """The N×d array of ``site`` at ``layer`` for target step ``step`` (1-based).

        Memory-mapped read-only when the array is one shard, else the shards concatenated.
        """
        entry = self._entry(site, layer, step)
        parts = [self._load_shard(entry, shard) for shard in entry["shards"]]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def target(self, step: int = 1) -> np.ndarray:
        """Y, the N×d_y target embeddings for target step ``step``."""
        return self.array(TARGET_SITE, 0, step)

    def verify(self, *, checksums: bool = True) -> None:
        """Check that every file exists with its recorded size (and sha256 if ``checksums``).

        Raises FileNotFoundError or ValueError naming the offending file.
        """
        _verify_files(self.root, self.manifest, checksums)

    def _load_shard(self, entry: dict[str, Any], shard: dict[str, Any]) -> np.ndarray:
        path = self.root / shard["path"]
        try:
            data = np.load(path, mmap_mode="r")
        except (OSError, ValueError) as err:
            raise ValueError(f"cannot read activation shard {path}: {err}") from err
        expected = (shard["rows"], entry["shape"][1])
        if data.shape != expected or data.dtype != np.dtype(entry["dtype"]):
            raise ValueError(f"activation shard {path} is {list(data.shape)} {data.dtype}, "
                             f"manifest says {list(expected)} {entry['dtype']}")
        return data

    def __repr__(self) -> str:
        return (f"ActivationStore({str(self.root)!r}, N={self.num_examples}, L={self.num_layers}, "
                f"sites={self.sites}, T={self.decode_steps}, dtype={self.manifest['dtype']})")


def open(path: Path | str, *, verify: bool = True) -> ActivationStore:  # noqa: A001 (public API name)
    """Open the store at ``path`` (its directory or its ``manifest.json``).

    File sizes are always checked against the manifest (a truncated shard is refused);
    ``verify=True`` (default) also checks every file's sha256.

    Raises:
        FileNotFoundError: no manifest (the dump did not complete) or a missing file.
        ValueError: an unreadable manifest, an unknown format, or a corrupted file.
    """
    root, manifest = _read_manifest(path)
    _verify_files(root, manifest, verify)
    return ActivationStore(root, manifest, pd.read_parquet(root / manifest["meta"]["path"]))


def dump_keys(path: Path | str) -> dict[str, Any]:
    """The key columns a workflow dump records as its provenance, read from its manifest alone.

    ``run``, ``step``, ``split`` (the eval role) and ``data_split`` always
    (:data:`~inforidge.activations.layout.PROVENANCE_KEYS`), then any further keys the dump's
    stage added (a multi-token dump: ``probe_task``, ``horizon``). The MI and read-out jobs put
    them on every row they compute from the dump, so a frame's provenance is the dump's, not a
    second copy taken from the job's wildcards. ValueError naming the manifest when a key is missing.
    """
    root, manifest = _read_manifest(path)
    keys = dict(manifest.get("provenance", {}))
    missing = [key for key in PROVENANCE_KEYS if key not in keys]
    if missing:
        raise ValueError(f"{root / MANIFEST}: provenance lacks {missing} (a dump written outside the workflow, or by "
                         "an older version: re-run its activations job)")
    return keys


def _read_manifest(path: Path | str) -> tuple[Path, dict[str, Any]]:
    """(store directory, parsed manifest) of the store at ``path`` (its directory or manifest.json)."""
    path = Path(path)
    root = path.parent if path.name == MANIFEST else path
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise FileNotFoundError(f"no activation store manifest at {manifest_path} (dump missing or incomplete)")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"activation store manifest {manifest_path} is not valid JSON: {err}") from err
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{manifest_path}: expected format {FORMAT} v{FORMAT_VERSION}, "
                         f"got {manifest.get('format')} v{manifest.get('format_version')}")
    return root, manifest


def _verify_files(root: Path, manifest: dict[str, Any], checksums: bool) -> None:
    files = [manifest["meta"]] + [shard for entry in manifest["arrays"] for shard in entry["shards"]]
    for record in files:
        path = root / record["path"]
        if not path.is_file():
            raise FileNotFoundError(f"activation store file missing: {path}")
        size = path.stat().st_size
        if size != record["bytes"]:
            raise ValueError(f"activation store file {path} has {size} bytes, manifest says {record['bytes']} "
                             "(truncated or overwritten); re-run the dump")
        if checksums and sha256_file(path) != record["sha256"]:
            raise ValueError(f"activation store file {path} fails its sha256 checksum (corrupted); re-run the dump")
