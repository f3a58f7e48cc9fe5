# Task splits as Parquet, deterministic from the task config and its seed.
from inforidge.tasks.sources import local_files


def data_inputs(w):
    """Task code, plus the task's local dataset files (edits to them rebuild the splits).

    Hub datasets are not inputs: nothing here touches the network while the DAG is built.
    """
    files = local_files(CFG.tasks[w.task].dataset) if CFG.tasks[w.task].dataset else None
    return {"code": script_code("data.py"), "dataset": [str(f) for f in files or []]}


rule data:
    output:
        data_path("{task}", "{split}"),
    input:
        unpack(data_inputs),
    params:
        task=lambda w: as_dict(CFG.tasks[w.task]),
    log:
        f"logs/data/{{task}}/{{split}}.log",
    localrule: True
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/data.py"
