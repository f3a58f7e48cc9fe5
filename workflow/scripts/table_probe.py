"""Aggregate per-job probe frames into one probe table (params.table)."""

from inforidge.jobs import job
from inforidge.tables import probe_table, with_loaded_depths, write_table

with job(snakemake) as log:
    name = snakemake.params.table
    frame = probe_table(name, snakemake.input.parts, with_loaded_depths(snakemake.params.runs, snakemake.input.start))
    write_table(frame, snakemake.output[0], name)
    log.info("%s table: %d rows", name, len(frame))
