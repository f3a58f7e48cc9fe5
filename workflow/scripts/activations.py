"""Dump the hidden states of one checkpoint on one split."""

from pathlib import Path

import pandas as pd

from inforidge.activations import dump_split
from inforidge.config import ActivationsConfig
from inforidge.configschema import build
from inforidge.jobs import job

with job(snakemake) as log:
    acts = build(ActivationsConfig, snakemake.params.activations, "activations")
    w = snakemake.wildcards
    out_dir = Path(snakemake.output[0]).parent
    dump_split(
        Path(snakemake.input.checkpoint), pd.read_parquet(snakemake.input.examples), out_dir,
        sites=acts.sites, target_mode=acts.target, dtype=acts.dtype, batch_size=acts.batch_size,
        shard_mb=acts.shard_mb, max_examples=acts.max_examples, device=snakemake.params.device,
        provenance={"run": w.run, "step": int(w.step), "split": w.split},
    )
    log.info("wrote %s", out_dir)
