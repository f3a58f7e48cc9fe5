"""Write one run's record, results/runs/{run}/run.json: its key columns with the depth its model loaded with."""

from inforidge.config import runs_from_params
from inforidge.tables.runrecord import run_record, write_run_record
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    name = snakemake.wildcards.run
    run = runs_from_params({name: snakemake.params.run})[name]
    record = run_record(name, run, snakemake.input.start)
    write_run_record(record, snakemake.output[0])
    log.info("run record %s", record)
