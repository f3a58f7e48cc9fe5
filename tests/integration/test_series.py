"""An external checkpoint series as the time axis, and a run chained to it, end to end (issue 16).

Set-up: the GPT-2 family fixture (real architecture and tokenizer, random weights) saved as a
local series ``ckpts/step-{0,10,100}`` with its weights perturbed per step; a series run over
that directory pattern, and a run fine-tuning from the series' step 10 (``source: run``). The
whole DAG runs (activations and MI at every step; the read-out and one probe at the final
steps; tables, figures); every table's ``step`` is the series' own. Then: a changed series
checkpoint reruns its step and the chained run, and configs/pythia.yaml's DAG builds.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from transformers import AutoModelForCausalLM

from inforidge.config import load_config
from inforidge.probes.registry import PROBES
from inforidge.workflow.series import run_steps
from tests.workflow_runs import REPO, TEST_CONFIG, copy_repo, scheduled, snakemake

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERIES_STEPS = [0, 10, 100]
CHAIN_STEPS = [0, 2]


def write_series(fixture: Path, root: Path) -> None:
    """``root/step-{k}``: the fixture's weights plus seeded noise growing with k (a fake training run)."""
    model = AutoModelForCausalLM.from_pretrained(fixture)
    base = {k: v.clone() for k, v in model.state_dict().items()}
    for step in SERIES_STEPS:
        gen = torch.Generator().manual_seed(step)
        noise = {k: 0.002 * step**0.5 * torch.randn(v.shape, generator=gen) for k, v in base.items()}
        model.load_state_dict({k: v + noise[k] for k, v in base.items()})
        out = root / f"step-{step}"
        shutil.copytree(fixture, out)  # tokenizer files and config
        model.save_pretrained(out)


def write_config(path: Path) -> Path:
    data = yaml.safe_load(TEST_CONFIG.read_text())
    data["runs"] = {
        "series": {"task": "arithmetic",
                   "model": {"source": "series", "series": {"pattern": "ckpts/step-{step}"}},
                   "training": {"eval_examples": 64, "batch_size": 32}},
        "chain": {"task": "arithmetic", "model": {"source": "run", "run": "series", "step": 10},
                  # eval_examples as the series': the chain's step 0 is evaluated on the same examples.
                  "training": {"steps": 2, "checkpoints": CHAIN_STEPS, "batch_size": 8, "lr": 5.0e-5,
                               "warmup_steps": 1, "eval_examples": 64}},
    }
    # What this test adds is the series' own steps in every table: the read-out and one probe run
    # at the final checkpoints only (their step naming is the same code at every step and for
    # every analysis: workflow/scripts/analysis.py). The other probes, which the
    # reference run and the paper mirror (real architectures) cover, are off.
    data["readouts"]["linear_probe"]["checkpoints"] = "final"
    data["probes"] = {"early_exit": {"checkpoints": "final"},
                      **{spec.name: {"enabled": False} for spec in PROBES if spec.name != "early_exit"}}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def series_run(tmp_path_factory, family_fixtures) -> tuple[Path, Path, Path]:
    """(repo copy, workdir, config) of a finished series + chain run."""
    base = tmp_path_factory.mktemp("series")
    repo = copy_repo(base / "repo")
    work = base / "work"
    write_series(family_fixtures["gpt2"], work / "ckpts")
    config = write_config(base / "series.yaml")
    start = time.perf_counter()
    snakemake(repo, work, "--cores", "2", config=config)
    print(f"series workflow: {time.perf_counter() - start:.0f} s wall")  # shown with pytest -s
    return repo, work, config


def test_every_table_uses_the_series_steps(series_run):
    _, work, _ = series_run
    tables = sorted((work / "results" / "tables").glob("*.parquet"))
    assert {t.stem for t in tables} >= {"mi", "training", "runs"}
    for path in tables:
        frame = pd.read_parquet(path)
        if "step" not in frame.columns:
            continue
        steps = {run: sorted(set(group["step"])) for run, group in frame.groupby("run")}
        assert set(steps["series"]) <= set(SERIES_STEPS), (path.name, steps)
        assert set(steps["chain"]) <= set(CHAIN_STEPS), (path.name, steps)
        if path.stem in ("mi", "training"):
            assert steps == {"series": SERIES_STEPS, "chain": CHAIN_STEPS}, (path.name, steps)


def test_series_steps_are_evaluated_pointers(series_run):
    _, work, _ = series_run
    training = pd.read_parquet(work / "results" / "tables" / "training.parquet").set_index(["run", "step", "split"])
    for step in SERIES_STEPS:
        for split in ("id", "ood"):
            row = training.loc[("series", step, split)]
            assert 0 <= row["accuracy"] <= 1 and pd.isna(row["train_loss"])  # evaluated, never trained
        checkpoint = work / "results" / "runs" / "series" / "checkpoints" / f"step-{step}"
        assert (checkpoint / "source.json").is_file()
        assert not list(checkpoint.glob("*.safetensors"))  # a pointer, not a copy of the weights
    # The chain's step 0 is the series' step 10 as loaded: same eval loss on the same examples.
    for split in ("id", "ood"):
        chained, source = training.loc[("chain", 0, split), "loss"], training.loc[("series", 10, split), "loss"]
        assert chained == pytest.approx(source, rel=1e-4)
    # ... and not step 0 or 100 (the perturbations change the loss).
    assert training.loc[("chain", 0, "id"), "loss"] != pytest.approx(training.loc[("series", 100, "id"), "loss"])


def test_figures_are_built(series_run):
    _, work, _ = series_run
    figures = list((work / "results" / "figures").glob("*.png"))
    assert len(figures) >= 3, figures


def test_a_changed_series_checkpoint_reruns_its_step_and_the_chained_run(series_run):
    repo, work, config = series_run
    assert scheduled(repo, work, config=config) == {}
    later = time.time() + 60
    changed = work / "ckpts" / "step-10"
    for path in [changed / "model.safetensors", changed]:
        os.utime(path, (later, later))
    jobs = scheduled(repo, work, config=config)
    # series step 10 (its local directory is an input), then the chained run from step 0 on.
    assert jobs.get("train") == 1 + len(CHAIN_STEPS), jobs


def test_pythia_config_dag_builds(tmp_path):
    repo = copy_repo(tmp_path / "repo")
    work = tmp_path / "work"
    work.mkdir()
    jobs = scheduled(repo, work, config=REPO / "configs" / "pythia.yaml")
    cfg = load_config(REPO / "configs" / "pythia.yaml")
    series, chain = (run_steps(cfg.runs[name]) for name in ("pythia-160m", "pythia-160m-finetuned"))
    assert len(series) == 23 and series[0] == 0 and series[-1] == 143000
    assert jobs["train"] == len(series) + len(chain)  # one pointer job per revision, then the fine-tuning chain
