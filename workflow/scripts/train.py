"""Write checkpoint {step} of a run: the initial model (step 0), one training segment, or a
pointer to step {step} of an external checkpoint series (``model.source: series``).

FSDP runs launch the segment on every GPU with ``accelerate launch``; this process owns
the temporary output directory, so a killed job still leaves nothing that looks done.
"""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from inforidge.config import RunConfig
from inforidge.core.configschema import build
from inforidge.core.hub import require_cached
from inforidge.workflow.jobs import job


def read_data(params, inputs) -> "tuple[dict[str, pd.DataFrame], SegmentData]":
    """The task's splits by name, and the training/eval frames a segment needs."""
    frames = {split: pd.read_parquet(inputs[split]) for split in params.splits}
    return frames, SegmentData(frames[params.train_split], {role: frames[s] for role, s in params.eval_splits.items()})


with job(snakemake) as log:
    params, inputs, name = snakemake.params, snakemake.input, snakemake.wildcards.run
    run = build(RunConfig, params.run, f"runs.{name}")
    out = Path(snakemake.output[0])
    step = int(snakemake.wildcards.step)
    # Before torch and transformers load (seconds): offline, a hub model missing from the cache
    # fails this job at once (inforidge.core.hub).
    if run.model.source == "series":
        require_cached(params.source["path"], params.source["revision"])
    elif run.model.source == "pretrained" and "previous" not in inputs.keys():
        require_cached(run.model.name_or_path, run.model.revision)
    from inforidge.core.atomic import atomic_directory
    from inforidge.models.training import (
        SegmentData,
        fsdp_launch_command,
        initialize_run,
        train_segment,
        write_series_checkpoint,
    )
    from inforidge.tasks import word_vocabulary

    if run.model.source == "series":
        frames, data = read_data(params, inputs)
        write_series_checkpoint(run, params.source, step, data, out, device=params.device)
    elif "previous" not in inputs.keys():
        frames, data = read_data(params, inputs)
        start = Path(inputs.start) if "start" in inputs.keys() else None
        initialize_run(run, word_vocabulary(list(frames.values())), data, out, device=params.device, start=start)
    elif run.training.distributed == "fsdp":
        with atomic_directory(out) as tmp:
            args = {"run": params.run, "name": name, "splits": {s: inputs[s] for s in params.splits},
                    "train_split": params.train_split, "eval_splits": dict(params.eval_splits),
                    "previous": inputs.previous, "out": str(tmp), "stop": step}
            args_file = tmp / "launch_args.json"
            args_file.write_text(json.dumps(args, indent=2))
            command = fsdp_launch_command(run, args_file)
            log.info("launching %s", " ".join(command))
            subprocess.run(command, check=True, stdout=sys.stderr, stderr=sys.stderr)
            args_file.unlink()
    else:
        frames, data = read_data(params, inputs)
        base = Path(inputs.base) if "base" in inputs.keys() else None
        train_segment(run, data, Path(inputs.previous), out, stop=step, device=params.device, base_dir=base)
    log.info("wrote checkpoint %s", out)
