# Helpers shared by the rules: path templates, checkpoint schedules, config slices, and the
# output lists each stage's .smk contributes to the final target (all functions live here: the other
# .smk files hold rules only). Path templates are defined once: a rule's output or a helper
# here, and consumers use rules.<name>.output or the helper.
import os
from dataclasses import dataclass
from pathlib import Path

from inforidge.analyses.registry import analyses, analysis_jobs
from inforidge.analyses.verdictspec import source_tables
from inforidge.config import as_dict
from inforidge.core.hub import go_offline, hub_unreachable
from inforidge.core.threads import choose_threads, scratch_width
from inforidge.figures.report import wanted_figures
from inforidge.mi.multitoken import (
    check_multitoken,
    decode_steps,
    horizon_of,
    probe_task_name,
)
from inforidge.mi.registry import KERNELS
from inforidge.models.schedule import previous_step
from inforidge.tasks import build_task
from inforidge.tasks.sources import local_files
from inforidge.workflow.clusterplan import (
    check_runtimes,
    gpu_resources,
    runtime_limit,
    train_job_index,
)
from inforidge.workflow.codedeps import CodeGraph
from inforidge.workflow.fetch import (
    hub_datasets,
    hub_models,
    job_environment,
    missing_models,
)
from inforidge.workflow.planning import capacity_wanted
from inforidge.workflow.series import check_sources, run_steps, series_sources
from inforidge.workflow.splitsets import split_sets

RESULTS = "results"
SRC = Path(workflow.basedir) / "src"
SCRIPTS = Path(workflow.basedir) / "workflow" / "scripts"

# A job no partition would accept is a plan-time error, before anything is submitted.
# So are series paths that do not exist, duplicate steps and chains to checkpoints a run lacks,
# and a multi-token stage the runs cannot feed (before its dump rules are made).
try:
    check_runtimes(CFG)
    check_sources(CFG)
    if CFG.multitoken.enabled:
        check_multitoken(CFG)
except ConfigError as err:
    raise WorkflowError(f"invalid config: {err}") from None

# Every process of the workflow reads the shared Hugging Face cache; cluster jobs (this file
# is parsed again inside each job) run offline from it, so a compute node never downloads.
os.environ.update(job_environment(CFG.cluster, remote=workflow.remote_exec))
# Without the hub, every job runs from the cache alone: a model or dataset missing there fails at
# once with a line naming it (inforidge.core.hub), not after minutes of retries, and the end-of-run
# summary says what to fetch. One probe (seconds at most), only for configs with hub sources.
if not workflow.dryrun and (hub_models(CFG) or hub_datasets(CFG)):
    _unreachable = hub_unreachable()
    if _unreachable:
        os.environ.update(go_offline(_unreachable))
if workflow.non_local_exec and not workflow.remote_exec and CFG.cluster.offline:
    _missing = missing_models(CFG)  # checked on the submit host, without network
    if _missing:
        raise WorkflowError(
            f"hub models {_missing} are not in the cache (cluster.hf_home); the cluster jobs run "
            "offline: run `inforidge fetch --configfile <this config>` first (docs/cluster.md)"
        )


wildcard_constraints:
    run="[A-Za-z0-9_.-]+",
    task="[A-Za-z0-9_.-]+",
    split="[A-Za-z0-9_]+",
    step=r"\d+",


# The package's import graph, each file parsed once while the workflow is planned.
CODE = CodeGraph(SRC)


def script_code(script, *refs):
    """Package files a rule's script runs (its imports, followed, and the registry references
    ``refs`` it calls): inputs, so code edits rerun it."""
    files = set(CODE.code_files(SCRIPTS / script))
    files.update(path for ref in refs for path in CODE.reference_files(ref))
    return sorted(map(str, files))


def mi_code(script):
    """An MI script's code: its imports and the module of every registered kernel's Gram function
    (named in the kernel registry, not imported), so editing a kernel reruns the MI jobs.
    """
    return script_code(script, *(spec.gram for spec in KERNELS))


def run_cfg(run):
    return CFG.runs[run]


def run_params(run):
    """A run's settings as rule params; resources excluded so they never trigger reruns."""
    settings = as_dict(run_cfg(run))
    del settings["resources"]
    return settings


def all_run_params():
    return {name: run_params(name) for name in CFG.runs}


def stage_resources(stage, shared=True):
    """Rule resources for a heavy stage from the run's config; retries scale memory and time.

    Runtime scales up to what one cluster job may last (clusterplan.runtime_limit); GPUs
    are requested as cluster.gpu_request says; ``serial=1`` lets the profile run a group
    job's members one after another, so the job asks for the largest member, not a sum.
    ``shared=False``: the jobs' group holds this stage only (read-outs), so its GPUs are the
    stage's own, not the analysis allocation's.
    """
    res = lambda w: getattr(run_cfg(w.run).resources, stage)
    limit = lambda w: runtime_limit(
        res(w).runtime, CFG.cluster.max_job_runtime, packed=stage == "train"
    )
    gpus = lambda w, key: gpu_resources(
        res(w).gpu, allocation_gpus(w.run, stage, shared), CFG.cluster
    ).get(key, 0)
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
    """A stage's declared threads; run locally, a small scratch model declares what it will use.

    jobs.job() runs a model narrower than threads.PARALLEL_FROM_WIDTH on one thread whatever
    it declared (docs/performance.md). Declaring that one thread locally lets Snakemake run
    other jobs beside it; on a cluster the request stays what the run's config declares.
    """

    def threads(w):
        declared = getattr(run_cfg(w.run).resources, stage).threads
        if workflow.non_local_exec or stage == "mi":
            return declared
        return choose_threads(declared, scratch_width(run_cfg(w.run).model))

    return threads


def allocation_gpus(run, stage, shared=True):
    """GPUs of the cluster job a stage's jobs share: its own stage for training or a group of
    that stage alone (``shared=False``), all analysis stages else."""
    alone = stage == "train" or not shared
    stages = [stage] if alone else ["activations", "mi", "probes"]
    return max(getattr(run_cfg(run).resources, s).gpu for s in stages)


def train_group(w):
    """Cluster job of a training segment: consecutive segments of one run, together under cluster.max_job_runtime.

    A series run's steps do not depend on each other: each is its own job, so they run in parallel.
    """
    if run_cfg(w.run).model.source == "series":
        return f"train_{w.run}_step{w.step}"
    steps = steps_of(w.run)
    runtime = run_cfg(w.run).resources.train.runtime
    return f"train_{w.run}_{train_job_index(steps, int(w.step), runtime, CFG.cluster.max_job_runtime)}"


def task_of(run):
    return build_task(CFG.tasks[run_cfg(run).task])


def steps_of(run):
    """A run's checkpoint steps: its training schedule's, or its external series' own."""
    return run_steps(run_cfg(run), f"runs.{run}")


def first_checkpoint(run):
    """The run's first checkpoint: step 0 of a trained run, the first step of a series."""
    return checkpoint_dir(run, steps_of(run)[0])


def series_source(run, step):
    """Where checkpoint ``step`` of a series run lives (path / hub id, revision); None otherwise."""
    model = run_cfg(run).model
    if model.source != "series":
        return None
    return series_sources(model, f"runs.{run}.model")[int(step)].as_dict()


def series_check(run):
    """The weight-identity check of a series run (rules.series_weights), [] for other runs; an input of
    every job that analyses a series step, so duplicated checkpoints stop the run before analysis.
    """
    if run_cfg(run).model.source != "series":
        return []
    return [rules.series_weights.output[0].format(run=run)]


def eval_splits(run):
    """Held-out splits analysed per checkpoint (activations, MI)."""
    return list(task_of(run).eval_splits.values())


def split_role(run, split):
    """'id' / 'ood' for an eval split name."""
    return {v: k for k, v in task_of(run).eval_splits.items()}[split]


def analysed_steps(run, checkpoints):
    """Checkpoints a per-checkpoint stage analyses: every one (``all``) or the last (``final``)."""
    return steps_of(run) if checkpoints == "all" else steps_of(run)[-1:]


def checkpoint_dir(run, step):
    return f"{RESULTS}/runs/{run}/checkpoints/step-{step}"


def data_path(task, split):
    return f"{RESULTS}/data/{task}/{split}.parquet"


def run_records():
    """Every run's record (rules.run_record: its key columns, with the depth its model loaded
    with), which every table job reads."""
    return [rules.run_record.output[0].format(run=run) for run in CFG.runs]


def checkpoint_outputs():
    return [checkpoint_dir(run, step) for run in CFG.runs for step in steps_of(run)]


def all_outputs():
    """Every table and figure (tables, figures, capacity, multitoken .smk); called by rule all after all includes."""
    return (
        table_outputs() + capacity_outputs() + multitoken_outputs() + figure_outputs()
    )


# --- data.smk ----------------------------------------------------------------


def data_inputs(w):
    """Task code, plus the task's local dataset files (edits to them rebuild the splits).

    Hub datasets are not inputs: nothing here touches the network while the DAG is built.
    """
    files = (
        local_files(CFG.tasks[w.task].dataset) if CFG.tasks[w.task].dataset else None
    )
    return {"code": script_code("data.py"), "dataset": [str(f) for f in files or []]}


# --- train.smk ---------------------------------------------------------------


def train_inputs(w):
    """The task splits and what the checkpoint starts from: the previous checkpoint (none for
    step 0), step 0 for LoRA runs, the other run's checkpoint for step 0 of a ``source: run``
    run (so a change there reruns this run), a series step's local directory."""
    run = run_cfg(w.run)
    inputs = {
        split: data_path(run.task, split) for split in task_of(w.run).split_names()
    }
    if run.model.source == "series":
        source = series_source(w.run, w.step)
        return inputs | (
            {"series": source["path"]} if source["revision"] is None else {}
        )
    prev = previous_step(steps_of(w.run), int(w.step))
    if prev is None and run.model.source == "run":
        inputs["start"] = checkpoint_dir(run.model.run, run.model.step)
        inputs["series_checked"] = series_check(run.model.run)
    if prev is not None:
        inputs["previous"] = checkpoint_dir(w.run, prev)
        if run.training.lora is not None:
            # LoRA resumes from the unmerged base weights, which only step 0 holds.
            inputs["base"] = checkpoint_dir(w.run, 0)
    return inputs


# --- activations.smk, mi.smk ------------------------------------------------
# A dump job, and the MI job that reads it, cover every split of one (run, checkpoint): one
# start-up and one model load per checkpoint. Snakemake fixes a rule's outputs at parse time,
# so the runs are grouped by their split list, one rule per list (inforidge.workflow.splitsets).


@dataclass(frozen=True)
class DumpKind:
    """A kind of activation dump and the MI job after it: the eval splits' single-token dumps, or
    the multi-token stage's (multitoken.smk, docs/multitoken.md)."""

    dump: str  # rule-name stem of the dump
    mi: str  # ... of the MI job
    store: str  # the dumps' folder below results/runs/{run}
    mi_dir: str  # the MI files' folder there
    logs: str  # the folder of both rules' logs below logs/ ("" or "multitoken/")

    def log(self, stage):
        """Log / benchmark path of a job of ``stage`` (activations, mi), no suffix."""
        return f"{self.logs}{stage}/{{run}}/step-{{step}}"


SINGLE_TOKEN = DumpKind("activations", "mi", "activations", "mi", "")
MULTI_TOKEN = DumpKind(
    "multitoken_activations",
    "multitoken_mi",
    "activations_mt",
    "multitoken",
    "multitoken/",
)


def dump_rules():
    """(kind, split set) of every dump rule and the MI rule after it; multi-token ones when on."""
    rules_ = [
        (SINGLE_TOKEN, s)
        for s in split_sets({run: eval_splits(run) for run in CFG.runs})
    ]
    if CFG.multitoken.enabled:
        multi = {run: multitoken_splits(run) for run in CFG.runs}
        rules_ += [(MULTI_TOKEN, s) for s in split_sets(multi)]
    return rules_


def dump_manifest(kind, split="{split}"):
    """Path template of one split's dump (its manifest) at a (run, checkpoint)."""
    return f"{RESULTS}/runs/{{run}}/{kind.store}/step-{{step}}/{split}/manifest.json"


def mi_file(kind, split="{split}"):
    """Path template of one split's MI file at a (run, checkpoint)."""
    return f"{RESULTS}/runs/{{run}}/{kind.mi_dir}/step-{{step}}/{split}.parquet"


def dump_examples(kind, splits):
    """Input function of a dump rule: each split's frame (of the probe task for a multi-token dump)."""
    task = (
        (lambda run: run_cfg(run).task)
        if kind is SINGLE_TOKEN
        else (lambda run: probe_task_name(CFG, run))
    )
    return lambda w: {
        f"examples_{split}": data_path(task(w.run), split) for split in splits.splits
    }


def dump_provenance(kind, splits):
    """Params function of a dump rule: each split's key columns, recorded in its manifest (the MI
    and read-out jobs copy them onto their rows: inforidge.activations.dump_keys), so planning
    names them in one place; in output order."""
    keys = multitoken_provenance if kind is MULTI_TOKEN else single_token_provenance
    return lambda w: {split: keys(w, split) for split in splits.splits}


def dump_multitoken(kind):
    """A dump's params.multitoken: None for a single-token dump, {horizon, max_examples} else."""
    if kind is SINGLE_TOKEN:
        return None
    return lambda w: {
        "horizon": horizon_of(CFG, w.run),
        "max_examples": CFG.multitoken.max_examples,
    }


def mi_multitoken(kind):
    """An MI job's params.multitoken: None, or the decoding steps of the run's dumps."""
    return None if kind is SINGLE_TOKEN else lambda w: decode_steps(CFG, w.run)


def provenance_keys(w, split, role):
    """The keys every dump records (activations.layout.PROVENANCE_KEYS), the split as ``role``."""
    return {"run": w.run, "step": int(w.step), "split": role, "data_split": split}


def single_token_provenance(w, split):
    """A single-token dump's key columns: an eval split's role (id / ood) besides the run and step."""
    return provenance_keys(w, split, split_role(w.run, split))


def mi_outputs():
    """Every per-split MI file: each run × checkpoint × eval split."""
    return [
        mi_file(SINGLE_TOKEN, split).format(run=run, step=step)
        for run in CFG.runs
        for step in steps_of(run)
        for split in eval_splits(run)
    ]


# --- analyses.smk (probes and read-outs) -------------------------------------


def analysis_file(spec, stem):
    """Per-job output template of file ``stem`` of a probe (one job per run and checkpoint) or
    a read-out (one per run, checkpoint and eval split)."""
    if spec.input == "checkpoint":
        return f"{RESULTS}/runs/{{run}}/probes/step-{{step}}/{stem}.parquet"
    return f"{RESULTS}/runs/{{run}}/readouts/step-{{step}}/{{split}}/{stem}.parquet"


def analysis_log(job):
    """Log / benchmark path of an analysis job, below logs/ and benchmarks/results/ (no suffix)."""
    split = "{split}/" if job.input == "activations" else ""
    return f"{job.section}/{{run}}/step-{{step}}/{split}{job.name}"


def analysis_group(job):
    """Cluster group of an analysis job (profiles/slurm packs a group into one sbatch job).

    A probe job joins its checkpoint's ``analysis`` group. A read-out of the activation dump gets a
    group of its own: inside a group job Snakemake runs each connected part with one ``srun``
    sized by the part's widest level, so a dump feeding both its MI job and a read-out would
    ask for two jobs' CPUs in an allocation sized for one ("More processors requested than
    permitted"). Apart, each part is a chain (dump → MI) or a single job.
    """
    return (
        "analysis_{run}_{step}"
        if job.input == "checkpoint"
        else "readouts_{run}_{step}"
    )


def analysis_settings(spec):
    return getattr(getattr(CFG, spec.section), spec.name)


def split_frames(w, kind):
    """Split parquet paths keyed by role (id, ood) for eval or probe-fitting splits."""
    task = task_of(w.run)
    splits = task.eval_splits if kind == "eval" else task.probe_splits
    return {
        f"{kind}_{role}": data_path(run_cfg(w.run).task, split)
        for role, split in splits.items()
    }


def analysis_frames(job):
    """Input function of a probe job: eval splits, plus the fitting splits when one of its probes
    fits (a read-out reads no task split: its dump holds the states)."""
    if job.input == "activations":
        return lambda w: {}
    return lambda w: {
        **split_frames(w, "eval"),
        **(split_frames(w, "fit") if job.fit_splits else {}),
    }


def analysis_inputs(job):
    """What an analysis job reads besides task splits: the checkpoint or the activation dump, and its code."""
    code = script_code("analysis.py", *job.code)
    if (
        job.input == "checkpoint"
    ):  # a dict literal: `checkpoint` opens a rule in a .smk file
        return {
            "checkpoint": lambda w: checkpoint_dir(w.run, w.step),
            "series_checked": lambda w: series_check(w.run),
            "code": code,
        }
    return {"manifest": dump_manifest(SINGLE_TOKEN), "code": code}


def analysis_job_outputs(job):
    """Per-job output files of an analysis job: every output stem of each of its analyses."""
    return {
        stem: analysis_file(spec, stem) for spec in job.specs for stem in spec.tables
    }


def analysis_params(job):
    """The job's analyses, named by their rules (workflow/scripts/analysis.py runs them in order),
    and each one's settings; a probe job runs on the configured device (a read-out's keys are its dump's).
    """
    params = dict(
        analyses=[spec.rule for spec in job.specs],
        settings={spec.rule: as_dict(analysis_settings(spec)) for spec in job.specs},
    )
    return params | (dict(device=CFG.device) if job.input == "checkpoint" else {})


def analysis_threads(job):
    """A probe job declares the run's probe threads; a read-out runs torch on one thread."""
    return stage_threads("probes") if job.input == "checkpoint" else 1


def analysis_resources(job):
    """A probe job has the run's probe resources (the job the probes at every checkpoint share
    too: resources.probes.runtime bounds it); a read-out, a job on a dump, the MI stage's.
    """
    if job.input == "checkpoint":
        return stage_resources("probes")
    # Its own group: MI's GPUs, not the analysis allocation's.
    return stage_resources("mi", shared=False)


def analysis_outputs(spec, stem):
    """Per-job files ``stem`` of analysis ``spec`` for every analysed checkpoint (and eval split,
    for a read-out); none when it is disabled."""
    settings = analysis_settings(spec)
    if not settings.enabled:
        return []
    return [
        analysis_file(spec, stem).format(run=run, step=step, split=split)
        for run in CFG.runs
        for step in analysed_steps(run, settings.checkpoints)
        for split in (eval_splits(run) if spec.input == "activations" else [None])
    ]


# --- tables.smk --------------------------------------------------------------


def table_path(name):
    return f"{RESULTS}/tables/{name}.parquet"


def analysis_tables():
    """(analysis spec, per-job file stem, table name) of every registered probe and read-out table."""
    return [
        (spec, stem, schema.name)
        for spec in analyses()
        for stem, schema in spec.tables.items()
    ]


def table_outputs():
    """Every table this config produces: probe and read-out tables only for the enabled ones."""
    names = ["mi", "training", "runs", "ridge", "mi_paired", "verdict"]
    names += [t for spec, stem, t in analysis_tables() if analysis_outputs(spec, stem)]
    return [table_path(name) for name in names]


def verdict_source_names():
    """The tables of the verdict table's read-outs (inforidge.analyses.verdictspec) that this config produces."""
    made = set(table_outputs())
    return [name for name in source_tables() if table_path(name) in made]


def verdict_sources():
    return [table_path(name) for name in verdict_source_names()]


# --- figures.smk -------------------------------------------------------------


def figure_files(name):
    """The figure's files: PNG first (the report's copy), then the other configured formats."""
    formats = ["png"] + [f for f in CFG.figures.formats if f != "png"]
    return [f"{RESULTS}/figures/{name}.{fmt}" for fmt in formats]


def figure_outputs():
    """Every figure file this config produces (probe and sweep figures only with their tables)."""
    return [path for spec in wanted_figures(CFG) for path in figure_files(spec.name)]


# --- capacity.smk ------------------------------------------------------------


def capacity_outputs():
    """The capacity table, or nothing when the config does not ask for it."""
    return [table_path("capacity")] if capacity_wanted(CFG) else []


# --- multitoken.smk ----------------------------------------------------------


def multitoken_splits(run):
    """Dataset splits of the probe task that are dumped (multitoken.splits or its eval splits)."""
    return CFG.multitoken.splits or list(
        build_task(CFG.tasks[probe_task_name(CFG, run)]).eval_splits.values()
    )


def multitoken_role(run, split):
    """The eval role ('id' / 'ood') of a probe-task split; other splits keep their own name."""
    roles = {
        v: k
        for k, v in build_task(CFG.tasks[probe_task_name(CFG, run)]).eval_splits.items()
    }
    return roles.get(split, split)


def multitoken_provenance(w, split):
    """A multi-token dump's key columns: a probe-task split's role (or its own name), the probe
    task and the horizon T besides the run and step (the multitoken table's keys)."""
    return provenance_keys(w, split, multitoken_role(w.run, split)) | {
        "probe_task": probe_task_name(CFG, w.run),
        "horizon": horizon_of(CFG, w.run),
    }


def multitoken_parts():
    """Per-split multi-token frames: every run × analysed checkpoint × split."""
    return [
        mi_file(MULTI_TOKEN, split).format(run=run, step=step)
        for run in CFG.runs
        for step in analysed_steps(run, CFG.multitoken.checkpoints)
        for split in multitoken_splits(run)
    ]


def multitoken_outputs():
    """The multi-token table, or nothing when the stage is off."""
    return [table_path("multitoken")] if CFG.multitoken.enabled else []
