# Multi-token generation (docs/multitoken.md): dumps with decode_steps = T into activations_mt/,
# then I(Z_l^(t); Y^(t)) per step t and the sequence-kernel MI. Off unless multitoken.enabled.
from inforidge.configschema import ConfigError
from inforidge.multitoken_settings import check_multitoken, horizon_of

# Its figures are registered in inforidge.figures (built by figures.smk).

if CFG.multitoken.enabled:
    try:
        check_multitoken(CFG)
    except ConfigError as err:
        raise WorkflowError(f"invalid config: {err}") from None


rule multitoken_activations:
    input:
        checkpoint=lambda w: checkpoint_dir(w.run, w.step),
        series_checked=lambda w: series_check(w.run),
        examples=lambda w: data_path(probe_task_name(CFG, w.run), w.split),
        code=script_code("multitoken_activations.py"),
    output:
        f"{RESULTS}/runs/{{run}}/activations_mt/step-{{step}}/{{split}}/manifest.json",
    log:
        f"logs/multitoken/activations/{{run}}/step-{{step}}/{{split}}.log",
    benchmark:
        f"benchmarks/results/multitoken/activations/{{run}}/step-{{step}}/{{split}}.tsv"
    group:
        "analysis_{run}_{step}"
    conda:
        "../../envs/analysis.yaml"
    threads: stage_threads("activations")
    resources:
        **stage_resources("activations"),
    params:
        activations=as_dict(CFG.activations),
        horizon=lambda w: horizon_of(CFG, w.run),
        max_examples=CFG.multitoken.max_examples,
        device=CFG.device,
    script:
        "../scripts/multitoken_activations.py"


rule multitoken_mi:
    input:
        manifest=rules.multitoken_activations.output[0],
        code=mi_code("multitoken_mi.py"),
    output:
        f"{RESULTS}/runs/{{run}}/multitoken/step-{{step}}/{{split}}.parquet",
    log:
        f"logs/multitoken/mi/{{run}}/step-{{step}}/{{split}}.log",
    benchmark:
        f"benchmarks/results/multitoken/mi/{{run}}/step-{{step}}/{{split}}.tsv"
    group:
        "analysis_{run}_{step}"
    conda:
        "../../envs/analysis.yaml"
    threads: stage_threads("mi")
    resources:
        **stage_resources("mi"),
    params:
        mi=as_dict(CFG.mi),
        horizon=lambda w: horizon_of(CFG, w.run),
        permutations=(
            CFG.multitoken.permutations
            if CFG.multitoken.permutations is not None
            else CFG.mi.permutations
        ),
        sequence_kernel=CFG.multitoken.sequence_kernel,
        device=CFG.device,
        table_keys=lambda w: {
            "run": w.run,
            "step": int(w.step),
            "data_split": w.split,
            "split": multitoken_role(w.run, w.split),
            "probe_task": probe_task_name(CFG, w.run),
            "horizon": horizon_of(CFG, w.run),
        },
    script:
        "../scripts/multitoken_mi.py"


rule multitoken_table:
    input:
        parts=multitoken_parts() if CFG.multitoken.enabled else [],
        start=start_checkpoints(),
        code=script_code("multitoken_table.py"),
    output:
        table_path("multitoken"),
    log:
        "logs/tables/multitoken.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        runs=all_run_params(),
    script:
        "../scripts/multitoken_table.py"
