"""Aggregate per-job MI frames into results/tables/mi.parquet."""

from inforidge.config import runs_from_params
from inforidge.jobs import job
from inforidge.tables import mi_table, write_table

with job(snakemake) as log:
    frame = mi_table(snakemake.input.parts, runs_from_params(snakemake.params.runs))
    write_table(frame, snakemake.output[0], "mi")
    log.info("mi table: %d rows", len(frame))
