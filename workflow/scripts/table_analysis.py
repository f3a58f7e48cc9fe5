"""Aggregate the per-job frames of a probe or read-out into one of its tables (params.table)."""

from inforidge.tables.runrecord import read_run_records
from inforidge.tables.tidy import analysis_table, write_table
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    name = snakemake.params.table
    frame = analysis_table(name, snakemake.input.parts, read_run_records(snakemake.input.runs))
    write_table(frame, snakemake.output[0], name)
    log.info("%s table: %d rows", name, len(frame))
