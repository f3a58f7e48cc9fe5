"""File names inside a checkpoint directory, readable without torch.

``training`` writes these files; ``tables`` (and anyone loading results) reads them.
Kept apart from ``training`` so that reading a JSON file never imports torch.
"""

from __future__ import annotations

import json
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
    if source is None:
        return Path(checkpoint_dir)
    if source["revision"] is None:
        return Path(source["path"])
    from huggingface_hub import try_to_load_from_cache  # only pointer checkpoints of hub series need it

    config = try_to_load_from_cache(source["path"], "config.json", revision=source["revision"])
    if not isinstance(config, str):
        raise FileNotFoundError(f"{checkpoint_dir}: {source['path']} revision {source['revision']} is not in the "
                                "hub cache (load it first)")
    return Path(config).parent
