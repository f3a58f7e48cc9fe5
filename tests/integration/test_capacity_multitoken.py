"""Capacity sweep and multi-token stage on a tiny config: two depths × two checkpoints
(multi-token at the final one).

The config is configs/test.yaml plus a deeper copy of its run, a continuation task and the
multitoken section, written into the test's own directory (configs/test.yaml stays as other
tests count its jobs). Probes are off: they are not part of these stages.
"""

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from inforidge.results import read_table
from inforidge.tables.capacity import CAPACITY
from inforidge.tables.tidy import TABLES

from .conftest import snakemake
from .test_report import png_size, report_figures

pytestmark = pytest.mark.integration
TEST_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "test.yaml"

DEPTHS = {"tiny": 2, "tiny-l3": 3}
STEPS = [0, 12]
HORIZON = 3
OUTPUTS = ["results/tables/capacity.parquet", "results/tables/multitoken.parquet",
           "results/figures/capacity_mi_by_depth.png", "results/figures/capacity_ridge.png",
           "results/figures/multitoken_heatmap.png", "results/figures/multitoken_curves.png"]
REPORT_CATEGORIES = {"capacity_mi_by_depth": "Model capacity", "capacity_ridge": "Model capacity",
                     "multitoken_heatmap": "Multi-token generation", "multitoken_curves": "Multi-token generation"}


def sweep_config() -> dict:
    cfg = yaml.safe_load(TEST_CONFIG.read_text())
    tiny = cfg["runs"]["tiny"]
    tiny["training"]["checkpoints"] = STEPS
    deep = copy.deepcopy(tiny)
    deep["model"]["n_layer"] = DEPTHS["tiny-l3"]
    cfg["runs"]["tiny-l3"] = deep
    cfg["tasks"]["arith_mt"] = {"kind": "arithmetic", "sizes": {"train": 8, "eval_id": 48, "eval_ood": 48, "probe_ood": 8},
                                "continuation": {"horizon": HORIZON}}
    # Multi-token at the final checkpoint only: the capacity sweep already needs every checkpoint's
    # MI, and the step selection is the probes' own (ProbeSteps); this saves 8 model-loading jobs.
    cfg["multitoken"] = {"enabled": True, "task": "arith_mt", "checkpoints": "final", "permutations": 1}
    cfg["mi"] = {**cfg["mi"], "n_samples": 48}
    cfg["probes"] = {name: {"enabled": False} for name in ("residual_scaling", "early_exit", "attention")}
    return cfg


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("capacity_multitoken")
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump(sweep_config()))
    # The default target must request every output of both stages.
    result = snakemake(root, "-n", "--cores", "2", config=config)
    planned = result.stdout + result.stderr
    for rule in ("capacity_table", "multitoken_table", "multitoken_activations", "figure_multitoken_curves"):
        assert rule in planned, planned[-2000:]
    snakemake(root, "--cores", "2", *OUTPUTS, config=config)
    return root


def test_capacity_table(workdir):
    cap = read_table(workdir / OUTPUTS[0], "capacity")
    assert list(cap.columns) == CAPACITY.names
    mi_rows = sum((L + 2) for L in DEPTHS.values())  # resid_post 0..L + final_norm, per run
    assert len(cap) == mi_rows * len(STEPS) * 2  # × checkpoints × {id, ood}
    assert not cap.duplicated(["run", "step", "split", "kernel", "site", "layer"]).any()
    assert {r: set(g["n_layer"]) for r, g in cap.groupby("run")} == {r: {L} for r, L in DEPTHS.items()}
    assert cap["relative_depth"].between(0, 1).all()
    assert np.allclose(cap["relative_depth"], cap["layer"] / cap["n_layer"])
    assert np.isfinite(cap[["mi_mean", "mi_std"]].to_numpy()).all()
    assert cap["mi_mean"].between(-1e-9, math.log2(48) + 1e-9).all()
    assert (cap["ridge_position"] == cap["ridge_layer"] / cap["n_layer"]).all()
    assert cap.groupby(["run", "step", "split", "site"])["ridge_layer"].nunique().eq(1).all()


def test_multitoken_table(workdir):
    mt = read_table(workdir / OUTPUTS[1], "multitoken")
    assert list(mt.columns) == TABLES["multitoken"].names
    seeds = 2  # configs/test.yaml mi.seeds
    per_step = sum(L + 2 for L in DEPTHS.values()) * 2 * seeds  # site-layers × splits × seeds (final checkpoint)
    token, seq = mt[mt["quantity"] == "token"], mt[mt["quantity"] == "sequence"]
    assert len(token) == per_step * HORIZON and len(seq) == per_step
    assert set(token["t"]) == set(range(1, HORIZON + 1)) and set(seq["t"]) == {0}
    assert not mt.duplicated(["run", "step", "split", "site", "quantity", "layer", "t", "sample_seed", "kernel"]).any()
    assert set(mt["step"]) == {STEPS[-1]} and set(mt["split"]) == {"id", "ood"}
    assert set(mt["probe_task"]) == {"arith_mt"} and set(mt["horizon"]) == {HORIZON}
    assert np.isfinite(mt[["mi", "h_z", "h_y", "h_joint", "mi_excess"]].to_numpy()).all()
    # Disjoint subsamples (mi.resampling): each of the 2 seeds takes its own 24 of the 48 examples.
    assert mt["mi"].between(-1e-9, math.log2(48) + 1e-9).all() and (mt["n"] == 48 // seeds).all()


def test_figures(workdir):
    for path in OUTPUTS[2:]:
        assert (workdir / path).stat().st_size > 10_000, path


def test_report_files_the_sweep_figures(workdir, tmp_path):
    """The HTML report of these outputs holds each figure under its category, with a label and caption."""
    html = tmp_path / "report.html"
    snakemake(workdir, "--report", str(html), *OUTPUTS, config=workdir / "config.yaml")
    figures = report_figures(html)
    assert {name: fig["category"] for name, fig in figures.items()} == REPORT_CATEGORIES
    for name, fig in figures.items():
        assert fig["label"] and len(fig["caption"]) > 100, name
        assert min(png_size(fig["png"])) > 100, name
