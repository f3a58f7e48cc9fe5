"""Write one task split as Parquet."""

from inforidge.config import TaskConfig
from inforidge.core.atomic import write_parquet
from inforidge.core.configschema import build
from inforidge.tasks import build_task
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    task = build_task(build(TaskConfig, snakemake.params.task, f"tasks.{snakemake.wildcards.task}"))
    frame = task.build_split(snakemake.wildcards.split)
    write_parquet(frame, snakemake.output[0])
    log.info("wrote %d examples to %s", len(frame), snakemake.output[0])
