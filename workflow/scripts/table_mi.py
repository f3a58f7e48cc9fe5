"""Aggregate per-job MI frames into results/tables/mi.parquet (or multitoken.parquet: params.table)."""

from inforidge.jobs import job
from inforidge.tables import loaded_runs, mi_table, write_table

with job(snakemake) as log:
    name = snakemake.params.table
    frame = mi_table(snakemake.input.parts, loaded_runs(snakemake.params.runs, snakemake.input.start), name)
    write_table(frame, snakemake.output[0], name)
    log.info("%s table: %d rows", name, len(frame))
