"""Multi-token MI: the sequence kernel, the MI stage on a multi-token dump and the config checks."""

import math

import numpy as np
import pytest
import torch

from inforidge.activations import dump_split
from inforidge.config import MIConfig, validate_config
from inforidge.core.configschema import ConfigError
from inforidge.mi import kernels as K
from inforidge.mi import EstimatorSettings, Sampling, layerwise_mi
from inforidge.mi.multitoken import check_multitoken, horizon_of
from inforidge.mi.sequence import sequence_gram, sequence_mi
from inforidge.mi.stage import MULTITOKEN_COLUMNS as COLUMNS
from inforidge.mi.stage import DecodeSteps, estimate_dump
from inforidge.tables.tidy import conform

SETTINGS = MIConfig(kernels=["gaussian"], sigma=1.0, alpha=1.0, normalize="l2", base=2.0, n_samples=24, seeds=[0, 1],
                    resampling="random")


def test_sequence_gram_is_the_mean_of_unit_diagonal_step_kernels():
    rng = np.random.default_rng(0)
    steps = [torch.as_tensor(rng.normal(size=(10, 3))) for _ in range(3)]  # T × (n, d)
    a = sequence_gram(steps, EstimatorSettings(kernel="linear", normalize=None))
    expected = sum(K.unit_trace(K.gram(x, "linear")) for x in steps) / 3
    assert torch.allclose(a, expected)
    assert math.isclose(float(a.trace()), 1.0) and torch.allclose(a.diagonal(), torch.full((10,), 0.1, dtype=a.dtype))
    assert float(torch.linalg.eigvalsh(a).min()) > -1e-12  # a mean of PSD matrices is PSD


def test_one_step_sequence_mi_equals_the_token_mi():
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(40, 6)), rng.normal(size=(40, 4))
    y[:, :2] += z[:, :2]
    token = layerwise_mi([z], y, sampling=Sampling(n_samples=30, seeds=[3], permutations=2, scheme="random"), increments=False, device="cpu")
    seq = sequence_mi([[z]], [y], sampling=Sampling(n_samples=30, seeds=[3], permutations=2, scheme="random"), device="cpu")
    for column in ("mi", "h_z", "h_y", "h_joint", "null_mean", "null_std"):
        assert seq[column].iloc[0] == pytest.approx(token[column].iloc[0], abs=1e-10), column


def test_sequence_mi_bounds_and_dependence():
    rng = np.random.default_rng(2)
    n, T = 48, 4
    ys = [rng.normal(size=(n, 5)) for _ in range(T)]
    related = [y + 0.1 * rng.normal(size=y.shape) for y in ys]
    unrelated = [rng.normal(size=(n, 5)) for _ in range(T)]
    frame = sequence_mi([related, unrelated], ys, sampling=Sampling(n_samples=None, seeds=[0], permutations=3, scheme="random"), device="cpu")
    assert (frame["mi"] >= -1e-9).all() and (frame["mi"] <= math.log2(n) + 1e-9).all()
    assert frame["mi"].iloc[0] > frame["mi"].iloc[1]
    # Well above the permutation null for the dependent sequences, at it for independent ones.
    assert frame["mi_excess"].iloc[0] > 0.1 > 0.02 > abs(frame["mi_excess"].iloc[1])


def test_sequence_mi_rejects_bad_inputs():
    z = np.zeros((5, 2))
    with pytest.raises(ValueError, match="one array per decoding step"):
        sequence_mi([[z, z]], [z], sampling=Sampling(n_samples=None, seeds=[0], permutations=0, scheme="random"))
    bad = np.ones((5, 2))
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"layers\[0\]\[0\] contains NaN"):
        sequence_mi([[bad]], [np.random.default_rng(0).normal(size=(5, 2))], sampling=Sampling(n_samples=None, seeds=[0], permutations=0, scheme="random"), device="cpu")


@pytest.fixture(scope="module")
def dump(tmp_path_factory, tiny_gpt2):
    from inforidge.tasks.arithmetic import ArithmeticTask
    from inforidge.tasks.continuation import ArithmeticContinuationTask

    base = ArithmeticTask(13, tuple(k for k in range(5, 26) if k != 13), 10, 100,
                          {"train": 4, "eval_id": 32, "eval_ood": 4, "probe_ood": 4}, 0)
    frame = ArithmeticContinuationTask(base, 3, "signals").build_split("eval_id")
    root = tmp_path_factory.mktemp("mt")
    checkpoint = root / "step-0"
    for part in tiny_gpt2:  # (model, tokenizer) of the synthetic task's vocabulary
        part.save_pretrained(checkpoint)
    return dump_split(checkpoint, frame, root / "eval_id", decode_steps=3, dtype="float32", device="cpu")


def test_estimate_multitoken_dump_rows(dump):
    frame = estimate_dump(dump, SETTINGS, multitoken=DecodeSteps(horizon=3, permutations=1, sequence_kernel=True),
                          device="cpu")
    assert list(frame.columns) == COLUMNS + ["kernel", "sigma", "bandwidth_rule", "alpha", "normalize", "base",
                                             "permutations", "resampling"]
    token, seq = frame[frame.quantity == "token"], frame[frame.quantity == "sequence"]
    # resid_post 0..2 + final_norm 2, per step and seed; one sequence row per layer and seed.
    assert len(token) == 4 * 3 * 2 and len(seq) == 4 * 2
    assert set(token["t"]) == {1, 2, 3} and set(seq["t"]) == {0}
    assert not frame.duplicated(["site", "quantity", "layer", "t", "sample_seed"]).any()
    assert np.isfinite(frame[["mi", "h_z", "h_y", "h_joint", "mi_excess"]].to_numpy()).all()
    assert frame["mi"].between(-1e-9, math.log2(24) + 1e-9).all()
    # Step 1 of a multi-token dump is what the single-token stage measures on the same rows.
    store_rows = token[(token.t == 1) & (token.site == "resid_post") & (token.sample_seed == 0)].sort_values("layer")
    from inforidge import activations

    store = activations.open(dump)
    direct = layerwise_mi([store.array("resid_post", l) for l in range(3)], store.target(), sampling=Sampling(n_samples=24, seeds=[0], permutations=1, scheme="random"), increments=False, device="cpu")
    assert np.allclose(store_rows["mi"].to_numpy(), direct["mi"].to_numpy())


def test_horizon_longer_than_the_dump_is_refused(dump):
    with pytest.raises(ValueError, match="multitoken.horizon is 4"):
        estimate_dump(dump, SETTINGS, multitoken=DecodeSteps(horizon=4, permutations=0, sequence_kernel=False),
                      device="cpu")


def config(multitoken, continuation={"horizon": 6}):
    return validate_config({
        "tasks": {"plain": {"kind": "arithmetic"}, "cont": {"kind": "arithmetic", "continuation": continuation}},
        "runs": {"r": {"task": "plain"}}, "multitoken": multitoken,
    })


def test_check_multitoken_names_the_key():
    cfg = config({"enabled": True, "task": "cont", "horizon": 4})
    check_multitoken(cfg)
    assert horizon_of(cfg, "r") == 4 and horizon_of(config({"enabled": True, "task": "cont"}), "r") == 6
    with pytest.raises(ConfigError, match="multitoken.task: unknown task 'nope'"):
        check_multitoken(config({"enabled": True, "task": "nope"}))
    with pytest.raises(ConfigError, match=r"runs\.r\.task: task 'plain' has no `continuation`"):
        check_multitoken(config({"enabled": True}))
    with pytest.raises(ConfigError, match=r"multitoken.horizon \(8\) exceeds tasks.cont.continuation.horizon"):
        check_multitoken(config({"enabled": True, "task": "cont", "horizon": 8}))
    with pytest.raises(ConfigError, match="multitoken.splits"):
        check_multitoken(config({"enabled": True, "task": "cont", "splits": ["test"]}))


def test_table_schema_refuses_undeclared_columns():
    import pandas as pd

    with pytest.raises(ValueError, match="table multitoken: missing columns"):
        conform(pd.DataFrame({"run": ["r"]}), "multitoken")
