"""One row per configured run: results/tables/runs.parquet."""

from inforidge.config import TaskConfig
from inforidge.configschema import convert
from inforidge.jobs import job
from inforidge.tables import loaded_runs, runs_table, write_table

with job(snakemake) as log:
    runs = loaded_runs(snakemake.params.runs, snakemake.input.start)
    frame = runs_table(runs, convert(dict[str, TaskConfig], snakemake.params.tasks, "tasks"))
    write_table(frame, snakemake.output[0], "runs")
    log.info("runs table: %d rows", len(frame))
