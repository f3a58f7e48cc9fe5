"""One row per configured run: results/tables/runs.parquet."""

from inforidge.config import TaskConfig
from inforidge.core.configschema import convert
from inforidge.tables.tidy import loaded_runs, runs_table, write_table
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    runs = loaded_runs(snakemake.params.runs, snakemake.input.start)
    frame = runs_table(runs, convert(dict[str, TaskConfig], snakemake.params.tasks, "tasks"))
    write_table(frame, snakemake.output[0], "runs")
    log.info("runs table: %d rows", len(frame))
