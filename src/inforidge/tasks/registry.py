"""The task registry: every task kind, declared by its own module (docs/extending.md).

A task module registers a :class:`TaskKind`: its name (the ``kind`` key of a task in the
config), the dataclass of its own keys, and the function building the task. The keys stay
flat in the task's config section (``tasks.<name>.modulus``), so the typed
``TaskConfig`` is derived here: the common keys (``kind``, ``seed``, ``sizes``,
``continuation``) plus every kind's keys; each task validates only its own kind's keys
(the kind's ``__post_init__``) and may not set another kind's keys. The kind modules are
imported (and so registered) by ``inforidge/tasks/__init__.py``, which runs before this
module whenever it is imported. Nothing here imports torch: the workflow plans with it.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from inforidge.core.configschema import doc, require
from inforidge.core.registry import Registry

if TYPE_CHECKING:
    from inforidge.tasks.base import Task

@dataclass(frozen=True)
class TaskKind:
    """One task kind: its keys and how to build it from a task's config section."""

    name: str
    settings: type  # dataclass of the kind's own keys; its __post_init__ validates them
    build: Callable[[Any, Any, dict[str, int]], Task]  # (settings, task config, sizes) -> Task
    #: "module:function" building the multi-token variant (task config, sizes) -> Task; None: unsupported.
    continuation: str | None = None


TASK_KINDS: Registry[TaskKind] = Registry("task kind")


def register_task_kind(kind: TaskKind) -> TaskKind:
    return TASK_KINDS.register(kind)


def dataset_key() -> Any:
    """The ``dataset`` key, shared by the kinds that read a table."""
    return doc("hub dataset id or local .jsonl/.json/.csv/.parquet file or directory "
               "(null: CLUTRR/v1 for clutrr, yangdong/ecqa for ecqa)", None)


def dataset_config_key() -> Any:
    return doc("hub dataset configuration (null: clutrr uses gen_train234_test2to10)", None)


def revision_key() -> Any:
    return doc("hub dataset revision: branch, tag or commit (null: the default; clutrr reads refs/convert/parquet)",
               None)


def answer_map_key() -> Any:
    return doc("rename answers before building targets (e.g. merge classes whose first tokens collide)", factory=dict)


def kinds_by_name() -> list[TaskKind]:
    """The registered kinds sorted by name: the order of ``TaskConfig``'s keys, its ``kind`` choices and
    the runs table's ``task.*`` columns, so that no import order decides them."""
    return sorted(TASK_KINDS, key=lambda kind: kind.name)


def _merged_fields() -> list[tuple[str, Any, dataclasses.Field, list[str]]]:
    """Every kind's fields, each once, in an order that keeps every kind's own order.

    Merged like Python's method resolution order (C3) over the kinds sorted by name: a field
    shared by kinds comes after everything any of them declares before it. Shared fields must
    agree on type and default.
    """
    sequences = [[f.name for f in dataclasses.fields(k.settings)] for k in kinds_by_name()]
    owners: dict[str, list[str]] = {}
    fields: dict[str, tuple[Any, dataclasses.Field]] = {}
    for kind in kinds_by_name():
        hints = typing.get_type_hints(kind.settings)
        for f in dataclasses.fields(kind.settings):
            seen = fields.setdefault(f.name, (hints[f.name], f))
            if (seen[0], seen[1].default) != (hints[f.name], f.default):
                raise ValueError(f"task kinds {owners[f.name]} and {kind.name!r} declare key {f.name!r} differently")
            owners.setdefault(f.name, []).append(kind.name)
    order: list[str] = []
    while any(sequences):
        head = next(s[0] for s in sequences if s and not any(s[0] in t[1:] for t in sequences))
        order.append(head)
        sequences = [[n for n in s if n != head] for s in sequences]
    return [(name, *fields[name], owners[name]) for name in order]


def _field(name: str, tp: Any, field: dataclasses.Field, kinds: list[str]) -> tuple[str, Any, dataclasses.Field]:
    text = f"{'/'.join(kinds)}: {field.metadata.get('doc', '')}"
    if field.default_factory is not dataclasses.MISSING:
        return name, tp, doc(text, factory=field.default_factory)
    return name, tp, doc(text, field.default)


def task_config_class(continuation_type: type) -> type:
    """``TaskConfig``: the common keys plus every registered kind's keys (flat)."""
    kinds = tuple(kind.name for kind in kinds_by_name())
    merged = _merged_fields()
    fields = [
        ("kind", Literal[kinds], doc("task implementation (see inforidge.tasks, docs/tasks.md)")),
        ("seed", int, doc("seed of the split generator / subsampler", 0)),
        ("sizes", dict[str, int], doc("examples per split (train, eval_id, eval_ood, probe_ood)",
                                      factory=lambda: {"train": 4096, "eval_id": 512, "eval_ood": 512, "probe_ood": 512})),
        *(_field(*entry) for entry in merged),
        ("continuation", continuation_type | None,
         doc(f"{'/'.join(k.name for k in kinds_by_name() if k.continuation)}: multi-token reference continuations "
             "(null: single-token targets)", None)),
    ]
    cls = dataclasses.make_dataclass("TaskConfig", fields, frozen=True,
                                     namespace={"__post_init__": _check, "settings": property(kind_settings)})
    cls.__doc__ = "One task: its kind, where its examples come from and how many per split."
    cls.__module__ = "inforidge.config"
    return cls


def kind_settings(cfg: Any) -> Any:
    """The typed settings of ``cfg``'s kind, read from its flat keys (validated on construction)."""
    settings = TASK_KINDS[cfg.kind].settings
    return settings(**{f.name: getattr(cfg, f.name) for f in dataclasses.fields(settings)})


def _check(cfg: Any) -> None:
    for split, size in cfg.sizes.items():
        require(size >= 0, f"sizes.{split}", f"must be >= 0, got {size}")
    own = {f.name for f in dataclasses.fields(TASK_KINDS[cfg.kind].settings)}
    for kind in TASK_KINDS:
        for f in dataclasses.fields(kind.settings):
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            if f.name not in own and getattr(cfg, f.name) != default:
                raise ValueError(f"{f.name}: a key of task kind {kind.name!r}, not of {cfg.kind!r} "
                                 f"(its keys: {sorted(own) or 'none'})")
    kind_settings(cfg)
