"""Derive the verdict table from the read-out tables this config produces (params.tables: their names)."""

from inforidge import results
from inforidge.tables.tidy import write_table
from inforidge.tables.verdict import verdict_table
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    names = snakemake.params.tables
    tables = {name: results.read_table(path, name) for name, path in zip(names, snakemake.input.tables, strict=True)}
    frame = verdict_table(tables)
    write_table(frame, snakemake.output[0], "verdict")
    log.info("verdict table from %s: %d rows, verdicts %s", ", ".join(names), len(frame),
             frame.drop_duplicates(["run", "step", "split", "readout", "metric", "site", "setting"])["verdict"]
             .value_counts().to_dict())
