"""Dump the hidden states of one checkpoint on one split (multi-token: for decoding steps t = 1..T)."""

from pathlib import Path

import pandas as pd

from inforidge.activations import dump_split
from inforidge.config import ActivationsConfig
from inforidge.core.configschema import build
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    acts = build(ActivationsConfig, snakemake.params.activations, "activations")
    # The multi-token rule (multitoken.smk) is this rule with params.multitoken: {horizon, max_examples}.
    multitoken = snakemake.params.multitoken
    out_dir = Path(snakemake.output[0]).parent
    # The dump's key columns (run, step, split role, data_split; multi-token: probe_task, horizon), recorded
    # in its manifest: the MI and read-out jobs take their rows' keys from there (activations.dump_keys).
    provenance = dict(snakemake.params.provenance)
    dump_split(
        Path(snakemake.input.checkpoint), pd.read_parquet(snakemake.input.examples), out_dir,
        sites=acts.sites, target_mode=acts.target, dtype=acts.dtype, batch_size=acts.batch_size,
        shard_mb=acts.shard_mb, device=snakemake.params.device,
        max_examples=acts.max_examples if multitoken is None else multitoken["max_examples"],
        decode_steps=1 if multitoken is None else multitoken["horizon"],
        provenance=provenance,
    )
    log.info("wrote %s (%s)", out_dir, provenance)
