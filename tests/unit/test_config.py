"""Config validation: defaults, documented keys, errors naming the key path."""

import copy

import pytest
import yaml

from inforidge.config import Config, ConfigError, load_config, validate_config
from inforidge.configschema import describe

BASE = {
    "tasks": {"arith": {"kind": "arithmetic"}},
    "runs": {"r": {"task": "arith", "model": {"n_layer": 2}}},
}


def with_change(path: str, value):
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return data


def test_defaults_fill_missing_keys():
    cfg = validate_config(BASE)
    assert cfg.runs["r"].model.n_layer == 2
    assert cfg.mi.kernels == ["gaussian"] and cfg.mi.alpha == 1.0 and cfg.mi.normalize == "l2"
    assert cfg.activations.target == "auto"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("mi.bogus", 1, "mi.bogus: unknown key"),
        ("runs.r.model.n_layer", "four", "runs.r.model.n_layer: expected int"),
        ("runs.r.model.n_layer", True, "runs.r.model.n_layer: expected int"),
        ("mi.kernels", ["gaussian", "rbf"], "mi.kernels[1]: must be one of"),
        ("mi.sigma", "wide", "mi.sigma:"),
        ("activations.dtype", "float64", "activations.dtype: must be one of"),
        ("runs.r.training.checkpoints", [0, 10_000], "training.checkpoints [10000] lie outside"),
        ("runs.r.task", "nope", "runs.r.task: unknown task 'nope'"),
        ("mi.alpha", 0, "mi.alpha must be > 0"),
    ],
)
def test_errors_name_the_key(path, value, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate_config(with_change(path, value))


def test_missing_required_key_is_named():
    data = copy.deepcopy(BASE)
    del data["runs"]["r"]["task"]
    with pytest.raises(ConfigError, match=r"runs\.r\.task: required key is missing"):
        validate_config(data)


def test_sigma_accepts_numbers_and_rules():
    assert validate_config(with_change("mi.sigma", 2)).mi.sigma == 2.0
    assert validate_config(with_change("mi.sigma", "median")).mi.sigma == "median"


def test_every_field_is_documented():
    rows = describe(Config)
    assert rows and all(doc for _, _, _, doc in rows), [key for key, _, _, doc in rows if not doc]


def test_load_config_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(with_change("mi.bogus", 1)))
    with pytest.raises(ConfigError, match=f"{path}: mi.bogus"):
        load_config(path)


@pytest.mark.parametrize("name", ["config.yaml", "configs/test.yaml"])
def test_shipped_configs_validate(name, repo_root):
    load_config(repo_root / name)
