"""Aggregate per-job MI frames into results/tables/mi.parquet."""

from inforidge.jobs import job
from inforidge.tables import loaded_runs, mi_table, write_table

with job(snakemake) as log:
    frame = mi_table(snakemake.input.parts, loaded_runs(snakemake.params.runs, snakemake.input.start))
    write_table(frame, snakemake.output[0], "mi")
    log.info("mi table: %d rows", len(frame))
