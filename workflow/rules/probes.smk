# Functional probes per (run, checkpoint): one rule per registered probe (probe_<name>),
# derived from inforidge.probes.registry.PROBES (docs/extending.md).
from inforidge.probes.registry import PROBES


def probe_file(stem):
    """Per-job output template of a probe file (stem: a key of ProbeSpec.tables)."""
    return f"{RESULTS}/runs/{{run}}/probes/step-{{step}}/{stem}.parquet"


def probe_frames(w, kind):
    """Split parquet paths keyed by role ('id'/'ood') for eval or probe-fitting splits."""
    task = task_of(w.run)
    splits = task.eval_splits if kind == "eval" else task.probe_splits
    return {f"{kind}_{role}": data_path(run_cfg(w.run).task, split) for role, split in splits.items()}


def probe_inputs(spec):
    """Input function of a probe rule: eval splits, plus the fitting splits when the probe fits."""
    return lambda w: {**probe_frames(w, "eval"), **(probe_frames(w, "fit") if spec.fit_splits else {})}


def probe_outputs(spec, stem):
    """Per-job files ``stem`` of probe ``spec`` for every analysed checkpoint (none when disabled)."""
    settings = getattr(CFG.probes, spec.name)
    if not settings.enabled:
        return []
    return [
        probe_file(stem).format(run=run, step=step)
        for run in CFG.runs
        for step in analysed_steps(run, settings.checkpoints)
    ]


for _spec in PROBES:

    rule:
        name:
            f"probe_{_spec.name}"
        output:
            **{stem: probe_file(stem) for stem in _spec.tables},
        input:
            unpack(probe_inputs(_spec)),
            checkpoint=lambda w: checkpoint_dir(w.run, w.step),
            code=script_code("probe.py", _spec.job),
        params:
            probe=_spec.name,
            settings=as_dict(getattr(CFG.probes, _spec.name)),
            device=CFG.device,
        log:
            f"logs/probes/{{run}}/step-{{step}}/{_spec.name}.log",
        benchmark:
            f"benchmarks/results/probes/{{run}}/step-{{step}}/{_spec.name}.tsv"
        group:
            "analysis_{run}_{step}"
        threads: stage_threads("probes")
        resources:
            **stage_resources("probes"),
        conda:
            "../../envs/analysis.yaml"
        script:
            "../scripts/probe.py"
