"""Write checkpoint {step} of a run: the initial model (step 0) or one training segment.

FSDP runs launch the segment on every GPU with ``accelerate launch``; this process owns
the temporary output directory, so a killed job still leaves nothing that looks done.
"""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from inforidge.atomic import atomic_directory
from inforidge.config import RunConfig
from inforidge.configschema import build
from inforidge.jobs import job
from inforidge.tasks import word_vocabulary
from inforidge.training import SegmentData, fsdp_launch_command, initialize_run, train_segment

with job(snakemake) as log:
    params, inputs, name = snakemake.params, snakemake.input, snakemake.wildcards.run
    run = build(RunConfig, params.run, f"runs.{name}")
    out = Path(snakemake.output[0])
    step = int(snakemake.wildcards.step)
    if "previous" not in inputs.keys():
        frames = {split: pd.read_parquet(inputs[split]) for split in params.splits}
        data = SegmentData(frames[params.train_split], {role: frames[s] for role, s in params.eval_splits.items()})
        initialize_run(run, word_vocabulary(list(frames.values())), data, out, device=params.device)
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
        frames = {split: pd.read_parquet(inputs[split]) for split in params.splits}
        data = SegmentData(frames[params.train_split], {role: frames[s] for role, s in params.eval_splits.items()})
        base = Path(inputs.base) if "base" in inputs.keys() else None
        train_segment(run, data, Path(inputs.previous), out, stop=step, device=params.device, base_dir=base)
    log.info("wrote checkpoint %s", out)
