"""How the workflow's jobs become cluster jobs that a partition accepts (docs/cluster.md).

A training run is a chain of segments, one Snakemake job per checkpoint. On a cluster
consecutive segments are packed into one submission (a Snakemake group job), so a run
does not queue once per checkpoint; a group job's wall time is the sum of its members'.
``train_job_index`` cuts each chain into packs whose summed runtime stays under half
of ``cluster.max_job_runtime``, so the retry with doubled runtime still fits;
``runtime_limit`` caps any further scaling at the limit. Pure functions of the config:
the rules call them, tests check them.
"""

from __future__ import annotations

from inforidge.config import ClusterSettings, Config
from inforidge.core.configschema import ConfigError

STAGES = ("train", "activations", "mi", "probes")
# Runtime multiplier of the last attempt the packing leaves room for (profiles/slurm: retries 1).
RETRY_FACTOR = 2


def check_runtimes(cfg: Config) -> None:
    """Raise ConfigError naming the first run and stage whose single job exceeds the limit."""
    limit = cfg.cluster.max_job_runtime
    for name, run in cfg.runs.items():
        for stage in STAGES:
            runtime = getattr(run.resources, stage).runtime
            if runtime > limit:
                raise ConfigError(
                    f"runs.{name}.resources.{stage}.runtime: one job needs {runtime} min, more than "
                    f"cluster.max_job_runtime ({limit} min); no partition job could hold it "
                    f"(use more checkpoints, i.e. shorter segments, or raise cluster.max_job_runtime)"
                )


def segments_per_job(runtime: int, limit: int) -> int:
    """Training segments of ``runtime`` minutes packed into one job of at most ``limit`` minutes.

    Half the limit is filled, so the retry (the profile resubmits once, with twice the
    runtime) still fits; a segment longer than half the limit gets a job of its own.
    """
    return max(1, limit // (RETRY_FACTOR * runtime))


def train_job_index(steps: list[int], step: int, runtime: int, limit: int) -> int:
    """Which cluster job (0, 1, ...) of its run's chain trains checkpoint ``step``."""
    return steps.index(step) // segments_per_job(runtime, limit)


def runtime_limit(runtime: int, limit: int, packed: bool) -> int:
    """The most minutes one job may ask for on a retry.

    A packed training segment gets its share of the limit (the pack's members together
    stay under it); any other job gets the whole limit. The share is never below the
    first attempt's runtime, which ``check_runtimes`` keeps under the limit.
    """
    if not packed:
        return limit
    return limit // segments_per_job(runtime, limit)


def gpu_resources(gpus: int, allocation_gpus: int, settings: ClusterSettings) -> dict[str, int | str]:
    """Snakemake resources that make the SLURM plugin request GPUs the way the cluster expects.

    ``gpus``: the plugin sends ``--gpus=[model:]N`` from the integer ``gpu`` resource
    (a group job asks for the maximum over its members, which run one at a time).
    ``gres``: ``--gres=gpu:[model:]N`` from a string resource; Snakemake requires a string
    resource to be equal across a group job's members, so every job of the group gets
    the allocation's count ``allocation_gpus`` (the most any member needs) and ``gpu`` 0.
    """
    if settings.gpu_request == "gres":
        if allocation_gpus < 1:
            return {"gpu": 0}
        model = f"{settings.gpu_model}:" if settings.gpu_model else ""
        return {"gpu": 0, "gres": f"gpu:{model}{allocation_gpus}"}
    if allocation_gpus >= 1 and settings.gpu_model:  # a string too: equal across the group
        return {"gpu": gpus, "gpu_model": settings.gpu_model}
    return {"gpu": gpus}
