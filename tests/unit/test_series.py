"""Checkpoint series and run chains: step resolution and every plan-time validation error."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from inforidge.config import ConfigError, validate_config
from inforidge.models.checkpoint_files import WeightsMismatch, weight_hashes
from inforidge.workflow.series import (
    check_duplicates,
    check_sources,
    duplicate_steps,
    revision_step,
    run_steps,
    series_sources,
)

REPO = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((REPO / "configs" / "test.yaml").read_text())


def config(**runs):
    data = copy.deepcopy(BASE)
    data["runs"].update(runs)
    return data


def series_run(series, **model):
    return {"task": "arithmetic", "model": {"source": "series", "series": series, **model}}


def chain_run(run, step):
    return {"task": "arithmetic", "model": {"source": "run", "run": run, "step": step}}


def planned(**runs):
    """Validate, then the plan-time (file system) checks the Snakefile runs."""
    cfg = validate_config(config(**runs))
    check_sources(cfg)
    return cfg


def make_dirs(root: Path, *names: str) -> None:
    for name in names:
        (root / name).mkdir(parents=True)


def test_revision_list_steps_come_from_the_names():
    cfg = planned(p=series_run({"revisions": ["step0", "step1000", "step2"]}, name_or_path="EleutherAI/pythia-14m"))
    sources = series_sources(cfg.runs["p"].model)
    assert list(sources) == [0, 2, 1000]  # sorted by step
    assert sources[1000].path == "EleutherAI/pythia-14m" and sources[1000].revision == "step1000"
    assert revision_step("main") is None


def test_revision_mapping_and_local_paths(tmp_path):
    make_dirs(tmp_path, "a", "b")
    cfg = planned(
        r=series_run({"revisions": {0: "v0", 50: "abc123"}}, name_or_path="org/m"),
        l=series_run({"paths": {3: str(tmp_path / "a"), 7: str(tmp_path / "b")}}),
    )
    assert run_steps(cfg.runs["r"]) == [0, 50]
    assert series_sources(cfg.runs["r"].model)[50].revision == "abc123"
    assert run_steps(cfg.runs["l"]) == [3, 7]
    assert series_sources(cfg.runs["l"].model)[7].path == str(tmp_path / "b")


def test_pattern_is_globbed_and_steps_parsed(tmp_path):
    make_dirs(tmp_path, "step-0", "step-20", "step-5", "other", "step-x")
    (tmp_path / "step-9").write_text("a file, not a checkpoint directory")
    cfg = planned(p=series_run({"pattern": f"{tmp_path}/step-{{step}}"}))
    assert run_steps(cfg.runs["p"]) == [0, 5, 20]
    assert series_sources(cfg.runs["p"].model)[20].revision is None


def test_chain_to_a_series_step(tmp_path):
    make_dirs(tmp_path, "step-0", "step-8")
    cfg = planned(s=series_run({"pattern": f"{tmp_path}/step-{{step}}"}), c=chain_run("s", 8))
    assert cfg.runs["c"].model.run == "s"


@pytest.mark.parametrize(
    ("runs", "key", "message"),
    [
        ({"c": chain_run("nope", 4)}, "runs.c.model.run", "unknown run 'nope'"),
        ({"c": chain_run("tiny", 5)}, "runs.c.model.step", "has no checkpoint 5"),
        ({"a": chain_run("b", 0), "b": chain_run("a", 0)}, "runs.b.model.run", "cycle: a -> b -> a"),
        ({"a": chain_run("a", 0)}, "runs.a.model.run", "cycle"),
        ({"p": series_run({"revisions": ["step1", "step01"]}, name_or_path="m")},
         "runs.p.model.series.revisions", "step 1 is given twice"),
        ({"p": series_run({"revisions": {1: "v", 2: "v"}}, name_or_path="m")},
         "runs.p.model.series.revisions", "revision 'v' is listed for two steps"),
        ({"p": series_run({"revisions": ["main"]}, name_or_path="m")}, "runs.p.model.series.revisions", "no step"),
        ({"p": series_run({"revisions": ["step1"]})}, "runs.p.model.name_or_path", "name it"),
        ({"p": series_run({"paths": {1: "/nonexistent/ckpt"}})}, "runs.p.model.series.paths.1", "no such directory"),
        ({"p": series_run({"pattern": "/nonexistent/step-{step}"})}, "runs.p.model.series.pattern", "no directory"),
        ({"p": series_run({"pattern": "/x/step"})}, "runs.p.model.series.pattern", "{step} exactly once"),
        ({"p": series_run({"paths": {1: "/a"}, "pattern": "/b/{step}"})}, "runs.p.model.series.revisions",
         "exactly one of"),
        ({"p": series_run({})}, "runs.p.model.series.revisions", "exactly one of"),
        ({"p": {"task": "arithmetic", "model": {"source": "series"}}}, "runs.p.model.series", "is required"),
        ({"p": {"task": "arithmetic", "model": {"source": "run", "run": "tiny"}}}, "runs.p.model.step", "required"),
        ({"p": {**series_run({"revisions": ["step1"]}, name_or_path="m"), "training": {"checkpoints": [1]}}},
         "runs.p.training", "trains nothing"),
        ({"p": {"task": "arithmetic", "model": {"source": "pretrained", "name_or_path": "/nonexistent/model"}}},
         "runs.p.model.name_or_path", "no such directory '/nonexistent/model'"),
        ({"p": {"task": "arithmetic", "model": {"source": "pretrained", "name_or_path": "./models/gpt2"}}},
         "runs.p.model.name_or_path", "no such directory './models/gpt2'"),
    ],
)
def test_plan_time_errors_name_the_key(runs, key, message):
    with pytest.raises(ConfigError) as err:
        planned(**runs)
    assert str(err.value).startswith(f"{key}:"), str(err.value)
    assert message in str(err.value)


def test_duplicate_steps_from_a_pattern(tmp_path):
    make_dirs(tmp_path, "step-1", "step-01")
    with pytest.raises(ConfigError, match=r"runs.p.model.series.pattern: step 1 is given twice"):
        planned(p=series_run({"pattern": f"{tmp_path}/step-{{step}}"}))


def test_two_steps_at_one_path(tmp_path):
    make_dirs(tmp_path, "a")
    with pytest.raises(ConfigError, match=r"runs.p.model.series.paths: path .* listed for two steps \(1 and 2\)"):
        planned(p=series_run({"paths": {1: str(tmp_path / "a"), 2: str(tmp_path / "a") + "/"}}))


def test_fetch_lists_every_revision_of_a_hub_series():
    """`inforidge fetch` (and the offline-cache check of cluster runs) covers each series revision."""
    from inforidge.config import load_config
    from inforidge.workflow.fetch import hub_models

    models = hub_models(load_config(REPO / "configs" / "pythia.yaml"))
    assert len(models) == 23
    assert {name for name, _ in models} == {"EleutherAI/pythia-160m"}
    assert ("EleutherAI/pythia-160m", "step143000") in models


# --- weight identity (checkpoint_files.weight_hashes, series.check_duplicates) -----------------


def hub_snapshot(cache: Path, revision: str, files: dict[str, bytes], blob_names: dict[str, str] | None = None) -> Path:
    """One revision in a hub cache as huggingface_hub lays it out: each file a symlink from
    snapshots/<commit>/ to blobs/<the hash the hub records> (sha256 for LFS files)."""
    repo = cache / "models--org--m"
    snapshot = repo / "snapshots" / hashlib.sha1(revision.encode()).hexdigest()
    snapshot.mkdir(parents=True)
    (repo / "blobs").mkdir(exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / revision).write_text(snapshot.name)
    for name, content in files.items():
        blob = (blob_names or {}).get(name) or hashlib.sha256(content).hexdigest()
        (repo / "blobs" / blob).write_bytes(content)
        (snapshot / name).symlink_to(Path("..", "..", "blobs", blob))
    return snapshot


def test_local_weights_are_hashed_by_content(tmp_path):
    make_dirs(tmp_path, "a", "b")
    for name in ("a", "b"):
        (tmp_path / name / "model.safetensors").write_bytes(b"weights")
        (tmp_path / name / "trainer_state.pt").write_bytes(name.encode())  # not weights: ignored
    a, b = weight_hashes(tmp_path / "a"), weight_hashes(tmp_path / "b")
    assert a["sha256"] == b["sha256"]
    assert a["files"] == {"model.safetensors": {"sha256": hashlib.sha256(b"weights").hexdigest(), "hub": None}}


# In a fresh process: huggingface_hub reads HF_HUB_CACHE when imported. What a step job does after
# the load: find the revision's snapshot through refs/ and hash its weight files.
HASH_REVISIONS = """
import json, sys
from inforidge.models.checkpoint_files import source_dir, weight_hashes
print(json.dumps({r: weight_hashes(source_dir({"path": "org/m", "revision": r})) for r in sys.argv[1:]}))
"""


def test_hub_revisions_serving_one_blob_are_duplicates(tmp_path):
    """Two step branches whose weight file is the same hub blob (EleutherAI/pythia#206)."""
    shard = {"config.json": b"{}", "model.safetensors": b"final model, first shard"}
    for revision, files in (("step50000", shard), ("step58000", shard),
                            ("step60000", {**shard, "model.safetensors": b"step 60000"})):
        hub_snapshot(tmp_path, revision, files)
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", HASH_REVISIONS, "step50000", "step58000", "step60000"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    records = json.loads(result.stdout)
    # The hub's own record of the file (its blob name) is kept beside the content hash.
    recorded = records["step50000"]["files"]["model.safetensors"]["hub"]
    assert recorded == hashlib.sha256(shard["model.safetensors"]).hexdigest()
    hashes = {revision_step(revision): record["sha256"] for revision, record in records.items()}
    with pytest.raises(ValueError, match=r"^runs.p.model.series: identical weights at steps 50000, 58000 "
                                         r"\(sha256 [0-9a-f]{12}\).*allow_duplicates: true"):
        check_duplicates("p", hashes, allowed=False)
    assert check_duplicates("p", hashes, allowed=True) == {58000: 50000}


def test_a_file_that_does_not_match_its_hub_record_is_refused(tmp_path):
    wrong = hashlib.sha256(b"what the hub published").hexdigest()
    snapshot = hub_snapshot(tmp_path, "step7", {"model.safetensors": b"what the cache holds"},
                            {"model.safetensors": wrong})
    with pytest.raises(WeightsMismatch, match=f"model.safetensors does not match its hub metadata \\(the hub records "
                                              f"{wrong}"):
        weight_hashes(snapshot)


def test_duplicate_groups_are_named_together():
    hashes = {0: "a" * 64, 1: "b" * 64, 2: "a" * 64, 3: "b" * 64, 4: "a" * 64, 5: "c" * 64}
    assert duplicate_steps(hashes) == {2: 0, 3: 1, 4: 0}
    with pytest.raises(ValueError, match=r"steps 0, 2, 4 \(sha256 aaaaaaaaaaaa\); steps 1, 3 \(sha256 bbbb"):
        check_duplicates("r", hashes, allowed=False)
