"""Which analyses share a job (inforidge.analyses.registry.analysis_jobs): the probes enabled at
every checkpoint run in one job per checkpoint, every other analysis in its own."""

from __future__ import annotations

import dataclasses

import pytest

from inforidge.analyses.registry import SHARED_PROBES_RULE, AnalysisJob, analyses, analysis_jobs
from inforidge.probes.registry import PROBES


def settings_with(**overrides):
    """``settings_of`` for analysis_jobs: each analysis's default settings, some fields overridden by name."""
    return lambda spec: dataclasses.replace(spec.settings(), **overrides.get(spec.name, {}))


def rules(jobs: list[AnalysisJob]) -> dict[str, list[str]]:
    return {job.rule: [spec.name for spec in job.specs] for job in jobs}


def test_defaults_share_one_job_among_the_probes_at_every_checkpoint():
    jobs = analysis_jobs(settings_with())
    every = [spec.name for spec in PROBES if spec.settings().checkpoints == "all"]
    assert every, "the defaults run some probe at every checkpoint"
    assert rules(jobs)[SHARED_PROBES_RULE] == every
    # Every analysis runs in exactly one job; the others keep their own rule.
    assert sorted(name for names in rules(jobs).values() for name in names) == sorted(s.name for s in analyses())
    assert all(len(job.specs) == 1 and job.rule == job.specs[0].rule for job in jobs[1:])
    shared = jobs[0]
    assert shared.name == "every_checkpoint" and shared.input == "checkpoint" and shared.section == "probes"


def test_a_disabled_or_final_only_probe_keeps_out_of_the_shared_job():
    first, second, *_ = [spec.name for spec in PROBES if spec.settings().checkpoints == "all"]
    jobs = rules(analysis_jobs(settings_with(**{first: {"enabled": False}, second: {"checkpoints": "final"}})))
    assert first not in jobs[SHARED_PROBES_RULE] and second not in jobs[SHARED_PROBES_RULE]
    assert jobs[f"probe_{first}"] == [first] and jobs[f"probe_{second}"] == [second]


def test_no_probe_at_every_checkpoint_means_no_shared_job():
    final = {spec.name: {"checkpoints": "final"} for spec in analyses()}
    jobs = analysis_jobs(settings_with(**final))
    assert SHARED_PROBES_RULE not in rules(jobs)
    assert [job.rule for job in jobs] == [spec.rule for spec in analyses()]


def test_the_shared_job_reads_what_its_probes_read():
    """A fitting probe at every checkpoint brings the fitting splits and its code into the shared job."""
    fitting = next(spec for spec in PROBES if spec.fit_splits)
    jobs = analysis_jobs(settings_with(**{fitting.name: {"checkpoints": "all"}}))
    shared = jobs[0]
    assert fitting in shared.specs and shared.fit_splits
    assert set(shared.code) == {ref for spec in shared.specs for ref in spec.code}
    assert len(shared.code) == len(set(shared.code))


def test_analyses_that_write_the_same_stem_cannot_share_a_job():
    spec = next(iter(PROBES))
    with pytest.raises(ValueError, match="same output stem"):
        AnalysisJob("twice", "probes_twice", (spec, spec))
    readout = next(spec for spec in analyses() if spec.input == "activations")
    with pytest.raises(ValueError, match="one input kind"):
        AnalysisJob("mixed", "probes_mixed", (spec, readout))
