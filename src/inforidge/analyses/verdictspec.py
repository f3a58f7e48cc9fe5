"""The verdict table's read-outs and schema: which layer curves it lines up, declared once.

The ``verdict`` table (:mod:`inforidge.tables.verdict` builds it) puts every layer-wise read-out of a
checkpoint side by side, each with the ridge test of :mod:`inforidge.mi.ridgetest` where the
read-out has replicates (subsample seeds, folds, fit seeds) and the words ``no replicates``
where it has none. A :class:`VerdictSource` says where one read-out's curves come from: its
table, the rows kept, the columns that tell its curves apart, the value compared and what a
replicate is. New read-outs register here (:data:`VERDICT_SOURCES`); the table rule takes
every source table the config produces. Torch-free (the rules plan with it). The table's
schema lives in :mod:`inforidge.tables.verdictschema`, which :mod:`inforidge.tables.tidy` imports: so editing
a source here reruns the verdict table only, not every table job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from inforidge.core.registry import Registry


@dataclass(frozen=True)
class VerdictSource:
    """One read-out's layer curves in the verdict table.

    ``metrics``: metric name -> (source column, factor): the compared value is factor × column
    (the ablation's accuracy drop is −delta_accuracy, so that larger means "this layer matters
    more" for every read-out). ``rows``: column -> value filter. ``setting``: columns joined into
    the ``setting`` label (curves of one checkpoint and site differ by them). ``site``: the
    source's site column, or a constant label when the table has none. ``replicate``: the column
    indexing replicates (None: one value per layer, no test).
    """

    name: str
    table: str
    metrics: Mapping[str, tuple[str, float]]
    replicate: str | None
    replicate_kind: str
    site: str = "site"
    site_is_column: bool = True
    setting: tuple[str, ...] = ()
    rows: Mapping[str, object] = field(default_factory=dict)


VERDICT_SOURCES: Registry[VerdictSource] = Registry("verdict read-out")

VERDICT_SOURCES.register(VerdictSource(
    "mi", "mi", {"mi_excess": ("mi_excess", 1.0), "mi": ("mi", 1.0)}, "sample_seed", "subsample seed",
    setting=("kernel", "sigma", "normalize"), rows={"quantity": "mi"},
))
VERDICT_SOURCES.register(VerdictSource(
    "linear_probe", "linear_probe", {"v_info_bits": ("v_info_bits", 1.0), "accuracy": ("accuracy", 1.0)},
    "fold", "held-out fold",
))
VERDICT_SOURCES.register(VerdictSource(
    "logit_lens", "early_exit", {"accuracy": ("accuracy", 1.0)}, None, "none",
    site="resid_post", site_is_column=False,
))
VERDICT_SOURCES.register(VerdictSource(
    "tuned_lens", "tuned_lens", {"accuracy": ("accuracy", 1.0)}, "fit_seed", "lens fit seed",
    site="resid_post", site_is_column=False, rows={"lens": "tuned"},
))
VERDICT_SOURCES.register(VerdictSource(
    "ablation", "causal_ablation", {"accuracy_drop": ("delta_accuracy", -1.0)}, None, "none",
    site="block_update", site_is_column=False, setting=("ablation",),
))


def source_tables() -> list[str]:
    """Every table some verdict read-out reads, in registration order, once each."""
    return list(dict.fromkeys(source.table for source in VERDICT_SOURCES))
