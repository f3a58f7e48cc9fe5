"""The multi-token case of the MI stage: its settings resolved against the whole config, and checked.

A multi-token dump (``dump_split(..., decode_steps=T)``, the activations rule with its
``multitoken`` params) holds, for each decoding step t = 1..T, the state Z_l^(t) at the position
predicting reference token t (teacher forcing) and that token's embedding Y^(t). The MI rule,
with its ``multitoken`` params (:func:`decode_steps`: the fields of
:class:`inforidge.mi.stage.DecodeSteps`), estimates per (site, layer, subsample seed)
``token`` rows I(Z_l^(t); Y^(t)), one per t, and a ``sequence`` row (t = 0) under the sequence
kernel (:mod:`inforidge.mi.sequence`): :func:`inforidge.mi.stage.estimate_dump`. Its table is
built like the ``mi`` table (:func:`inforidge.tables.tidy.mi_table`). docs/multitoken.md.

Torch-free: the workflow plans the stage with this module. The MI jobs do not import it (it
imports the task modules, which would become their code inputs).
"""

from __future__ import annotations

from typing import Any

from inforidge.config import Config, ConfigError
from inforidge.tasks import build_task


def decode_steps(cfg: Config, run: str) -> dict[str, Any]:
    """The multi-token MI rule's ``multitoken`` params for ``run``: the fields of
    :class:`inforidge.mi.stage.DecodeSteps` (horizon, shuffles, whether the sequence kernel runs)."""
    mt = cfg.multitoken
    return {"horizon": horizon_of(cfg, run),
            "permutations": cfg.mi.permutations if mt.permutations is None else mt.permutations,
            "sequence_kernel": mt.sequence_kernel}


def probe_task_name(cfg: Config, run: str) -> str:
    """The task whose continuations run ``run`` is probed on (``multitoken.task`` or the run's task)."""
    return cfg.multitoken.task or cfg.runs[run].task


def horizon_of(cfg: Config, run: str) -> int:
    """Decoding steps T for ``run`` (``multitoken.horizon`` or the task's continuation horizon)."""
    continuation = cfg.tasks[probe_task_name(cfg, run)].continuation
    assert continuation is not None, "check_multitoken must run first"
    return cfg.multitoken.horizon or continuation.horizon


def check_multitoken(cfg: Config) -> None:
    """Raise ConfigError naming the key when the multi-token settings cannot work with this config.

    The task used must exist, have a ``continuation`` section whose horizon covers
    ``multitoken.horizon``, and produce every split of ``multitoken.splits``.
    """
    mt = cfg.multitoken
    if mt.task is not None and mt.task not in cfg.tasks:
        raise ConfigError(f"multitoken.task: unknown task {mt.task!r} (tasks: {sorted(cfg.tasks)})")
    for run in cfg.runs:
        name = probe_task_name(cfg, run)
        key = "multitoken.task" if mt.task else f"runs.{run}.task"
        continuation = cfg.tasks[name].continuation
        if continuation is None:
            raise ConfigError(f"{key}: task {name!r} has no `continuation` section (tasks.{name}.continuation)")
        if mt.horizon is not None and mt.horizon > continuation.horizon:
            raise ConfigError(f"multitoken.horizon ({mt.horizon}) exceeds tasks.{name}.continuation.horizon "
                              f"({continuation.horizon})")
        known = build_task(cfg.tasks[name]).split_names()
        unknown = sorted(set(mt.splits or []) - set(known))
        if unknown:
            raise ConfigError(f"multitoken.splits: {unknown} are not splits of task {name!r} (splits: {known})")
