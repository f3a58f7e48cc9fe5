"""Early-exit or attention probe of one checkpoint on the eval splits."""

from pathlib import Path

import pandas as pd

from inforidge.atomic import write_parquet
from inforidge.jobs import job
from inforidge.probes.stage import readout_job

with job(snakemake) as log:
    inputs, w = snakemake.input, snakemake.wildcards
    frames = {name.removeprefix("eval_"): pd.read_parquet(inputs[name]) for name in inputs.keys() if name.startswith("eval_")}
    frame = readout_job(w.probe, Path(inputs.checkpoint), frames, snakemake.params.settings, snakemake.params.device)
    frame.insert(0, "step", int(w.step))
    frame.insert(0, "run", w.run)
    write_parquet(frame, snakemake.output[0])
    log.info("%s: %d rows", w.probe, len(frame))
