"""Glue for workflow scripts: logging into the rule's log file, clean user errors.

Every ``workflow/scripts/*.py`` runs its body inside ``job(snakemake)``: logging,
warnings and tqdm progress go to the rule's ``log:`` file, and a user error (bad
config, missing or corrupted file, NaN activations) ends the job with one line naming
the problem instead of a traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from inforidge.configschema import ConfigError

USER_ERRORS = (ConfigError, ValueError, FileNotFoundError)


@contextmanager
def job(smk: Any) -> Iterator[logging.Logger]:
    """Route output of a Snakemake script job to its log file and report errors cleanly."""
    log_path = smk.log[0]
    with open(log_path, "w", buffering=1) as log_file:
        sys.stderr = log_file  # tqdm and warnings write to stderr
        logging.basicConfig(
            stream=log_file, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True
        )
        torch.set_num_threads(max(1, smk.threads))
        logger = logging.getLogger(f"inforidge.{smk.rule}")
        logger.info("rule %s wildcards %s", smk.rule, dict(smk.wildcards))
        try:
            yield logger
        except USER_ERRORS as err:
            logger.error("%s", err)
            sys.stderr = sys.__stderr__
            print(f"inforidge error in rule {smk.rule} ({log_path}): {err}", file=sys.stderr)
            raise SystemExit(1) from None
        except BaseException:
            logger.exception("unexpected failure")
            raise
        finally:
            sys.stderr = sys.__stderr__
