"""One row per configured run: results/tables/runs.parquet."""

from inforidge.config import TaskConfig, runs_from_params
from inforidge.configschema import convert
from inforidge.jobs import job
from inforidge.tables import runs_table, write_table

with job(snakemake) as log:
    runs = runs_from_params(snakemake.params.runs)
    frame = runs_table(runs, convert(dict[str, TaskConfig], snakemake.params.tasks, "tasks"))
    write_table(frame, snakemake.output[0], "runs")
    log.info("runs table: %d rows", len(frame))
