# Task splits as Parquet, deterministic from the task config and its seed.


rule data:
    output:
        f"{RESULTS}/data/{{task}}/{{split}}.parquet",
    input:
        package_files("tasks"),
    params:
        task=lambda w: as_dict(CFG.tasks[w.task]),
    log:
        f"logs/data/{{task}}/{{split}}.log",
    localrule: True
    script:
        "../scripts/data.py"
