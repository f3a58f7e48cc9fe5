"""On-disk layout of one activation store (one checkpoint × one split).

Shared by the writer and the reader so that both agree on names without importing
each other. See docs/activations.md for the full description.
"""

from __future__ import annotations

from pathlib import PurePosixPath

FORMAT = "inforidge-activations"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
META = "meta.parquet"

#: Activation sites a dump can capture (Z); the target Y is stored as TARGET_SITE.
SITES = ("resid_post", "final_norm")
TARGET_SITE = "target"
TARGET_MODES = ("second_pass", "lookup")
DTYPES = ("float16", "float32")
#: Keys a workflow dump's ``provenance`` always holds: the key columns of every frame computed from it
#: (the run, the checkpoint step, the eval role ``id`` / ``ood`` and the dataset split it came from).
PROVENANCE_KEYS = ("run", "step", "split", "data_split")


def shard_path(site: str, layer: int, step: int, shard: int) -> str:
    """Relative POSIX path of one shard, e.g. ``resid_post/layer-003/step-001/shard-0000.npy``."""
    return str(PurePosixPath(site, f"layer-{layer:03d}", f"step-{step:03d}", f"shard-{shard:04d}.npy"))


