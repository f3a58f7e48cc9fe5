"""Aggregate per-job MI frames into results/tables/mi.parquet (or multitoken.parquet: params.table)."""

from inforidge.tables.runrecord import read_run_records
from inforidge.tables.tidy import mi_table, write_table
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    name = snakemake.params.table
    frame = mi_table(snakemake.input.parts, read_run_records(snakemake.input.runs), name)
    write_table(frame, snakemake.output[0], name)
    log.info("%s table: %d rows", name, len(frame))
