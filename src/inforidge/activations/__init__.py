"""The activation store: capture Z and Y for a checkpoint × split, write and read them.

``dump_split`` (``dump_splits``: several splits of one checkpoint, one model load) runs the
model once over each example's prompt and target tokens and writes ``manifest.json``,
``meta.parquet`` and NPY shards per site, layer and step; ``open`` returns an :class:`ActivationStore` over such a directory. See
docs/activations.md for the layout and the Y semantics.

May import ``core``, ``tasks``, ``config`` and ``models`` (:data:`inforidge.LAYERS`).
"""

from inforidge.activations.reader import ActivationStore, dump_keys, open

__all__ = ["ActivationStore", "SplitDump", "dump_keys", "dump_split", "dump_splits", "open"]


def __getattr__(name: str):
    # The dump loads transformers; readers of the store (MI jobs) should not pay for it.
    if name in ("SplitDump", "dump_split", "dump_splits"):
        from inforidge.activations import dump

        return getattr(dump, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
