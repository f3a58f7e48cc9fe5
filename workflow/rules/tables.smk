# Tidy long-format tables, one per observational unit (results/tables/*.parquet).
# Schemas and column docs: src/inforidge/tables.py and each probe's ProbeSpec.tables;
# docs/results.md. Probe tables are derived from the probe registry (probes.smk).


def table_path(name):
    return f"{RESULTS}/tables/{name}.parquet"


def probe_tables():
    """(probe spec, per-job file stem, table name) of every registered probe table."""
    return [(spec, stem, schema.name) for spec in PROBES for stem, schema in spec.tables.items()]


def table_outputs():
    """Every table this config produces: probe tables only for the enabled probes."""
    names = ["mi", "training", "runs"] + [t for spec, stem, t in probe_tables() if probe_outputs(spec, stem)]
    return [table_path(name) for name in names]


rule table_mi:
    output:
        table_path("mi"),
    input:
        parts=mi_outputs(),
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


# One rule per registered probe table (table_residual_scaling, table_early_exit, ...).
for _spec, _stem, _table in probe_tables():

    rule:
        name:
            f"table_{_table}"
        output:
            table_path(_table),
        input:
            parts=probe_outputs(_spec, _stem),
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
