"""One row per configured run: results/tables/runs.parquet."""

from inforidge.jobs import job
from inforidge.tables import runs_table, with_loaded_depths, write_table

with job(snakemake) as log:
    frame = runs_table(with_loaded_depths(snakemake.params.runs, snakemake.input.start), snakemake.params.tasks)
    write_table(frame, snakemake.output[0], "runs")
    log.info("runs table: %d rows", len(frame))
