"""Run one registered probe or read-out (params.analysis: its rule name) on one job's input.

A probe (input ``checkpoint``) reloads the checkpoint and returns one frame per declared output
stem; its rows get the job's run and step. A read-out (input ``activations``) reads an activation
dump and returns its one table's frame; its rows get the dump's provenance from the manifest
(run, step, split, data_split), as the MI job's do. One Parquet file per declared output stem.
"""

from pathlib import Path

import pandas as pd

from inforidge.analyses.registry import analysis_spec
from inforidge.analyses.spec import DUMP_KEYS
from inforidge.core.atomic import write_parquet
from inforidge.core.configschema import build
from inforidge.core.registry import resolve
from inforidge.probes.registry import ProbeFrames
from inforidge.workflow.jobs import job


def split_frames(inputs, prefix: str) -> dict[str, pd.DataFrame]:
    """The task split frames of the inputs named ``<prefix><role>``, keyed by role (id / ood)."""
    return {k.removeprefix(prefix): pd.read_parquet(inputs[k]) for k in inputs.keys() if k.startswith(prefix)}


with job(snakemake) as log:
    inputs, params, w = snakemake.input, snakemake.params, snakemake.wildcards
    spec = analysis_spec(params.analysis)
    settings = build(spec.settings, params.settings, f"{spec.section}.{spec.name}")
    run_job = resolve(spec.job)
    if spec.input == "checkpoint":
        frames = ProbeFrames(split_frames(inputs, "eval_"), split_frames(inputs, "fit_"))
        outputs = run_job(Path(inputs.checkpoint), frames, settings, params.device)
        keys = {"run": w.run, "step": int(w.step)}
    else:
        (stem,) = spec.tables
        outputs = {stem: run_job(Path(inputs.manifest), settings)}
        keys = resolve(DUMP_KEYS)(inputs.manifest)  # by reference: a probe's code stays free of the store's
    for stem, frame in outputs.items():
        for position, (key, value) in enumerate(keys.items()):
            frame.insert(position, key, value)
        write_parquet(frame, snakemake.output[stem])
        log.info("%s %s: %d rows", spec.rule, stem, len(frame))
