"""Aggregate per-job multi-token frames into results/tables/multitoken.parquet."""

from inforidge.config import runs_from_params
from inforidge.jobs import job
from inforidge.multitoken import multitoken_table
from inforidge.tables import write_table

with job(snakemake) as log:
    frame = multitoken_table(snakemake.input.parts, runs_from_params(snakemake.params.runs))
    write_table(frame, snakemake.output[0], "multitoken")
    log.info("multitoken table: %d rows", len(frame))
