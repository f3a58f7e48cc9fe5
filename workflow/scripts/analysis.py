"""Run the registered probes or read-outs that params.analyses names (their rule names), in order, on
one job's input.

A probe (input ``checkpoint``) reloads the checkpoint and returns one frame per declared output
stem; its rows get the job's run and step. A read-out (input ``activations``) reads an activation
dump and returns its one table's frame; its rows get the dump's provenance from the manifest
(run, step, split, data_split), as the MI job's do. One Parquet file per declared output stem.
Several analyses share a job only when they share its input (inforidge.analyses.registry.analysis_jobs).
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


def run_analysis(spec, inputs, params, w, frames: ProbeFrames | None) -> tuple[dict[str, pd.DataFrame], dict]:
    """One analysis's frames by output stem, and the key columns its rows get (``frames``: a probe's task splits)."""
    settings = build(spec.settings, params.settings[spec.rule], f"{spec.section}.{spec.name}")
    run_job = resolve(spec.job)
    if spec.input == "checkpoint":
        return run_job(Path(inputs.checkpoint), frames, settings, params.device), {"run": w.run, "step": int(w.step)}
    (stem,) = spec.tables
    # The keys by reference: a probe's code stays free of the store's.
    return {stem: run_job(Path(inputs.manifest), settings)}, resolve(DUMP_KEYS)(inputs.manifest)


with job(snakemake) as log:
    inputs = snakemake.input
    # Read once per job: the probes sharing it read the same splits (and treat them as read-only).
    probe_job = "checkpoint" in inputs.keys()
    frames = ProbeFrames(split_frames(inputs, "eval_"), split_frames(inputs, "fit_")) if probe_job else None
    for rule in snakemake.params.analyses:
        spec = analysis_spec(rule)
        outputs, keys = run_analysis(spec, inputs, snakemake.params, snakemake.wildcards, frames)
        for stem, frame in outputs.items():
            for position, (key, value) in enumerate(keys.items()):
                frame.insert(position, key, value)
            write_parquet(frame, snakemake.output[stem])
            log.info("%s %s: %d rows", spec.rule, stem, len(frame))
