"""Rerun semantics: after a completed run, a change schedules exactly the stages it invalidates.

One full local run of configs/test.yaml per test process (shared with the cluster test
via ``tests.workflow_runs.reference_run``); each case copies the finished
workdir (mtimes kept) and reads ``snakemake -n``'s job stats.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inforidge.analyses.registry import SHARED_PROBES_RULE as SHARED
from tests.workflow_runs import copy_workdir, reference_run, scheduled, write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HEAVY = {"data", "train", "activations", "mi"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return reference_run(tmp_path_factory)


@pytest.fixture(scope="module")
def full_dag(reference, tmp_path_factory) -> dict[str, int]:
    """Rule -> job count of the whole workflow (a dry run in an empty workdir)."""
    repo, _ = reference
    return scheduled(repo, tmp_path_factory.mktemp("empty"))


@pytest.fixture
def case(reference, tmp_path):
    """A private copy of the finished workdir."""
    repo, work = reference
    return repo, copy_workdir(work, tmp_path / "work")


def figure_rules(dag):
    return {r for r in dag if r.startswith("figure_")}


def test_full_dag_has_the_heavy_stages(full_dag):
    assert HEAVY <= set(full_dag), full_dag
    assert full_dag["mi"] == full_dag["activations"]


def test_finished_workflow_schedules_nothing(case):
    repo, work = case
    assert scheduled(repo, work) == {}


def test_mi_setting_reruns_mi_and_what_follows_only(case, full_dag, tmp_path):
    repo, work = case
    got = scheduled(repo, work, config=write_config(tmp_path / "c.yaml", **{"mi.permutations": 3}))
    assert got.get("mi") == full_dag["mi"], got
    assert "table_mi" in got, got
    assert not {"data", "train", "activations"} & set(got), got
    assert not {r for r in got if r.startswith("probe")}, got
    # Only MI, its table, the tables derived from it (ridge, paired differences, verdict) and figures.
    assert set(got) <= {"mi", "table_mi", "table_ridge", "table_verdict"} | figure_rules(full_dag), got


def test_learning_rate_reruns_training_and_everything_after(case, full_dag, tmp_path):
    repo, work = case
    got = scheduled(repo, work, config=write_config(tmp_path / "c.yaml", **{"runs.tiny.training.lr": 1.0e-3}))
    assert "data" not in got, got
    for rule in ("train", "activations", "mi"):
        assert got.get(rule) == full_dag[rule], (rule, got)
    for rule in full_dag:
        if rule.startswith(("probe_", "table_mi", "table_training")):
            assert got.get(rule) == full_dag[rule], (rule, got)
    assert figure_rules(full_dag) <= set(got), got


def test_cosmetic_figure_setting_reruns_only_figures(case, full_dag, tmp_path):
    repo, work = case
    got = scheduled(repo, work, config=write_config(tmp_path / "c.yaml", **{"figures.dpi": 77}))
    assert got, "changing figures.dpi must rerun the figures"
    assert set(got) <= figure_rules(full_dag), got


def test_resources_change_reruns_nothing(case, tmp_path):
    """Cluster resources are not params: raising memory must not retrain anything."""
    repo, work = case
    config = write_config(tmp_path / "c.yaml", **{"runs.tiny.resources": {"train": {"mem_mb": 9000}}})
    assert scheduled(repo, work, config=config) == {}


@pytest.mark.parametrize(
    "module, rerun, untouched",
    [
        ("mi", {"mi"}, {"data", "train", "activations"}),
        ("mi/eigensolver.py", {"mi"}, {"data", "train", "activations", SHARED, "probe_causal"}),
        ("models/training.py", {"train", "activations", "mi"}, {"data"}),
        # Imported by training, the dump and the probes alike (through inforidge.models.modeling).
        ("core/devices.py", {"train", "activations", "mi", SHARED, "probe_residual_scaling"}, {"data"}),
        # A probe's own module reruns that probe's job only (its registry entry names it; no other rule
        # imports it): here the job the probes at every checkpoint share.
        ("probes/residual_norm.py", {SHARED}, HEAVY | {"probe_causal", "probe_residual_scaling"}),
        # Registries are declarations, like the config: registering something reruns nothing that exists.
        ("probes/registry.py", set(), HEAVY | {SHARED, "probe_residual_scaling"}),
        ("readouts/registry.py", set(), HEAVY | {"readout_linear_probe", SHARED}),
        # Settings are tracked as params; editing the schema module itself reruns nothing.
        ("config.py", set(), HEAVY),
    ],
)
def test_package_code_edit_reruns_the_stage(case, full_dag, module, rerun, untouched):
    """Appending a comment to a module a stage's script imports reruns that stage (and after)."""
    repo, work = case
    target = repo / "src" / "inforidge" / module
    path = sorted(target.rglob("*.py"))[0] if target.is_dir() else target
    original, stat = path.read_bytes(), path.stat()
    try:
        path.write_bytes(original + b"\n# touched by test_rerun_matrix\n")
        got = scheduled(repo, work)
    finally:  # the repo copy is shared by the other cases: restore content and mtime
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    for rule in rerun:
        assert got.get(rule) == full_dag[rule], (rule, got)
    assert not untouched & set(got), got
    assert scheduled(repo, work) == {}
