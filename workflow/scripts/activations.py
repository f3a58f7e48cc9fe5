"""Dump the hidden states of one checkpoint on each of a run's splits (multi-token: for decoding steps t = 1..T)."""

from pathlib import Path

import pandas as pd

from inforidge.activations import SplitDump, dump_splits
from inforidge.config import ActivationsConfig
from inforidge.core.configschema import build
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    acts = build(ActivationsConfig, snakemake.params.activations, "activations")
    # The multi-token rules (multitoken.smk) are this rule with params.multitoken: {horizon, max_examples}.
    multitoken = snakemake.params.multitoken
    # params.provenance: each split's key columns (run, step, split role, data_split; multi-token: probe_task,
    # horizon), in the order of the outputs (one manifest per split). The MI and read-out jobs take their rows'
    # keys from the manifest (activations.dump_keys).
    splits = [SplitDump(pd.read_parquet(snakemake.input[f"examples_{name}"]), Path(manifest).parent, dict(keys))
              for (name, keys), manifest in zip(snakemake.params.provenance.items(), snakemake.output, strict=True)]
    dump_splits(
        Path(snakemake.input.checkpoint), splits,
        sites=acts.sites, target_mode=acts.target, dtype=acts.dtype, batch_size=acts.batch_size,
        shard_mb=acts.shard_mb, device=snakemake.params.device,
        max_examples=acts.max_examples if multitoken is None else multitoken["max_examples"],
        decode_steps=1 if multitoken is None else multitoken["horizon"],
    )
    for split in splits:
        log.info("wrote %s (%s)", split.out_dir, split.provenance)
