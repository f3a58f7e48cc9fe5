# Training as a chain of segments: checkpoint k is trained from checkpoint k-1.


def train_inputs(w):
    """The previous checkpoint (none for step 0), step 0 for LoRA runs, and the task splits."""
    run = run_cfg(w.run)
    inputs = {split: data_path(run.task, split) for split in task_of(w.run).split_names()}
    prev = previous_step(steps_of(w.run), int(w.step))
    if prev is not None:
        inputs["previous"] = checkpoint_dir(w.run, prev)
        if run.training.lora is not None:
            # LoRA resumes from the unmerged base weights, which only step 0 holds.
            inputs["base"] = checkpoint_dir(w.run, 0)
    return inputs


rule train:
    output:
        directory(f"{RESULTS}/runs/{{run}}/checkpoints/step-{{step}}"),
    input:
        unpack(train_inputs),
        code=script_code("train.py"),
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
    group:
        train_group
    threads: stage_threads("train")
    resources:
        **stage_resources("train"),
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/train.py"
