"""Estimate I(Z_l; Y) for every site and layer of one activation dump (multi-token: per decoding step t too)."""

from inforidge.activations import dump_keys
from inforidge.config import MIConfig
from inforidge.core.atomic import write_parquet
from inforidge.core.configschema import build
from inforidge.mi.stage import DecodeSteps, estimate_dump
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    params = snakemake.params
    settings = build(MIConfig, params.mi, "mi")
    steps = None if params.multitoken is None else DecodeSteps(**params.multitoken)
    frame = estimate_dump(snakemake.input.manifest, settings, device=params.device, multitoken=steps)
    # The rows' keys are the dump's provenance (run, step, split, data_split; multi-token: probe_task, horizon).
    keys = dump_keys(snakemake.input.manifest)
    for position, (key, value) in enumerate(keys.items()):
        frame.insert(position, key, value)
    write_parquet(frame, snakemake.output[0])
    log.info("wrote %d rows to %s (%s)", len(frame), snakemake.output[0], keys)
