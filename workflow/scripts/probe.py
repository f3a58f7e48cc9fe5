"""Run one registered probe (params.probe) on one checkpoint; one Parquet file per declared output."""

from pathlib import Path

import pandas as pd

from inforidge.core.atomic import write_parquet
from inforidge.core.configschema import build
from inforidge.core.registry import resolve
from inforidge.probes.registry import PROBES, ProbeFrames
from inforidge.workflow.jobs import job

with job(snakemake) as log:
    inputs, params, w = snakemake.input, snakemake.params, snakemake.wildcards
    spec = PROBES[params.probe]
    settings = build(spec.settings, params.settings, f"probes.{spec.name}")

    def frames(prefix):
        return {k.removeprefix(prefix): pd.read_parquet(inputs[k]) for k in inputs.keys() if k.startswith(prefix)}

    outputs = resolve(spec.job)(Path(inputs.checkpoint), ProbeFrames(frames("eval_"), frames("fit_")), settings,
                                params.device)
    for stem, frame in outputs.items():
        frame.insert(0, "step", int(w.step))
        frame.insert(0, "run", w.run)
        write_parquet(frame, snakemake.output[stem])
        log.info("%s: %d rows", stem, len(frame))
