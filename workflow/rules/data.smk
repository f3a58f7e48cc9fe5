# Task splits as Parquet, deterministic from the task config and its seed.


rule data:
    input:
        unpack(data_inputs),
    output:
        data_path("{task}", "{split}"),
    log:
        f"logs/data/{{task}}/{{split}}.log",
    localrule: True
    conda:
        "../../envs/data.yaml"
    params:
        task=lambda w: as_dict(CFG.tasks[w.task]),
    script:
        "../scripts/data.py"
