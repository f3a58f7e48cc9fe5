"""Compare the weight hashes of a series run's steps: identical steps stop the run, naming them
(unless model.series.allow_duplicates); the record lists each step's hash and what it repeats."""

import json
from pathlib import Path

from inforidge.core.atomic import temp_sibling
from inforidge.models.checkpoint_files import read_weights
from inforidge.workflow.jobs import job
from inforidge.workflow.series import check_duplicates

with job(snakemake) as log:
    run, out = snakemake.wildcards.run, Path(snakemake.output[0])
    hashes = {}
    for checkpoint in map(Path, snakemake.input.checkpoints):
        weights = read_weights(checkpoint)
        if weights is None:
            raise FileNotFoundError(f"{checkpoint} has no weights.json (written by its series step job): rerun it")
        hashes[int(checkpoint.name.removeprefix("step-"))] = weights["sha256"]
    repeats = check_duplicates(run, hashes, snakemake.params.allowed)
    for step, first in repeats.items():
        log.warning("step %d has the weights of step %d (allowed: flagged in the tables)", step, first)
    record = {str(step): {"sha256": digest, "duplicate_of": repeats.get(step)}
              for step, digest in sorted(hashes.items())}
    tmp = temp_sibling(out)
    tmp.write_text(json.dumps(record, indent=2))
    tmp.replace(out)
    log.info("%d steps, %d duplicated", len(hashes), len(repeats))
