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


# A series run's steps must be distinct checkpoints: this compares the weight hashes its step
# jobs recorded (weights.json) and stops the run, naming the steps, when two are identical
# (unless model.series.allow_duplicates). Every analysis of a series step waits for it.
rule series_weights:
    input:
        checkpoints=lambda w: [checkpoint_dir(w.run, step) for step in steps_of(w.run)],
        code=script_code("series_weights.py"),
    output:
        f"{RESULTS}/runs/{{run}}/series_weights.json",
    log:
        f"logs/train/{{run}}/series_weights.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        allowed=lambda w: run_cfg(w.run).model.series.allow_duplicates,
    script:
        "../scripts/series_weights.py"
