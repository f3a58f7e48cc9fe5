# Functional probes per (run, checkpoint): residual scaling, early exit, attention.


def probe_frames(w, kind):
    """Split parquet paths keyed by role ('id'/'ood') for eval or probe-fitting splits."""
    task = task_of(w.run)
    splits = task.eval_splits if kind == "eval" else task.probe_splits
    return {f"{kind}_{role}": data_path(run_cfg(w.run).task, split) for role, split in splits.items()}


rule probe_residual_scaling:
    output:
        betas=f"{RESULTS}/runs/{{run}}/probes/step-{{step}}/residual_scaling_betas.parquet",
        accuracy=f"{RESULTS}/runs/{{run}}/probes/step-{{step}}/residual_scaling_accuracy.parquet",
    input:
        unpack(lambda w: {**probe_frames(w, "eval"), **probe_frames(w, "fit")}),
        checkpoint=lambda w: checkpoint_dir(w.run, w.step),
        code=script_code("probe_residual_scaling.py"),
    params:
        settings=as_dict(CFG.probes.residual_scaling),
        device=CFG.device,
    log:
        f"logs/probes/{{run}}/step-{{step}}/residual_scaling.log",
    benchmark:
        f"benchmarks/results/probes/{{run}}/step-{{step}}/residual_scaling.tsv"
    group:
        "analysis_{run}_{step}"
    threads: stage_threads("probes")
    resources:
        **stage_resources("probes"),
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/probe_residual_scaling.py"


rule probe_readout:
    output:
        f"{RESULTS}/runs/{{run}}/probes/step-{{step}}/{{probe}}.parquet",
    input:
        unpack(lambda w: probe_frames(w, "eval")),
        checkpoint=lambda w: checkpoint_dir(w.run, w.step),
        code=script_code("probe_readout.py"),
    params:
        settings=lambda w: as_dict(getattr(CFG.probes, w.probe)),
        device=CFG.device,
    wildcard_constraints:
        probe="early_exit|attention",
    log:
        f"logs/probes/{{run}}/step-{{step}}/{{probe}}.log",
    benchmark:
        f"benchmarks/results/probes/{{run}}/step-{{step}}/{{probe}}.tsv"
    group:
        "analysis_{run}_{step}"
    threads: stage_threads("probes")
    resources:
        **stage_resources("probes"),
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/probe_readout.py"
