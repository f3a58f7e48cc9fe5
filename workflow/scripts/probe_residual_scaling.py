"""Fit residual scales β on ID and on OOD data for one checkpoint."""

from pathlib import Path

import pandas as pd

from inforidge.atomic import write_parquet
from inforidge.jobs import job
from inforidge.probes.stage import residual_scaling_job

with job(snakemake) as log:
    inputs, w = snakemake.input, snakemake.wildcards
    frames = {name: pd.read_parquet(inputs[name]) for name in inputs.keys() if name.startswith(("eval_", "fit_"))}
    betas, accuracy = residual_scaling_job(
        Path(inputs.checkpoint),
        fit_frames={k.removeprefix("fit_"): v for k, v in frames.items() if k.startswith("fit_")},
        eval_frames={k.removeprefix("eval_"): v for k, v in frames.items() if k.startswith("eval_")},
        settings=snakemake.params.settings, device=snakemake.params.device,
    )
    for frame, out in ((betas, snakemake.output.betas), (accuracy, snakemake.output.accuracy)):
        frame.insert(0, "step", int(w.step))
        frame.insert(0, "run", w.run)
        write_parquet(frame, out)
    log.info("fitted β: %s", betas[betas.opt_step == betas.opt_step.max()].groupby(["fit_split", "layer"]).beta.mean().to_dict())
