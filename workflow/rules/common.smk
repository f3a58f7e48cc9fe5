# Helpers shared by the rules: path templates, checkpoint schedules, config slices.
import os
from pathlib import Path

from inforidge.clusterplan import check_runtimes, gpu_resources, runtime_limit, train_job_index
from inforidge.codedeps import code_files
from inforidge.config import as_dict
from inforidge.fetch import job_environment, missing_models
from inforidge.schedule import checkpoint_steps, previous_step
from inforidge.tasks import build_task

RESULTS = "results"
SRC = Path(workflow.basedir) / "src"
SCRIPTS = Path(workflow.basedir) / "workflow" / "scripts"

# A job no partition would accept is a plan-time error, before anything is submitted.
try:
    check_runtimes(CFG)
except ConfigError as err:
    raise WorkflowError(f"invalid config: {err}") from None

# Every process of the workflow reads the shared Hugging Face cache; cluster jobs (this file
# is parsed again inside each job) run offline from it, so a compute node never downloads.
os.environ.update(job_environment(CFG.cluster, remote=workflow.remote_exec))
if workflow.non_local_exec and not workflow.remote_exec and CFG.cluster.offline:
    _missing = missing_models(CFG)  # checked on the submit host, without network
    if _missing:
        raise WorkflowError(f"hub models {_missing} are not in the cache (cluster.hf_home); the cluster jobs run "
                            "offline: run `inforidge fetch --configfile <this config>` first (docs/cluster.md)")


wildcard_constraints:
    run="[A-Za-z0-9_.-]+",
    task="[A-Za-z0-9_.-]+",
    split="[A-Za-z0-9_]+",
    step=r"\d+",


def script_code(script):
    """Package files a rule's script runs (its imports, followed): inputs, so code edits rerun it."""
    return [str(path) for path in code_files(SCRIPTS / script, SRC)]


def run_cfg(run):
    return CFG.runs[run]


def run_params(run):
    """A run's settings as rule params; resources excluded so they never trigger reruns."""
    settings = as_dict(run_cfg(run))
    del settings["resources"]
    return settings


def all_run_params():
    return {name: run_params(name) for name in CFG.runs}


def stage_resources(stage):
    """Rule resources for a heavy stage from the run's config; retries scale memory and time.

    Runtime scales up to what one cluster job may last (clusterplan.runtime_limit); GPUs
    are requested as cluster.gpu_request says; ``serial=1`` lets the profile run a group
    job's members one after another, so the job asks for the largest member, not a sum.
    """
    res = lambda w: getattr(run_cfg(w.run).resources, stage)
    limit = lambda w: runtime_limit(res(w).runtime, CFG.cluster.max_job_runtime, packed=stage == "train")
    gpus = lambda w, key: gpu_resources(res(w).gpu, allocation_gpus(w.run, stage), CFG.cluster).get(key, 0)
    resources = dict(
        mem_mb=lambda w, attempt: res(w).mem_mb * attempt,
        runtime=lambda w, attempt: min(res(w).runtime * attempt, limit(w)),
        gpu=lambda w: gpus(w, "gpu"),
        serial=1,
    )
    if CFG.cluster.gpu_request == "gres":
        resources["gres"] = lambda w: gpus(w, "gres") or None
    elif CFG.cluster.gpu_model:
        resources["gpu_model"] = lambda w: gpus(w, "gpu_model") or None
    return resources


def stage_threads(stage):
    return lambda w: getattr(run_cfg(w.run).resources, stage).threads


def allocation_gpus(run, stage):
    """GPUs of the cluster job a stage's jobs share: its own stage for training, all analysis stages else."""
    stages = ["train"] if stage == "train" else ["activations", "mi", "probes"]
    return max(getattr(run_cfg(run).resources, s).gpu for s in stages)


def train_group(w):
    """Cluster job of a training segment: consecutive segments of one run, together under cluster.max_job_runtime."""
    steps = steps_of(w.run)
    runtime = run_cfg(w.run).resources.train.runtime
    return f"train_{w.run}_{train_job_index(steps, int(w.step), runtime, CFG.cluster.max_job_runtime)}"


def task_of(run):
    return build_task(CFG.tasks[run_cfg(run).task])


def steps_of(run):
    return checkpoint_steps(run_cfg(run).training)


def eval_splits(run):
    """Held-out splits analysed per checkpoint (activations, MI)."""
    return list(task_of(run).eval_splits.values())


def split_role(run, split):
    """'id' / 'ood' for an eval split name."""
    return {v: k for k, v in task_of(run).eval_splits.items()}[split]


def checkpoint_dir(run, step):
    return f"{RESULTS}/runs/{run}/checkpoints/step-{step}"


def data_path(task, split):
    return f"{RESULTS}/data/{task}/{split}.parquet"


def mi_outputs():
    return [
        f"{RESULTS}/runs/{run}/mi/step-{step}/{split}.parquet"
        for run in CFG.runs
        for step in steps_of(run)
        for split in eval_splits(run)
    ]


PROBE_FILES = {
    "residual_scaling_betas": "residual_scaling",
    "residual_scaling_accuracy": "residual_scaling",
    "early_exit": "early_exit",
    "attention": "attention",
}


def probe_outputs(probe):
    """Per-job outputs of one probe file kind (empty when the probe is disabled)."""
    settings = getattr(CFG.probes, PROBE_FILES[probe])
    if not settings.enabled:
        return []
    return [
        f"{RESULTS}/runs/{run}/probes/step-{step}/{probe}.parquet"
        for run in CFG.runs
        for step in (steps_of(run) if settings.checkpoints == "all" else steps_of(run)[-1:])
    ]


def start_checkpoints():
    """Step-0 checkpoint of every run: tables read each model's depth from its config.json."""
    return [checkpoint_dir(run, 0) for run in CFG.runs]


def checkpoint_outputs():
    return [checkpoint_dir(run, step) for run in CFG.runs for step in steps_of(run)]


def all_outputs():
    """Every table and figure (tables, figures, capacity, multitoken .smk); called by rule all after all includes."""
    return table_outputs() + figure_outputs() + capacity_outputs() + multitoken_outputs()
