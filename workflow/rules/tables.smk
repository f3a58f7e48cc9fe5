# Tidy long-format tables, one per observational unit (results/tables/*.parquet).


rule table_mi:
    output:
        f"{RESULTS}/tables/mi.parquet",
    input:
        parts=mi_outputs(),
        code=package_files("tables.py"),
    params:
        runs=all_run_params(),
    log:
        "logs/tables/mi.log",
    localrule: True
    script:
        "../scripts/table_mi.py"


rule table_training:
    output:
        f"{RESULTS}/tables/training.parquet",
    input:
        checkpoints=checkpoint_outputs(),
        code=package_files("tables.py"),
    params:
        runs=all_run_params(),
    log:
        "logs/tables/training.log",
    localrule: True
    script:
        "../scripts/table_training.py"


rule table_runs:
    output:
        f"{RESULTS}/tables/runs.parquet",
    input:
        code=package_files("tables.py"),
    params:
        runs=all_run_params(),
        tasks=lambda w: {name: as_dict(task) for name, task in CFG.tasks.items()},
    log:
        "logs/tables/runs.log",
    localrule: True
    script:
        "../scripts/table_runs.py"
