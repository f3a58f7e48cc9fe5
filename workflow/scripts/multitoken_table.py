"""Aggregate per-job multi-token frames into results/tables/multitoken.parquet."""

from inforidge.jobs import job
from inforidge.multitoken import multitoken_table
from inforidge.tables import loaded_runs, write_table

with job(snakemake) as log:
    frame = multitoken_table(snakemake.input.parts, loaded_runs(snakemake.params.runs, snakemake.input.start))
    write_table(frame, snakemake.output[0], "multitoken")
    log.info("multitoken table: %d rows", len(frame))
