"""Aggregate per-job read-out frames into one read-out table (params.table)."""

from inforidge.jobs import job
from inforidge.tables import loaded_runs, readout_table, write_table

with job(snakemake) as log:
    name = snakemake.params.table
    frame = readout_table(name, snakemake.input.parts, loaded_runs(snakemake.params.runs, snakemake.input.start))
    write_table(frame, snakemake.output[0], name)
    log.info("%s table: %d rows", name, len(frame))
