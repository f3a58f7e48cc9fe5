# Multi-token generation (docs/multitoken.md): dumps with decode_steps = T into activations_mt/,
# then I(Z_l^(t); Y^(t)) per step t and the sequence-kernel MI. Off unless multitoken.enabled.
from inforidge.configschema import ConfigError
from inforidge.multitoken_settings import check_multitoken, horizon_of, probe_task_name

# Figure name: report label (captions: workflow/report/<name>.rst).
MULTITOKEN_FIGURES = {"multitoken_heatmap": "MI heatmap (layer x step t)", "multitoken_curves": "MI vs layer per step t"}

if CFG.multitoken.enabled:
    try:
        check_multitoken(CFG)
    except ConfigError as err:
        raise WorkflowError(f"invalid config: {err}") from None


def multitoken_splits(run):
    """Dataset splits of the probe task that are dumped (multitoken.splits or its eval splits)."""
    return CFG.multitoken.splits or list(build_task(CFG.tasks[probe_task_name(CFG, run)]).eval_splits.values())


def multitoken_role(run, split):
    """The eval role ('id' / 'ood') of a probe-task split; other splits keep their own name."""
    roles = {v: k for k, v in build_task(CFG.tasks[probe_task_name(CFG, run)]).eval_splits.items()}
    return roles.get(split, split)


def multitoken_parts():
    """Per-job multi-token frames: every run × analysed checkpoint × split."""
    steps = lambda run: steps_of(run) if CFG.multitoken.checkpoints == "all" else steps_of(run)[-1:]
    return [
        f"{RESULTS}/runs/{run}/multitoken/step-{step}/{split}.parquet"
        for run in CFG.runs
        for step in steps(run)
        for split in multitoken_splits(run)
    ]


def multitoken_outputs():
    """The multi-token table and figures, or nothing when the stage is off."""
    if not CFG.multitoken.enabled:
        return []
    return [table_path("multitoken")] + [f for name in MULTITOKEN_FIGURES for f in figure_files(name)]


rule multitoken_activations:
    output:
        f"{RESULTS}/runs/{{run}}/activations_mt/step-{{step}}/{{split}}/manifest.json",
    input:
        checkpoint=lambda w: checkpoint_dir(w.run, w.step),
        examples=lambda w: data_path(probe_task_name(CFG, w.run), w.split),
        code=script_code("multitoken_activations.py"),
    params:
        activations=as_dict(CFG.activations),
        horizon=lambda w: horizon_of(CFG, w.run),
        max_examples=CFG.multitoken.max_examples,
        device=CFG.device,
    log:
        f"logs/multitoken/activations/{{run}}/step-{{step}}/{{split}}.log",
    benchmark:
        f"benchmarks/results/multitoken/activations/{{run}}/step-{{step}}/{{split}}.tsv"
    group:
        "analysis_{run}_{step}"
    threads: stage_threads("activations")
    resources:
        **stage_resources("activations"),
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/multitoken_activations.py"


rule multitoken_mi:
    output:
        f"{RESULTS}/runs/{{run}}/multitoken/step-{{step}}/{{split}}.parquet",
    input:
        manifest=f"{RESULTS}/runs/{{run}}/activations_mt/step-{{step}}/{{split}}/manifest.json",
        code=script_code("multitoken_mi.py"),
    params:
        mi=as_dict(CFG.mi),
        horizon=lambda w: horizon_of(CFG, w.run),
        permutations=CFG.multitoken.permutations if CFG.multitoken.permutations is not None else CFG.mi.permutations,
        sequence_kernel=CFG.multitoken.sequence_kernel,
        device=CFG.device,
        table_keys=lambda w: {"run": w.run, "step": int(w.step), "split": w.split,
                              "split_role": multitoken_role(w.run, w.split),
                              "probe_task": probe_task_name(CFG, w.run), "horizon": horizon_of(CFG, w.run)},
    log:
        f"logs/multitoken/mi/{{run}}/step-{{step}}/{{split}}.log",
    benchmark:
        f"benchmarks/results/multitoken/mi/{{run}}/step-{{step}}/{{split}}.tsv"
    group:
        "analysis_{run}_{step}"
    threads: stage_threads("mi")
    resources:
        **stage_resources("mi"),
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/multitoken_mi.py"


rule multitoken_table:
    output:
        table_path("multitoken"),
    input:
        parts=multitoken_parts() if CFG.multitoken.enabled else [],
        start=start_checkpoints(),
        code=script_code("multitoken_table.py"),
    params:
        runs=all_run_params(),
    log:
        "logs/tables/multitoken.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/multitoken_table.py"


for _name, _label in MULTITOKEN_FIGURES.items():

    rule:
        name:
            f"figure_{_name}"
        output:
            figure_report(_name, "Multi-token generation", _label),
            figure_files(_name)[1:],
        input:
            table=table_path("multitoken"),
            code=script_code("sweep_figure.py"),
        params:
            figure=_name,
            site="resid_post",
            figures=as_dict(CFG.figures),
        log:
            f"logs/figures/{_name}.log",
        localrule: True
        conda:
            "../../envs/report.yaml"
        script:
            "../scripts/sweep_figure.py"
