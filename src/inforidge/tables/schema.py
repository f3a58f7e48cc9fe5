"""Declared table columns: the vocabulary a table schema is written in.

Kept apart from :mod:`inforidge.tables.tidy` (which builds and writes tables) so that the
probe registry can declare its tables' schemas without importing the table builders,
and the builders can collect every registered schema without an import cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

STR, INT, FLOAT, BOOL = pa.string(), pa.int64(), pa.float64(), pa.bool_()


@dataclass(frozen=True)
class Column:
    """One declared column: name, Arrow type, whether nulls are allowed, description."""

    name: str
    type: pa.DataType
    doc: str
    nullable: bool = False


@dataclass(frozen=True)
class TableSchema:
    """A table's declared columns, its sort order and whether extra columns are allowed."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    sort: tuple[str, ...]
    #: ``runs`` carries the flattened config, whose keys follow the config model.
    extra_columns: bool = False

    @property
    def names(self) -> list[str]:
        """Declared column names in table order."""
        return [c.name for c in self.columns]


RUN_COLUMNS = (
    Column("run", STR, "run name (a key of `runs` in the config)"),
    Column("model", STR, "model label: hub id / path, or `{architecture}-L{n_layer}-d{n_embd}` for scratch models"),
    Column("task", STR, "task name (a key of `tasks` in the config)"),
    Column("seed", INT, "training seed of the run (init, data order)"),
    Column("n_layer", INT, "number of transformer blocks L of the model as loaded (its config.json at step 0)"),
)
RUN_KEYS = tuple(c.name for c in RUN_COLUMNS)
STEP = Column("step", INT, "training step of the checkpoint (0 = the starting model)")
SPLIT = Column("split", STR, "evaluation split role: `id` (in-distribution) or `ood` (out-of-distribution)")


def run_schema(name: str, doc: str, columns: Sequence[Column], sort: Sequence[str], *,
               extra: bool = False) -> TableSchema:
    """A table keyed by the run columns (so it joins every other table on them), then ``columns``."""
    return TableSchema(name, doc, (*RUN_COLUMNS, *columns), tuple(sort), extra)
