"""Dump the hidden states of one checkpoint on every eval split (one model load), then the index."""

from pathlib import Path

import pandas as pd

from inforidge.activations import dump_checkpoint
from inforidge.config import ActivationsConfig
from inforidge.configschema import build
from inforidge.jobs import job

with job(snakemake) as log:
    acts = build(ActivationsConfig, snakemake.params.activations, "activations")
    w = snakemake.wildcards
    frames = {split: pd.read_parquet(path) for split, path in zip(snakemake.params.splits, snakemake.input.examples)}
    index = dump_checkpoint(
        Path(snakemake.input.checkpoint), frames, Path(snakemake.output[0]).parent,
        sites=acts.sites, target_mode=acts.target, dtype=acts.dtype, batch_size=acts.batch_size,
        shard_mb=acts.shard_mb, max_examples=acts.max_examples, device=snakemake.params.device,
        provenance={"run": w.run, "step": int(w.step)},
    )
    log.info("wrote %s", index)
