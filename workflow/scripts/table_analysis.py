"""Aggregate the per-job frames of a probe or read-out into one of its tables (params.table)."""

from inforidge.tables.tidy import analysis_table, loaded_runs, write_table
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    name = snakemake.params.table
    frame = analysis_table(name, snakemake.input.parts, loaded_runs(snakemake.params.runs, snakemake.input.start))
    write_table(frame, snakemake.output[0], name)
    log.info("%s table: %d rows", name, len(frame))
