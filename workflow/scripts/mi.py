"""Estimate I(Z_l; Y) for every site and layer of one activation dump."""

from inforidge.atomic import write_parquet
from inforidge.jobs import job
from inforidge.mi.stage import as_mi_config, estimate_dump

with job(snakemake) as log:
    frame = estimate_dump(snakemake.input.manifest, as_mi_config(snakemake.params.mi), device=snakemake.params.device)
    for key, value in snakemake.params.table_keys.items():
        frame.insert(0, key, value)
    write_parquet(frame, snakemake.output[0])
    log.info("wrote %d rows to %s", len(frame), snakemake.output[0])
