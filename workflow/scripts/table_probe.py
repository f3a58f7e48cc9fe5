"""Aggregate per-job probe frames into one probe table (params.table)."""

from inforidge.jobs import job
from inforidge.tables import loaded_runs, probe_table, write_table

with job(snakemake) as log:
    name = snakemake.params.table
    frame = probe_table(name, snakemake.input.parts, loaded_runs(snakemake.params.runs, snakemake.input.start))
    write_table(frame, snakemake.output[0], name)
    log.info("%s table: %d rows", name, len(frame))
