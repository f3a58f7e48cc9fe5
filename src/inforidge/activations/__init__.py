"""The activation store: capture Z and Y for a checkpoint × split, write and read them.

``dump_split`` runs the model once over each example's prompt and target tokens and
writes ``manifest.json``, ``meta.parquet`` and NPY shards per site, layer and step;
``dump_checkpoint`` does so for every split of a checkpoint with one model load and indexes
them in ``splits.json`` (one workflow job per checkpoint: a job's start-up costs more than a
small dump); ``open`` returns an :class:`ActivationStore` over a store directory and
``split_manifest`` finds a split's store through the index. See docs/activations.md for the
layout and the Y semantics.
"""

from inforidge.activations.reader import ActivationStore, open, split_manifest

__all__ = ["ActivationStore", "dump_checkpoint", "dump_split", "open", "split_manifest"]


def __getattr__(name: str):
    # dump_split loads transformers; readers of the store (MI jobs) should not pay for it.
    if name in ("dump_split", "dump_checkpoint"):
        from inforidge.activations import dump

        return getattr(dump, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
