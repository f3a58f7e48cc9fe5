"""The activation store: capture Z and Y for a checkpoint × split, write and read them.

``dump_split`` runs the model once over each example's prompt and target tokens and
writes ``manifest.json``, ``meta.parquet`` and NPY shards per site, layer and step;
``open`` returns an :class:`ActivationStore` over such a directory. See
docs/activations.md for the layout and the Y semantics.

May import ``core``, ``tasks``, ``config`` and ``models`` (:data:`inforidge.LAYERS`).
"""

from inforidge.activations.reader import ActivationStore, dump_keys, open

__all__ = ["ActivationStore", "dump_keys", "dump_split", "open"]


def __getattr__(name: str):
    # dump_split loads transformers; readers of the store (MI jobs) should not pay for it.
    if name == "dump_split":
        from inforidge.activations.dump import dump_split

        return dump_split
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
