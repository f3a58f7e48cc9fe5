"""Build results/tables/capacity.parquet from the mi table."""

from inforidge import results
from inforidge.tables.capacity import capacity_table
from inforidge.tables.tidy import write_table
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    frame = capacity_table(results.read_table(snakemake.input.mi, "mi"))
    write_table(frame, snakemake.output[0], "capacity")
    log.info("capacity table: %d rows, depths %s", len(frame), sorted(frame["n_layer"].unique()))
