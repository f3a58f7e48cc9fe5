"""Estimate I(Z_l; Y) for every site and layer of each split's dump of one checkpoint (multi-token: per decoding step t too)."""

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
    # One output per split's dump, in the same order.
    for manifest, out in zip(snakemake.input.manifests, snakemake.output, strict=True):
        frame = estimate_dump(manifest, settings, device=params.device, multitoken=steps)
        # The rows' keys are the dump's provenance (run, step, split, data_split; multi-token: probe_task, horizon).
        keys = dump_keys(manifest)
        for position, (key, value) in enumerate(keys.items()):
            frame.insert(position, key, value)
        write_parquet(frame, out)
        log.info("wrote %d rows to %s (%s)", len(frame), out, keys)
