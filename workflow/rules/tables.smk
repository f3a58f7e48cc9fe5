# Tidy long-format tables, one per observational unit (results/tables/*.parquet).
# Schemas and column docs: src/inforidge/tables.py, docs/results.md.

# Probe tables and the per-job probe files (probe_outputs, common.smk) they aggregate.
PROBE_TABLES = {
    "residual_scaling": "residual_scaling_betas",
    "residual_scaling_accuracy": "residual_scaling_accuracy",
    "early_exit": "early_exit",
    "attention": "attention",
}


def table_path(name):
    return f"{RESULTS}/tables/{name}.parquet"


def table_outputs():
    """Every table this config produces: probe tables only for the enabled probes."""
    names = ["mi", "training", "runs"] + [t for t, probe in PROBE_TABLES.items() if probe_outputs(probe)]
    return [table_path(name) for name in names]


rule table_mi:
    output:
        table_path("mi"),
    input:
        parts=mi_outputs(),
        start=start_checkpoints(),
        code=script_code("table_mi.py"),
    params:
        runs=all_run_params(),
    log:
        "logs/tables/mi.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/table_mi.py"


rule table_training:
    output:
        table_path("training"),
    input:
        checkpoints=checkpoint_outputs(),
        start=start_checkpoints(),
        code=script_code("table_training.py"),
    params:
        runs=all_run_params(),
    log:
        "logs/tables/training.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/table_training.py"


rule table_runs:
    output:
        table_path("runs"),
    input:
        start=start_checkpoints(),
        code=script_code("table_runs.py"),
    params:
        runs=all_run_params(),
        tasks=lambda w: {name: as_dict(task) for name, task in CFG.tasks.items()},
    log:
        "logs/tables/runs.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/table_runs.py"


# One rule per probe table (table_residual_scaling, table_early_exit, ...).
for _table, _probe in PROBE_TABLES.items():

    rule:
        name:
            f"table_{_table}"
        output:
            table_path(_table),
        input:
            parts=probe_outputs(_probe),
            start=start_checkpoints(),
            code=script_code("table_probe.py"),
        params:
            table=_table,
            runs=all_run_params(),
        log:
            f"logs/tables/{_table}.log",
        localrule: True
        conda:
            "../../envs/report.yaml"
        script:
            "../scripts/table_probe.py"
