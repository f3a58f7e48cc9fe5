"""What failed in a workflow run, and why: one line per failed job.

Snakemake's ``onerror`` handler (Snakefile) calls :func:`report` with the run's main log.
With ``--keep-going`` the grid finishes every job that does not depend on a failed one;
this summary then names each failed job's run, rule, log file and the error line from
that log, so a user sees at the end of a long grid which runs broke and why without
opening every log. Jobs that failed because the hub could not be reached and the cache lacks
a model, tokenizer or dataset (``inforidge.core.hub``) are listed once more, per run, with the
``inforidge fetch`` command that fills the cache. Torch-free: it runs in the Snakemake process.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from inforidge.core.hub import MISSING

#: Snakemake's block for one failed job starts with this line; indented ``key: value`` lines follow.
_BLOCK = re.compile(r"^Error in rule (?P<rule>\S+?):\s*$")
_FIELD = re.compile(r"^\s+(?P<key>[\w-]+):\s*(?P<value>.*)$")
#: The error line a job log ends with: our job() logger's ERROR record, else an exception line.
_LOGGED = re.compile(r"\sERROR\s(?P<message>.+)$")
_EXCEPTION = re.compile(r"^[\w.]*(?:Error|Exception|Exit)\b.*")
#: Per-run outputs live under results/runs/{run}/; data under results/data/{task}/ (common.smk).
_RUN_OUTPUT = re.compile(r"results/runs/(?P<run>[^/\s,]+)/")
_TASK_OUTPUT = re.compile(r"results/data/(?P<task>[^/\s,]+)/")
#: What a hub-failure line (inforidge.core.hub.missing_line) says is missing: "model 'gpt2' at revision r".
_MISSING = re.compile(r"(?P<what>(?:model|tokenizer of model|dataset) '[^']+'(?: at revision \S+)?) " + MISSING)


@dataclass(frozen=True)
class FailedJob:
    """One failed job as Snakemake reported it."""

    rule: str
    output: str
    log: str | None
    jobid: str | None = None

    @property
    def run(self) -> str:
        """``run NAME``, ``task NAME`` (data jobs) or ``-`` (tables, figures), from the job's output path."""
        for pattern, kind in ((_RUN_OUTPUT, "run"), (_TASK_OUTPUT, "task")):
            match = pattern.search(self.output)
            if match:
                return f"{kind} {match[kind]}"
        return "-"


def failed_jobs(main_log: str) -> Iterator[FailedJob]:
    """Every ``Error in rule`` block of a Snakemake log text, in order, without repeats."""
    lines, seen = main_log.splitlines(), set()
    for i, line in enumerate(lines):
        match = _BLOCK.match(line)
        if not match:
            continue
        fields: dict[str, str] = {}
        for follow in lines[i + 1:]:
            field = _FIELD.match(follow)
            if not field:
                break
            fields[field["key"]] = field["value"].strip()
        job = FailedJob(match["rule"], fields.get("output", ""), _log_path(fields.get("log")), fields.get("jobid"))
        key = (job.rule, job.output, job.jobid)
        if key not in seen:
            seen.add(key)
            yield job


def _log_path(text: str | None) -> str | None:
    if not text:
        return None
    return text.split(" (check log file", 1)[0].split(",")[0].strip() or None


def error_line(log: Path) -> str:
    """The line of a job log that says why it failed (the last ERROR record or exception line)."""
    try:
        lines = [line.rstrip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return f"(no log at {log})"
    for pattern, group in ((_LOGGED, "message"), (_EXCEPTION, 0)):
        found = [m[group] for m in map(pattern.search, reversed(lines)) if m]
        if found:
            return found[0].strip()
    return lines[-1].strip() if lines else "(empty log)"


def summary(main_log: str, workdir: Path = Path(".")) -> list[str]:
    """One line per failed job: ``run``, ``rule``, log path and the error line from the log."""
    lines = []
    for job in failed_jobs(main_log):
        reason = error_line(workdir / job.log) if job.log else "(the rule has no log file)"
        lines.append(f"FAILED {job.run} | rule {job.rule} | log {job.log or '-'} | {reason}")
    return lines


def report(main_logs: Sequence[str | Path], workdir: Path = Path("."), configfiles: Sequence[str | Path] = ()) -> str:
    """The summary the Snakefile's ``onerror`` handler prints (empty when no log names a failed job).

    ``main_logs`` is Snakemake's ``log`` in the handler: the run's log file(s); ``configfiles``
    the workflow's config files, named in the ``inforidge fetch`` command.
    """
    texts = [Path(p).read_text(errors="replace") for p in main_logs if Path(p).is_file()]
    lines = summary("\n".join(texts), workdir)
    if not lines:
        return ""
    runs = sorted({line.split(" | ")[0].removeprefix("FAILED ") for line in lines})
    head = (f"inforidge: {len(lines)} job(s) failed ({', '.join(runs)}); with --keep-going every job "
            "that does not depend on them has finished:")
    return "\n".join([head, *lines, *missing_from_cache(lines, configfiles)])


def missing_from_cache(lines: Sequence[str], configfiles: Sequence[str | Path] = ()) -> list[str]:
    """Per run, what the hub cache lacks (from the summary ``lines``), and the command that fetches it."""
    missing: dict[str, set[str]] = {}
    for line in lines:
        match = _MISSING.search(line)
        if match:
            missing.setdefault(line.split(" | ")[0].removeprefix("FAILED "), set()).add(match["what"])
    if not missing:
        return []
    config = " ".join(f"--configfile {_shown(f)}" for f in configfiles) or "--configfile <the config>"
    return ["Not in the Hugging Face cache, and the hub cannot be reached:",
            *(f"  {run}: {', '.join(sorted(whats))}" for run, whats in sorted(missing.items())),
            f"Fill the cache where the hub is reachable (same HF_HOME / cluster.hf_home), then rerun: "
            f"inforidge fetch {config}"]


def _shown(path: str | Path) -> str:
    """A config path as the user would type it here: relative to the working directory when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
