"""Config validation: defaults, documented keys, errors naming the key path."""

import copy

import pytest
import yaml

from inforidge.config import Config, ConfigError, load_config, validate_config
from inforidge.core.configschema import describe

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
    assert cfg.mi.kernels == ["gaussian"] and cfg.mi.alpha == 1.0 and cfg.mi.normalize == "whiten"
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


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        ("mi.sigma", -1.0, "mi.sigma: must be > 0"),
        ("mi.sigma", 0, "mi.sigma: must be > 0"),
        ("mi.n_samples", 0, "mi.n_samples: must be >= 2"),
        ("mi.n_samples", 1, "mi.n_samples: must be >= 2"),
        ("mi.permutations", -1, "mi.permutations: must be >= 0"),
        ("mi.base", 1, "mi.base: must not be 1"),
        ("mi.base", -2, "mi.base: must be > 0"),
        ("mi.kernels", [], "mi.kernels: must name at least one kernel"),
        ("tasks.arith.sizes", {"train": 64, "eval_id": -1, "eval_ood": 32, "probe_ood": 32},
         "tasks.arith.sizes.eval_id: must be >= 0"),
        ("tasks.arith.modulus", 1, "tasks.arith.modulus: must be >= 2"),
        ("tasks.arith.noise_range", 0, "tasks.arith.noise_range: must be >= 1"),
        ("runs.r.model.n_layer", 0, "runs.r.model.n_layer: must be >= 1"),
        ("runs.r.model.n_head", 0, "runs.r.model.n_head: must be >= 1"),
        ("runs.r.model.n_positions", 0, "runs.r.model.n_positions: must be >= 1"),
        ("runs.r.training.checkpoints", [0, 20, 10], "runs.r.training.checkpoints: must be strictly increasing"),
        ("runs.r.training.checkpoints", [0, 10, 10], "runs.r.training.checkpoints: must be strictly increasing"),
        ("runs.r.training.lr", 0, "runs.r.training.lr: must be > 0"),
        ("runs.r.training.lr", -1e-3, "runs.r.training.lr: must be > 0"),
        ("runs.r.training.batch_size", 0, "runs.r.training.batch_size: must be >= 1"),
        ("runs.r.training.grad_accum", 0, "runs.r.training.grad_accum: must be >= 1"),
        ("runs.r.training.checkpoint_count", 0, "runs.r.training.checkpoint_count: must be >= 1"),
        ("runs.r.training.eval_examples", 0, "runs.r.training.eval_examples: must be >= 1"),
        ("runs.r.training.weight_decay", -0.1, "runs.r.training.weight_decay: must be >= 0"),
        ("runs.r.training.warmup_steps", -1, "runs.r.training.warmup_steps: must be >= 0"),
        ("runs.r.training.warmup_steps", 301, r"runs.r.training.warmup_steps: must be <= steps \(300\)"),
        ("runs.r.training.lora", {"alpha": 0}, "runs.r.training.lora.alpha: must be > 0"),
        ("runs.r.training.lora", {"target_modules": []}, "runs.r.training.lora.target_modules: must name"),
        ("runs.r.resources.train", {"threads": 0}, "runs.r.resources.train.threads: must be >= 1"),
        ("runs.r.resources.mi", {"mem_mb": 0}, "runs.r.resources.mi.mem_mb: must be >= 1"),
        ("runs.r.resources.probes", {"runtime": -5}, "runs.r.resources.probes.runtime: must be >= 1"),
        ("runs.r.resources.activations", {"gpu": -1}, "runs.r.resources.activations.gpu: must be >= 0"),
        ("activations.batch_size", 0, "activations.batch_size: must be >= 1"),
        ("activations.shard_mb", 0, "activations.shard_mb: must be >= 1"),
        ("activations.max_examples", 0, "activations.max_examples: must be >= 1"),
        ("activations.sites", [], "activations.sites: must name at least one site"),
        ("probes.residual_scaling.steps", 0, "probes.residual_scaling.steps: must be >= 1"),
        ("probes.residual_scaling.lr", 0, "probes.residual_scaling.lr: must be > 0"),
        ("probes.residual_scaling.eval_every", 0, "probes.residual_scaling.eval_every: must be >= 1"),
        ("probes.residual_scaling.seeds", [], "probes.residual_scaling.seeds: must name at least one seed"),
        ("probes.early_exit.batch_size", 0, "probes.early_exit.batch_size: must be >= 1"),
        ("probes.attention.max_examples", 0, "probes.attention.max_examples: must be >= 1"),
        ("probes.residual_scaling.fractions", [0.5, 0.5], "probes.residual_scaling.fractions: need 3 positive"),
        ("probes.residual_scaling.min_delta", -1.0, "probes.residual_scaling.min_delta: must be >= 0"),
        ("probes.tuned_lens.steps", 0, "probes.tuned_lens.steps: must be >= 1"),
        ("probes.tuned_lens.lr", 0, "probes.tuned_lens.lr: must be > 0"),
        ("probes.tuned_lens.seeds", [], "probes.tuned_lens.seeds: must name at least one seed"),
        ("probes.causal.max_examples", 0, "probes.causal.max_examples: must be >= 1"),
        ("probes.causal.seeds", [], "probes.causal.seeds: must name at least one seed"),
        ("figures.dpi", 0, "figures.dpi: must be >= 1"),
        ("multitoken.max_examples", 0, "multitoken.max_examples: must be >= 1"),
        ("multitoken.splits", [], "multitoken.splits: must name at least one split"),
    ],
)
def test_out_of_range_values_are_refused_naming_the_key(path, value, key):
    with pytest.raises(ConfigError, match="^" + key.replace("[", r"\[")):
        validate_config(with_change(path, value))


def test_n_samples_beyond_a_split_is_refused():
    """MI would silently fall back to every example: refuse at plan time, naming both keys."""
    data = with_change("tasks.arith.sizes", {"train": 64, "eval_id": 100, "eval_ood": 40, "probe_ood": 32})
    data["mi"] = {"n_samples": 50}
    with pytest.raises(ConfigError, match=r"^mi.n_samples: 50 is more than split eval_ood of task arith holds: 40 "
                                          r"examples \(tasks.arith.sizes.eval_ood = 40"):
        validate_config(data)
    data["mi"] = {"n_samples": 40}
    assert validate_config(data).mi.n_samples == 40
    data["activations"] = {"max_examples": 30}  # the dump caps what MI can draw from
    with pytest.raises(ConfigError, match=r"^mi.n_samples: .*activations.max_examples = 30"):
        validate_config(data)


def test_n_samples_beyond_the_multitoken_split_is_refused():
    data = copy.deepcopy(BASE)
    data["tasks"]["text"] = {"kind": "arithmetic", "continuation": {"horizon": 2},
                             "sizes": {"train": 0, "eval_id": 64, "eval_ood": 0, "probe_ood": 0}}
    data["mi"] = {"n_samples": 64}
    data["multitoken"] = {"enabled": True, "task": "text", "splits": ["eval_id"], "max_examples": 32}
    with pytest.raises(ConfigError, match=r"^mi.n_samples: 64 .* split eval_id of task text .*multitoken.max_examples = 32"):
        validate_config(data)


def test_sigma_rules_and_null_n_samples_stay_valid():
    assert validate_config(with_change("mi.sigma", "silverman")).mi.sigma == "silverman"
    assert validate_config(with_change("mi.n_samples", None)).mi.n_samples is None


def test_scratch_context_must_hold_the_arithmetic_prompt():
    data = with_change("runs.r.model.n_positions", 10)  # default task: 10 elements + 1 target
    with pytest.raises(ConfigError, match=r"^runs.r.model.n_positions: 10 positions cannot hold task arith's 10-word"):
        validate_config(data)
    assert validate_config(with_change("runs.r.model.n_positions", 11)).runs["r"].model.n_positions == 11
