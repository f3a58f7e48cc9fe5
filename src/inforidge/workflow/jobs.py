"""Glue for workflow scripts: logging into the rule's log file, clean user errors.

Every ``workflow/scripts/*.py`` runs its body inside ``job(snakemake)``: logging,
warnings and tqdm progress go to the rule's ``log:`` file, and a user error (bad
config, missing or corrupted file, NaN activations) ends the job with one line naming
the problem instead of a traceback. The job's threads follow ``inforidge.core.threads``: one
for small models, never more than the rule declares. This module imports no torch, so
table and figure jobs that need none start fast (docs/performance.md).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from inforidge.core.configschema import ConfigError
from inforidge.core.hub import REASON_ENV
from inforidge.core.threads import apply_threads, choose_threads, job_width

USER_ERRORS = (ConfigError, ValueError, FileNotFoundError)
HUB_ENV = ("HF_HOME", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", REASON_ENV)


@contextmanager
def job(smk: Any) -> Iterator[logging.Logger]:
    """Route output of a Snakemake script job to its log file and report errors cleanly."""
    log_path = smk.log[0]
    with open(log_path, "w", buffering=1) as log_file:
        sys.stderr = log_file  # tqdm and warnings write to stderr
        logging.basicConfig(
            stream=log_file, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True
        )
        logger = logging.getLogger(f"inforidge.{smk.rule}")
        logger.info("rule %s wildcards %s", smk.rule, dict(smk.wildcards))
        threads = choose_threads(max(1, smk.threads), job_width(smk.input, smk.params))
        apply_threads(threads)
        logger.info("threads: %d (declared %d)", threads, smk.threads)
        # Where models come from (inforidge.workflow.fetch.job_environment sets these in cluster jobs).
        logger.info("hub environment %s", {k: os.environ.get(k) for k in HUB_ENV})
        try:
            yield logger
        except USER_ERRORS as err:
            logger.error("%s", err)
            sys.stderr = sys.__stderr__
            print(f"inforidge error in rule {smk.rule} ({log_path}): {err}", file=sys.stderr)
            raise SystemExit(1) from None
        except Exception as err:
            # The reason on the ERROR line itself: the end-of-run summary shows that line.
            lines = str(err).strip().splitlines()
            logger.exception("unexpected failure: %s: %s", type(err).__name__, lines[0] if lines else "")
            raise
        except BaseException:
            logger.exception("unexpected failure")
            raise
        finally:
            sys.stderr = sys.__stderr__
