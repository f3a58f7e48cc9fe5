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
