"""External checkpoint series and run chains: which steps a run has and where each one comes from.

A ``model.source: series`` run trains nothing. Its steps are the series' own (hub revisions
of one model, a step → directory mapping, or a globbed directory pattern) and its per-step
job writes a small pointer checkpoint (``inforidge.models.checkpoint_files.SOURCE_FILE``) that
``inforidge.models.modeling.load_model`` follows, so every later stage reads
``results/runs/{run}/checkpoints/step-{k}`` as for a trained run. ``check_sources`` runs at
plan time (common.smk) and raises one ``ConfigError`` naming the key for missing paths (a
series directory, or a pretrained ``name_or_path`` written as a path), empty patterns,
duplicate steps and ``source: run`` steps the other run does not have.

Torch-free: the Snakefile imports it while the DAG is built.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import asdict, dataclass
from functools import lru_cache

from inforidge.config import Config, ModelConfig, RunConfig, SeriesConfig
from inforidge.core.configschema import ConfigError
from inforidge.models.schedule import checkpoint_steps


@dataclass(frozen=True)
class Source:
    """Where one checkpoint of a series is: a local directory, or a hub id at a revision."""

    path: str
    revision: str | None = None
    trust_remote_code: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def looks_like_path(name_or_path: str) -> bool:
    """Whether a model name is written as a file system path (``./m``, ``/m``, ``~/m``), not a hub id.

    A hub id (``org/name``) never starts with these, so such a name that does not exist is a
    typo or an unmounted disk, never something to download.
    """
    return name_or_path.startswith((".", "/", "~"))


def revision_step(revision: str) -> int | None:
    """The step a revision name stands for: its last number (``step1000`` → 1000), None if it has none."""
    numbers = re.findall(r"\d+", revision)
    return int(numbers[-1]) if numbers else None


def _unique(pairs: list[tuple[int, str]], key: str, what: str) -> dict[int, str]:
    """{step: value} from (step, value) pairs; a step or a value given twice is an error naming ``key``."""
    steps: dict[int, str] = {}
    for step, value in pairs:
        if step in steps:
            raise ConfigError(f"{key}: step {step} is given twice ({what} {steps[step]!r} and {value!r})")
        steps[step] = value
    by_value: dict[str, int] = {}
    for step, value in sorted(steps.items()):
        if value in by_value:
            raise ConfigError(f"{key}: {what} {value!r} is listed for two steps ({by_value[value]} and {step})")
        by_value[value] = step
    return steps


def _revision_steps(revisions: dict[int, str] | list[str], key: str) -> dict[int, str]:
    if isinstance(revisions, dict):
        return _unique(list(revisions.items()), key, "revision")
    pairs = []
    for name in revisions:
        step = revision_step(name)
        if step is None:
            raise ConfigError(f"{key}: revision {name!r} holds no step number (give a {{step: revision}} mapping)")
        pairs.append((step, name))
    return _unique(pairs, key, "revision")


@lru_cache(maxsize=64)
def _globbed(pattern: str) -> tuple[tuple[int, str], ...]:
    """(step, directory) of every directory matching ``pattern``; cached: the DAG asks many times."""
    head, tail = pattern.split("{step}")
    parse = re.compile(re.escape(head) + r"(\d+)" + re.escape(tail) + r"/?\Z")
    found = []
    for path in sorted(glob.glob(glob.escape(head) + "*" + glob.escape(tail))):
        match = parse.match(path)
        if match and os.path.isdir(path):
            found.append((int(match.group(1)), path))
    return tuple(found)


def _local_steps(series: SeriesConfig, key: str) -> dict[int, str]:
    if series.paths is not None:
        return _unique([(step, os.path.abspath(path)) for step, path in series.paths.items()], f"{key}.paths", "path")
    found = _globbed(series.pattern)
    if not found:
        raise ConfigError(f"{key}.pattern: no directory matches {series.pattern!r} (relative paths start at "
                          f"the working directory {os.getcwd()})")
    return _unique([(step, os.path.abspath(path)) for step, path in found], f"{key}.pattern", "directory")


def series_sources(model: ModelConfig, key: str = "model") -> dict[int, Source]:
    """Step → where that checkpoint is, sorted by step (``key``: the model's key path, for errors)."""
    series = model.series
    if series is None:
        raise ConfigError(f"{key}.source: {model.source!r} is not a series")
    trust = model.trust_remote_code
    if series.revisions is not None:
        found = _revision_steps(series.revisions, f"{key}.series.revisions")
        return {s: Source(str(model.name_or_path), rev, trust) for s, rev in sorted(found.items())}
    return {s: Source(path, None, trust) for s, path in sorted(_local_steps(series, f"{key}.series").items())}


def run_steps(run: RunConfig, key: str = "run") -> list[int]:
    """A run's checkpoint steps: the series' own steps, or the training schedule's."""
    if run.model.source == "series":
        return list(series_sources(run.model, f"{key}.model"))
    return checkpoint_steps(run.training)


def check_sources(cfg: Config) -> None:
    """Plan-time checks that read the file system: a model given as a local path exists, every
    series resolves (paths exist, a pattern matches, no step twice) and every ``source: run``
    step is a checkpoint of that run."""
    for name, run in cfg.runs.items():
        key = f"runs.{name}.model"
        local = run.model.name_or_path
        if local and looks_like_path(local) and not os.path.exists(os.path.expanduser(local)):
            raise ConfigError(f"{key}.name_or_path: no such directory {local!r} (a path; a hub id looks like "
                              f"org/name; relative paths start at the working directory {os.getcwd()})")
        if run.model.source == "series":
            for step, source in series_sources(run.model, key).items():
                if source.revision is None and not os.path.isdir(source.path):
                    raise ConfigError(f"{key}.series.paths.{step}: no such directory {source.path!r}")
        elif run.model.source == "run":
            steps = run_steps(cfg.runs[run.model.run], f"runs.{run.model.run}")
            if run.model.step not in steps:
                raise ConfigError(f"{key}.step: run {run.model.run!r} has no checkpoint {run.model.step} "
                                  f"(its checkpoints: {steps})")


def duplicate_steps(hashes: dict[int, str]) -> dict[int, int]:
    """{step: the earliest step with identical weights} for every step that repeats an earlier one."""
    first: dict[str, int] = {}
    repeats = {}
    for step, digest in sorted(hashes.items()):
        if digest in first:
            repeats[step] = first[digest]
        else:
            first[digest] = step
    return repeats


def check_duplicates(run: str, hashes: dict[int, str], allowed: bool) -> dict[int, int]:
    """``duplicate_steps`` of series run ``run``; unless ``allowed``, any is an error naming the steps.

    A published series can serve one checkpoint under several step names (EleutherAI/pythia
    issues 205 and 206); analysed as distinct points in training they would fake a trend.
    """
    repeats = duplicate_steps(hashes)
    if repeats and not allowed:
        groups: dict[int, list[int]] = {}
        for step, first in repeats.items():
            groups.setdefault(first, [first]).append(step)
        described = "; ".join(f"steps {', '.join(map(str, steps))} (sha256 {hashes[steps[0]][:12]})"
                              for steps in groups.values())
        raise ValueError(f"runs.{run}.model.series: identical weights at {described}: the series serves one "
                         f"checkpoint under several steps; correct the series, or set "
                         f"runs.{run}.model.series.allow_duplicates: true to analyse them flagged")
    return repeats
