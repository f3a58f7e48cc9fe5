# Matrix-based Renyi MI per site, layer (and increment), subsample seed and kernel. The
# multi-token stage (multitoken.smk) is this rule with params.multitoken set. The rows' keys
# (run, step, split, data_split) come from the dump's manifest (activations.smk).


rule mi:
    input:
        manifest=rules.activations.output[0],
        code=mi_code("mi.py"),
    output:
        f"{RESULTS}/runs/{{run}}/mi/step-{{step}}/{{split}}.parquet",
    log:
        f"logs/mi/{{run}}/step-{{step}}/{{split}}.log",
    benchmark:
        f"benchmarks/results/mi/{{run}}/step-{{step}}/{{split}}.tsv"
    group:
        "analysis_{run}_{step}"
    conda:
        "../../envs/analysis.yaml"
    threads: stage_threads("mi")
    resources:
        **stage_resources("mi"),
    params:
        mi=as_dict(CFG.mi),
        device=CFG.device,
        multitoken=None,
    script:
        "../scripts/mi.py"
