# Training as a chain of segments: checkpoint k is trained from checkpoint k-1. A series run's
# step jobs instead point at its external checkpoints (independent of each other; docs/training.md).


rule train:
    input:
        unpack(train_inputs),
        code=script_code("train.py"),
    output:
        directory(checkpoint_dir("{run}", "{step}")),
    log:
        f"logs/train/{{run}}/step-{{step}}.log",
    benchmark:
        f"benchmarks/results/train/{{run}}/step-{{step}}.tsv"
    # Segments are the critical path: ahead of the analysis jobs of earlier checkpoints.
    priority: 10
    group:
        train_group
    conda:
        "../../envs/train.yaml"
    threads: stage_threads("train")
    resources:
        **stage_resources("train"),
    params:
        run=lambda w: run_params(w.run),
        device=CFG.device,
        eval_splits=lambda w: task_of(w.run).eval_splits,
        train_split=lambda w: task_of(w.run).train_split,
        splits=lambda w: task_of(w.run).split_names(),
        source=lambda w: series_source(w.run, w.step),
    script:
        "../scripts/train.py"
