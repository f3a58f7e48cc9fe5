# InfoRidge: layer-wise information analysis of transformer LMs.
# `snakemake --cores all` runs the embedded default (config.yaml); see README.md.

import os
import sys
from pathlib import Path

# The workflow and its jobs import `inforidge` from this checkout, even inside conda
# environments that lack it, so the package files declared as stage inputs are exactly
# the code that runs.
SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)
os.environ.update(
    PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))
)

from snakemake.utils import min_version

from inforidge.config import ConfigError, validate_config

# Rule syntax used here (localrule, name:, group: templates) and the report API need 8.20.
min_version("8.20")


# config.yaml is the default; `--configfile other.yaml` replaces it rather than being
# deep-merged into it (a merge would silently add the default's runs to every experiment).
# The path is the Snakefile's sibling, so `-d elsewhere` and any working directory work.
if not workflow.overwrite_configfiles:

    configfile: str(Path(workflow.basedir) / "config.yaml")


# Validate once, before any job is scheduled: one message naming the key, no traceback.
try:
    CFG = validate_config(config)
except ConfigError as err:
    raise WorkflowError(f"invalid config: {err}") from None


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/activations.smk"
include: "workflow/rules/mi.smk"
include: "workflow/rules/analyses.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/capacity.smk"
include: "workflow/rules/multitoken.smk"


rule all:
    default_target: True
    input:
        all_outputs(),


# A failed job does not hide the others: with --keep-going the grid finishes what it can, and
# this names every failed job's run, rule, log and error line (inforidge.workflow.failures).
onerror:
    from inforidge.workflow.failures import report

    print(
        report(
            log, configfiles=workflow.overwrite_configfiles or workflow.configfiles
        ),
        file=sys.stderr,
    )
