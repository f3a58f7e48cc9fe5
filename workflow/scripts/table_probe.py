"""Aggregate per-job probe frames into one probe table (params.table)."""

from inforidge.config import runs_from_params
from inforidge.jobs import job
from inforidge.tables import probe_table, write_table

with job(snakemake) as log:
    name = snakemake.params.table
    frame = probe_table(name, snakemake.input.parts, runs_from_params(snakemake.params.runs))
    write_table(frame, snakemake.output[0], name)
    log.info("%s table: %d rows", name, len(frame))
