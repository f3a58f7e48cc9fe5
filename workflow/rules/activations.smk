# Hidden states of every checkpoint on every eval split: NPY shards + meta + manifest per split,
# one job per checkpoint (a model job's start-up, ~7 s of imports, outweighs a small dump), its
# output the index splits.json that the MI and read-out jobs of each split read (docs/activations.md).


rule activations:
    input:
        checkpoint=lambda w: checkpoint_dir(w.run, w.step),
        series_checked=lambda w: series_check(w.run),
        examples=lambda w: [
            data_path(run_cfg(w.run).task, s) for s in eval_splits(w.run)
        ],
        code=script_code("activations.py"),
    output:
        f"{RESULTS}/runs/{{run}}/activations/step-{{step}}/splits.json",
    log:
        f"logs/activations/{{run}}/step-{{step}}.log",
    benchmark:
        f"benchmarks/results/activations/{{run}}/step-{{step}}.tsv"
    group:
        "analysis_{run}_{step}"
    conda:
        "../../envs/analysis.yaml"
    threads: stage_threads("activations")
    resources:
        **stage_resources("activations"),
    params:
        activations=as_dict(CFG.activations),
        device=CFG.device,
        splits=lambda w: eval_splits(w.run),
        multitoken=None,
    script:
        "../scripts/activations.py"
