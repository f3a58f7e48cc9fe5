"""Write one task split as Parquet."""

from inforidge.atomic import write_parquet
from inforidge.config import TaskConfig
from inforidge.configschema import build
from inforidge.jobs import job
from inforidge.tasks import build_task

with job(snakemake) as log:
    task = build_task(build(TaskConfig, snakemake.params.task, f"tasks.{snakemake.wildcards.task}"))
    frame = task.build_split(snakemake.wildcards.split)
    write_parquet(frame, snakemake.output[0])
    log.info("wrote %d examples to %s", len(frame), snakemake.output[0])
