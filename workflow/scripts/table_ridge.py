"""Derive the ridge and mi_paired tables from the mi table."""

from inforidge import results
from inforidge.tables.ridge import paired_table, ridge_table
from inforidge.tables.tidy import write_table
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    mi = results.read_table(snakemake.input.mi, "mi")
    for name, build in (("ridge", ridge_table), ("mi_paired", paired_table)):
        frame = build(mi)
        write_table(frame, snakemake.output[name], name)
        log.info("%s table: %d rows", name, len(frame))
