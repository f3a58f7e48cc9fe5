"""Aggregate per-job MI frames into results/tables/mi.parquet."""

from inforidge.jobs import job
from inforidge.tables import mi_table, with_loaded_depths, write_table

with job(snakemake) as log:
    frame = mi_table(snakemake.input.parts, with_loaded_depths(snakemake.params.runs, snakemake.input.start))
    write_table(frame, snakemake.output[0], "mi")
    log.info("mi table: %d rows", len(frame))
