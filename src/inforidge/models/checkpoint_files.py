"""File names inside a checkpoint directory, readable without torch.

``training`` writes these files; ``tables`` (and anyone loading results) reads them.
Kept apart from ``training`` so that reading a JSON file never imports torch.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

#: Per-checkpoint metrics (step, train loss, eval loss/accuracy per split role).
METRICS_FILE = "metrics.json"


def read_metrics(checkpoint_dir: Path) -> dict:
    """The metrics.json of a checkpoint."""
    return json.loads((Path(checkpoint_dir) / METRICS_FILE).read_text())


#: Pointer of a checkpoint that lives elsewhere (an external series step): where its weights are.
SOURCE_FILE = "source.json"


def read_source(checkpoint_dir: Path) -> dict | None:
    """The source.json of a pointer checkpoint (``path``, ``revision``, ``trust_remote_code``), else None."""
    path = Path(checkpoint_dir) / SOURCE_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def weights_dir(checkpoint_dir: Path) -> Path:
    """The directory holding a checkpoint's weight files: itself, or where its pointer leads (a local
    series directory, or the hub cache snapshot of its revision, which the load just filled)."""
    source = read_source(checkpoint_dir)
    return Path(checkpoint_dir) if source is None else source_dir(source, checkpoint_dir)


def source_dir(source: dict, checkpoint_dir: Path | str = "") -> Path:
    """Where a series step's files are: its local directory, or its revision's hub cache snapshot."""
    if source["revision"] is None:
        return Path(source["path"])
    from huggingface_hub import try_to_load_from_cache  # only pointer checkpoints of hub series need it

    config = try_to_load_from_cache(source["path"], "config.json", revision=source["revision"])
    if not isinstance(config, str):
        raise FileNotFoundError(f"{checkpoint_dir}: {source['path']} revision {source['revision']} is not in the "
                                "hub cache (load it first)")
    return Path(config).parent


#: Identity of a series step's weights, written by its step job (``training.write_series_checkpoint``).
WEIGHTS_FILE = "weights.json"
_HASH_CHUNK = 1 << 24
_SHA256 = re.compile(r"[0-9a-f]{64}")
_GIT_SHA1 = re.compile(r"[0-9a-f]{40}")


class WeightsMismatch(ValueError):
    """A weight file whose content differs from the hash its hub metadata records."""


def weight_files(directory: Path) -> list[Path]:
    """The weight files of a saved model (``*.safetensors``, ``pytorch_model*.bin``; trainer state excluded)."""
    files = sorted(
        p for p in Path(directory).iterdir()
        if p.is_file() and (p.suffix == ".safetensors" or (p.suffix == ".bin" and p.name.startswith("pytorch_model")))
    )
    if not files:
        raise FileNotFoundError(f"no weight files (*.safetensors, pytorch_model*.bin) in {directory}")
    return files


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks (constant memory)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def combined_sha256(files: dict[str, str]) -> str:
    """One id for a set of weight files: sha256 over their sorted ``name:sha256`` lines (the activation
    manifest's ``weights_sha256`` is the same)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}:{files[name]}\n".encode())
    return digest.hexdigest()


def weight_hashes(directory: Path) -> dict:
    """The identity of the weights in ``directory``: ``sha256`` (combined) and per file its content
    sha256 and, in a hub cache snapshot, the hash the hub records for it (``hub``).

    A hub cache stores each file once, as ``blobs/<hash the hub records>`` (sha256 for LFS files,
    the git blob sha1 otherwise) behind a snapshot symlink, so the hub's metadata is at hand
    without network. Each file is read once; a file that does not match its recorded hash raises
    ``WeightsMismatch``.
    """
    files = {}
    for path in weight_files(directory):
        blob = path.resolve()
        recorded = blob.name if path.is_symlink() and blob.parent.name == "blobs" else None
        content, git_sha1 = _digests(blob)
        hash_like = recorded is not None and bool(_SHA256.fullmatch(recorded) or _GIT_SHA1.fullmatch(recorded))
        if hash_like and recorded not in (content, git_sha1):
            raise WeightsMismatch(f"{path.name} does not match its hub metadata (the hub records {recorded}, the "
                                  f"cached file {blob} has sha256 {content}): delete it and fetch again")
        files[path.name] = {"sha256": content, "hub": recorded}
    return {"sha256": combined_sha256({name: f["sha256"] for name, f in files.items()}), "files": files}


def _digests(path: Path) -> tuple[str, str]:
    """sha256 and git blob sha1 of a file, in one read."""
    sha256, sha1 = hashlib.sha256(), hashlib.sha1()
    sha1.update(f"blob {path.stat().st_size}\0".encode())
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            sha256.update(chunk)
            sha1.update(chunk)
    return sha256.hexdigest(), sha1.hexdigest()


def read_weights(checkpoint_dir: Path) -> dict | None:
    """The weights.json of a series step's checkpoint, else None."""
    path = Path(checkpoint_dir) / WEIGHTS_FILE
    return json.loads(path.read_text()) if path.is_file() else None
