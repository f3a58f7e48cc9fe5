# Hidden states of every checkpoint on every eval split: NPY shards + meta + manifest. The manifest
# records the dump's provenance (dump_provenance): the MI and read-out jobs take their keys from it.


rule activations:
    input:
        checkpoint=lambda w: checkpoint_dir(w.run, w.step),
        series_checked=lambda w: series_check(w.run),
        examples=lambda w: data_path(run_cfg(w.run).task, w.split),
        code=script_code("activations.py"),
    output:
        f"{RESULTS}/runs/{{run}}/activations/step-{{step}}/{{split}}/manifest.json",
    log:
        f"logs/activations/{{run}}/step-{{step}}/{{split}}.log",
    benchmark:
        f"benchmarks/results/activations/{{run}}/step-{{step}}/{{split}}.tsv"
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
        multitoken=None,
        provenance=dump_provenance,
    script:
        "../scripts/activations.py"
