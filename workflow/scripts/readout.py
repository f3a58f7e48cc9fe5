"""Run one registered read-out (params.readout) on one activation dump; one Parquet file."""

from pathlib import Path

from inforidge.core.atomic import write_parquet
from inforidge.core.configschema import build
from inforidge.core.registry import resolve
from inforidge.readouts.registry import READOUTS
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    spec = READOUTS[snakemake.params.readout]
    settings = build(spec.settings, snakemake.params.settings, f"readouts.{spec.name}")
    frame = resolve(spec.job)(Path(snakemake.input.manifest), settings)
    for key, value in snakemake.params.table_keys.items():
        frame.insert(0, key, value)
    write_parquet(frame, snakemake.output[0])
    log.info("%s: wrote %d rows to %s", spec.name, len(frame), snakemake.output[0])
