"""Estimate I(Z_l; Y) for every site and layer of one activation dump (one split of a checkpoint)."""

from inforidge.activations import split_manifest
from inforidge.atomic import write_parquet
from inforidge.config import MIConfig
from inforidge.configschema import build
from inforidge.jobs import job
from inforidge.mi.stage import estimate_dump

with job(snakemake) as log:
    settings = build(MIConfig, snakemake.params.mi, "mi")
    frame = estimate_dump(split_manifest(snakemake.input.activations, snakemake.wildcards.split), settings, device=snakemake.params.device)
    for key, value in snakemake.params.table_keys.items():
        frame.insert(0, key, value)
    write_parquet(frame, snakemake.output[0])
    log.info("wrote %d rows to %s", len(frame), snakemake.output[0])
