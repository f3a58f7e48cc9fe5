# Tidy long-format tables, one per observational unit (results/tables/*.parquet).
# Schemas and column docs: src/inforidge/tables/tidy.py and each analysis spec's tables;
# docs/results.md. Probe and read-out tables are derived from the analysis registries.


# Each run's key columns, resolved once (inforidge.tables.runrecord): n_layer is the depth the
# model loaded with, read from the run's first checkpoint. Every table job reads these records.
rule run_record:
    input:
        start=lambda w: first_checkpoint(w.run),
        code=script_code("run_record.py"),
    output:
        f"{RESULTS}/runs/{{run}}/run.json",
    log:
        "logs/tables/runs/{run}.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        run=lambda w: run_params(w.run),
    script:
        "../scripts/run_record.py"


rule table_mi:
    input:
        parts=mi_outputs(),
        runs=run_records(),
        code=script_code("table_mi.py"),
    output:
        table_path("mi"),
    log:
        "logs/tables/mi.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        table="mi",
    script:
        "../scripts/table_mi.py"


rule table_training:
    input:
        checkpoints=checkpoint_outputs(),
        runs=run_records(),
        code=script_code("table_training.py"),
    output:
        table_path("training"),
    log:
        "logs/tables/training.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/table_training.py"


rule table_runs:
    input:
        runs=run_records(),
        code=script_code("table_runs.py"),
    output:
        table_path("runs"),
    log:
        "logs/tables/runs.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        runs=all_run_params(),
        tasks=lambda w: {name: as_dict(task) for name, task in CFG.tasks.items()},
    script:
        "../scripts/table_runs.py"


# One rule per registered probe or read-out table (table_residual_scaling, table_linear_probe, ...).
for _spec, _stem, _table in analysis_tables():

    rule:
        name:
            f"table_{_table}"
        input:
            parts=analysis_outputs(_spec, _stem),
            runs=run_records(),
            code=script_code("table_analysis.py"),
        output:
            table_path(_table),
        log:
            f"logs/tables/{_table}.log",
        localrule: True
        conda:
            "../../envs/report.yaml"
        params:
            table=_table,
        script:
            "../scripts/table_analysis.py"


# The ridge statistic and paired layer differences, derived from the mi table.
rule table_ridge:
    input:
        mi=rules.table_mi.output[0],
        code=script_code("table_ridge.py"),
    output:
        ridge=table_path("ridge"),
        mi_paired=table_path("mi_paired"),
    log:
        "logs/tables/ridge.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/table_ridge.py"


# Every read-out's layer curves side by side with the ridge test: the report's first section.
rule table_verdict:
    input:
        tables=verdict_sources(),
        code=script_code("table_verdict.py"),
    output:
        table_path("verdict"),
    log:
        "logs/tables/verdict.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        tables=verdict_source_names(),
    script:
        "../scripts/table_verdict.py"
