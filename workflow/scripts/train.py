"""Write checkpoint {step} of a run: the initial model (step 0) or one training segment."""

from pathlib import Path

import pandas as pd

from inforidge.config import RunConfig
from inforidge.configschema import build
from inforidge.jobs import job
from inforidge.tasks import word_vocabulary
from inforidge.training import SegmentData, initialize_run, train_segment

with job(snakemake) as log:
    params, inputs = snakemake.params, snakemake.input
    run = build(RunConfig, params.run, f"runs.{snakemake.wildcards.run}")
    frames = {split: pd.read_parquet(inputs[split]) for split in params.splits}
    data = SegmentData(frames[params.train_split], {role: frames[s] for role, s in params.eval_splits.items()})
    out = Path(snakemake.output[0])
    step = int(snakemake.wildcards.step)
    if "previous" in inputs.keys():
        train_segment(run, data, Path(inputs.previous), out, stop=step, device=params.device)
    else:
        initialize_run(run, word_vocabulary(list(frames.values())), data, out, device=params.device)
    log.info("wrote checkpoint %s", out)
