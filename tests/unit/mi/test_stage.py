"""The MI stage on a real dump: one row set per kernel × σ, settings stamped, the table accepts it."""

from __future__ import annotations

import numpy as np
import pytest

from inforidge.activations import dump_split
from inforidge.config import MIConfig, as_dict
from inforidge.mi.layerwise import COLUMNS
from inforidge.mi.stage import SETTING_COLUMNS, estimate_dump, warn_short


@pytest.fixture(scope="module")
def manifest(tmp_path_factory, tiny_task, tiny_gpt2):
    root = tmp_path_factory.mktemp("stage")
    for part in tiny_gpt2:
        part.save_pretrained(root / "step-0")
    return dump_split(root / "step-0", tiny_task.build_split("eval_id"), root / "eval_id", dtype="float32",
                      device="cpu")


def test_sigma_sweep_rows_and_settings(manifest):
    mi = MIConfig(kernels=["gaussian", "linear"], sigma=[0.5, "median"], n_samples=20, seeds=[0, 1],
                  permutations=3)
    frame = estimate_dump(manifest, mi, device="cpu")
    columns = ["sample_seed" if c == "seed" else c for c in COLUMNS]  # the table's name for the subsample seed
    assert list(frame.columns) == ["site", *columns, "n_requested", *SETTING_COLUMNS]
    assert frame["sigma"].dtype == np.float64
    per_setting = frame.groupby(["kernel", "bandwidth_rule", "sigma"], dropna=False).size().to_dict()
    # resid_post: 3 layers + 2 gains, final_norm: 1 layer; × 2 seeds.
    assert {(k, r, "nan" if np.isnan(s) else s): n for (k, r, s), n in per_setting.items()} == {
        ("gaussian", "fixed", 0.5): 12, ("gaussian", "median", "nan"): 12, ("linear", "none", "nan"): 12}
    assert (frame["n"] == 20).all() and (frame["resampling"] == "disjoint").all()
    assert frame["p_value"].between(1 / 4, 1).all() and np.isfinite(frame["mi_excess"]).all()
    # σ reaches the kernel: the two bandwidths give different estimates.
    g = frame[frame.kernel == "gaussian"].pivot_table(index=["site", "quantity", "layer", "sample_seed"],
                                                      columns="bandwidth_rule", values="mi")
    assert not np.allclose(g["fixed"], g["median"])
    # The rule's plain-dict params give the same frame as the typed config.
    assert estimate_dump(manifest, as_dict(mi), device="cpu").equals(frame)


def test_a_request_above_what_the_split_gives_is_warned(caplog):
    """510 rows over 5 disjoint seeds give 102 per subsample: asking for 200 is logged, not silently shrunk."""
    with caplog.at_level("WARNING", logger="inforidge.mi.stage"):
        assert warn_short(MIConfig(n_samples=200, seeds=[0, 1, 2, 3, 4]), 510)
        assert not warn_short(MIConfig(n_samples=100, seeds=[0, 1, 2, 3, 4]), 510)
        assert not warn_short(MIConfig(n_samples=None, seeds=[0, 1, 2, 3, 4]), 510)
    assert len(caplog.records) == 1 and "give 102 per subsample" in caplog.records[0].getMessage()
