"""Collect per-checkpoint metrics into results/tables/training.parquet."""

from pathlib import Path

from inforidge.tables.runrecord import read_run_records
from inforidge.tables.tidy import training_table, write_table
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    checkpoints = list(snakemake.input.checkpoints)
    run_names = [Path(c).parent.parent.name for c in checkpoints]  # results/runs/{run}/checkpoints/step-k
    frame = training_table(checkpoints, run_names, read_run_records(snakemake.input.runs))
    write_table(frame, snakemake.output[0], "training")
    log.info("training table: %d rows", len(frame))
