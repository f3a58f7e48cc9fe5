"""Fetch every hub model and dataset of a config once, so that compute nodes run offline.

``inforidge fetch --configfile X`` runs on a login node (with internet) before the
workflow: each pretrained model named by a hub id is downloaded into the shared cache
``cluster.hf_home`` (HF_HOME) and each hub dataset is prepared there. Cluster jobs then
run with ``HF_HUB_OFFLINE=1`` / ``HF_DATASETS_OFFLINE=1`` (``job_environment``) and read
that cache; the driver refuses to submit when a hub model is missing from it
(``missing_models``). Local paths are used as they are. The token for gated models
(Llama) comes from the environment (``HF_TOKEN``), never from the config.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from inforidge.config import ClusterSettings, Config
from inforidge.core.hub import hub_unreachable
from inforidge.tasks import build_task
from inforidge.tasks.sources import hub_arguments, local_files
from inforidge.workflow.series import looks_like_path, series_sources

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
# Files transformers needs to load a model and its tokenizer; other frameworks' weights and
# sub-folders (e.g. Llama's original/ consolidated checkpoint, 16 GB) are left on the hub.
MODEL_FILES = ["*.json", "*.txt", "*.model", "*.tiktoken", "*.py"]


class FetchError(ValueError):
    """A model or dataset could not be fetched; the message names it and what to do."""


@dataclass(frozen=True)
class Fetched:
    """One hub source in the cache: kind ('model' / 'dataset'), hub id, and where it is."""

    kind: str
    name: str
    detail: str

    def line(self) -> str:
        return f"{self.kind:<8} {self.name:<40} {self.detail}"


def hf_home(settings: ClusterSettings) -> Path | None:
    """The shared cache directory from config (absolute; relative paths are relative to the working directory)."""
    return Path(settings.hf_home).expanduser().resolve() if settings.hf_home else None


def job_environment(settings: ClusterSettings, remote: bool) -> dict[str, str]:
    """Environment of the workflow's processes: the shared cache, and offline mode in cluster jobs."""
    env = {}
    home = hf_home(settings)
    if home is not None:
        env["HF_HOME"] = str(home)
    if remote and settings.offline:
        env.update(OFFLINE)
    return env


def is_local(name_or_path: str) -> bool:
    """Whether a model name is a path on disk; a path-like name that does not exist is an error."""
    path = Path(name_or_path).expanduser()
    if path.exists():
        return True
    if looks_like_path(name_or_path):
        raise FetchError(f"model path {name_or_path} does not exist")
    return False


def hub_models(cfg: Config) -> list[tuple[str, str | None]]:
    """(hub id, revision) of the pretrained models and hub series revisions of all runs (local paths excluded), sorted."""
    found = {pair for run in cfg.runs.values() for pair in _run_models(run.model)}
    return sorted(((name, rev) for name, rev in found if name and not is_local(name)), key=_sort_key)


def _run_models(model) -> list[tuple[str | None, str | None]]:
    """(name, revision) a run loads from outside: its pretrained model, or each revision of a hub series."""
    if model.source == "pretrained":
        return [(model.name_or_path, model.revision)]
    if model.source == "series" and model.series.revisions is not None:
        return [(source.path, source.revision) for source in series_sources(model).values()]
    return []


def hub_datasets(cfg: Config) -> list[tuple[str, str | None, str | None]]:
    """(hub id, configuration, revision) of every task's dataset that is not a local file, sorted."""
    found = set()
    for task_cfg in cfg.tasks.values():
        task = build_task(task_cfg)
        dataset = getattr(task, "dataset", None)
        if dataset and local_files(dataset) is None:
            found.add((dataset, getattr(task, "dataset_config", None), getattr(task, "revision", None)))
    return sorted(found, key=_sort_key)


def missing_models(cfg: Config) -> list[str]:
    """Hub models of ``cfg`` whose config.json (at its revision) is not in the cache; no network is used."""
    from huggingface_hub import try_to_load_from_cache

    cache = _hub_cache(cfg.cluster)
    return [name for name, rev in hub_models(cfg)
            if not isinstance(try_to_load_from_cache(name, "config.json", cache_dir=cache, revision=rev), str)]


def fetch_all(cfg: Config) -> list[Fetched]:
    """Download every hub model and dataset of ``cfg`` into the cache; one line of result each."""
    home = hf_home(cfg.cluster)
    if home is not None:
        os.environ["HF_HOME"] = str(home)  # before the hub libraries read it
    models, datasets = hub_models(cfg), hub_datasets(cfg)
    if models or datasets:
        check_reachable(("model", models[0][0]) if models else ("dataset", datasets[0][0]))
    done = [fetch_model(name, rev, cfg.cluster) for name, rev in models]
    return done + [fetch_dataset(name, config, rev, cfg.cluster) for name, config, rev in datasets]


def check_reachable(first: tuple[str, str]) -> None:
    """Fail at once, naming the first (kind, name) to fetch, when no connection to the hub opens.

    Without this check huggingface_hub retries with back-off (about 25 s here) before the
    same error.
    """
    why = hub_unreachable()
    if why is not None:
        kind, name = first
        raise FetchError(f"could not fetch {kind} {name!r} from the Hugging Face hub (unreachable: {why}); "
                         "run `inforidge fetch` where the Hugging Face hub is reachable")


def fetch_model(name: str, revision: str | None, settings: ClusterSettings) -> Fetched:
    """Download what transformers loads of hub model ``name`` at ``revision``; name the commit it resolved to."""
    from huggingface_hub import HfApi, snapshot_download

    try:
        files = HfApi().list_repo_files(name, revision=revision)
        path = snapshot_download(name, revision=revision, cache_dir=_hub_cache(settings),
                                 allow_patterns=MODEL_FILES + weight_files(files))
    except Exception as err:  # network, auth and missing-repo errors all end the same way
        raise FetchError(_hub_error("model", name, err)) from None
    return Fetched("model", name, f"{revision or 'default branch'} = commit {Path(path).name} in {path}")


def weight_files(files: list[str]) -> list[str]:
    """Top-level weight files to fetch: safetensors when the repo has them, else PyTorch .bin."""
    top = [f for f in files if "/" not in f]
    safetensors = [f for f in top if f.endswith(".safetensors")]
    return safetensors or [f for f in top if f.endswith(".bin")]


def fetch_dataset(name: str, config: str | None, revision: str | None, settings: ClusterSettings) -> Fetched:
    """Download and prepare hub dataset ``name`` in the datasets cache, loaded as the data rule loads it."""
    from datasets import load_dataset

    home = hf_home(settings)
    try:
        loaded = load_dataset(**hub_arguments(name, config, revision), cache_dir=str(home / "datasets") if home else None)
    except Exception as err:
        raise FetchError(_hub_error("dataset", name, err)) from None
    rows = sum(split.num_rows for split in loaded.values())
    return Fetched("dataset", name if config is None else f"{name} ({config})", f"{rows} rows in splits {sorted(loaded)}")


def _sort_key(item: tuple) -> tuple:
    return tuple(part or "" for part in item)


def _hub_cache(settings: ClusterSettings) -> str | None:
    home = hf_home(settings)
    return str(home / "hub") if home else None


def _hub_error(kind: str, name: str, err: Exception) -> str:
    from huggingface_hub.errors import GatedRepoError

    hint = "run `inforidge fetch` where the Hugging Face hub is reachable"
    if isinstance(err, GatedRepoError):
        hint = "the repository is gated: accept its licence on the hub and export HF_TOKEN (never put it in the config)"
    first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return f"could not fetch {kind} {name!r} from the Hugging Face hub ({type(err).__name__}: {first_line}); {hint}"
