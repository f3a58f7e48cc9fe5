# Training as a chain of segments: checkpoint k is trained from checkpoint k-1.


def train_inputs(w):
    """The previous checkpoint (none for step 0) and the run's task splits."""
    task = run_cfg(w.run).task
    inputs = {split: data_path(task, split) for split in task_of(w.run).split_names()}
    prev = previous_step(steps_of(w.run), int(w.step))
    if prev is not None:
        inputs["previous"] = checkpoint_dir(w.run, prev)
    return inputs


rule train:
    output:
        directory(f"{RESULTS}/runs/{{run}}/checkpoints/step-{{step}}"),
    input:
        unpack(train_inputs),
        code=package_files("training.py", "modeling.py", "batching.py", "tokenization.py", "schedule.py", "evaluation.py"),
    params:
        run=lambda w: run_params(w.run),
        device=CFG.device,
        eval_splits=lambda w: task_of(w.run).eval_splits,
        train_split=lambda w: task_of(w.run).train_split,
        splits=lambda w: task_of(w.run).split_names(),
    log:
        f"logs/train/{{run}}/step-{{step}}.log",
    benchmark:
        f"benchmarks/results/train/{{run}}/step-{{step}}.tsv"
    threads: stage_threads("train")
    resources:
        **stage_resources("train"),
    script:
        "../scripts/train.py"
