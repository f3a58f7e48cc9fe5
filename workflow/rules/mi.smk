# Matrix-based Renyi MI per site, layer (and increment), subsample seed and kernel.


rule mi:
    output:
        f"{RESULTS}/runs/{{run}}/mi/step-{{step}}/{{split}}.parquet",
    input:
        manifest=rules.activations.output[0],
        code=script_code("mi.py"),
    params:
        mi=as_dict(CFG.mi),
        device=CFG.device,
        table_keys=lambda w: {"run": w.run, "step": int(w.step), "split": w.split, "split_role": split_role(w.run, w.split)},
    log:
        f"logs/mi/{{run}}/step-{{step}}/{{split}}.log",
    benchmark:
        f"benchmarks/results/mi/{{run}}/step-{{step}}/{{split}}.tsv"
    group:
        "analysis_{run}_{step}"
    threads: stage_threads("mi")
    resources:
        **stage_resources("mi"),
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/mi.py"


def mi_outputs():
    """Every per-job MI file: each run × checkpoint × eval split."""
    return [
        rules.mi.output[0].format(run=run, step=step, split=split)
        for run in CFG.runs
        for step in steps_of(run)
        for split in eval_splits(run)
    ]
