"""One row per configured run: results/tables/runs.parquet."""

from inforidge.config import TaskConfig, runs_from_params
from inforidge.core.configschema import convert
from inforidge.tables.runrecord import read_run_records
from inforidge.tables.tidy import runs_table, write_table
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    runs = runs_from_params(dict(snakemake.params.runs))
    tasks = convert(dict[str, TaskConfig], snakemake.params.tasks, "tasks")
    frame = runs_table(runs, tasks, read_run_records(snakemake.input.runs))
    write_table(frame, snakemake.output[0], "runs")
    log.info("runs table: %d rows", len(frame))
