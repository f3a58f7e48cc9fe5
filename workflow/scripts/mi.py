"""Estimate I(Z_l; Y) for every site and layer of one activation dump (one split of a checkpoint;
multi-token: per decoding step t too)."""

from inforidge.activations import split_manifest
from inforidge.atomic import write_parquet
from inforidge.config import MIConfig
from inforidge.configschema import build
from inforidge.jobs import job
from inforidge.mi.stage import DecodeSteps, estimate_dump

with job(snakemake) as log:
    params = snakemake.params
    settings = build(MIConfig, params.mi, "mi")
    steps = None if params.multitoken is None else DecodeSteps(**params.multitoken)
    manifest = split_manifest(snakemake.input.activations, snakemake.wildcards.split)
    frame = estimate_dump(manifest, settings, device=params.device, multitoken=steps)
    for key, value in params.table_keys.items():
        frame.insert(0, key, value)
    write_parquet(frame, snakemake.output[0])
    log.info("wrote %d rows to %s", len(frame), snakemake.output[0])
