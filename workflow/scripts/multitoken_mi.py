"""Estimate I(Z_l^(t); Y^(t)) per site, layer and step t, and the sequence-kernel MI, for one dump."""

from inforidge.atomic import write_parquet
from inforidge.config import MIConfig
from inforidge.configschema import build
from inforidge.jobs import job
from inforidge.multitoken import estimate_multitoken_dump

with job(snakemake) as log:
    params = snakemake.params
    settings = build(MIConfig, params.mi, "mi")
    frame = estimate_multitoken_dump(snakemake.input.manifest, settings, horizon=params.horizon,
                                     permutations=params.permutations, sequence_kernel=params.sequence_kernel,
                                     device=params.device)
    for key, value in params.table_keys.items():
        frame.insert(0, key, value)
    write_parquet(frame, snakemake.output[0])
    log.info("wrote %d rows to %s", len(frame), snakemake.output[0])
