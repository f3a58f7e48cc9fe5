"""The kernel registry ties config validation, the estimator and the Gram functions together."""

from __future__ import annotations

import typing

import numpy as np
import pytest
import torch

from inforidge.config import MIConfig, validate_config
from inforidge.core.configschema import ConfigError
from inforidge.mi import EstimatorSettings, kernels, mutual_information
from inforidge.mi.registry import KERNELS, LAYER_KERNELS, kernel_spec
from inforidge.mi.stage import estimator_settings


def test_every_registered_kernel_has_a_gram_function():
    x = torch.tensor(np.random.default_rng(0).normal(size=(6, 3)))
    for name in KERNELS.names():
        k = kernels.gram(x, name, 1.3)
        assert k.shape == (6, 6) and torch.allclose(k, k.T)


def test_config_allows_exactly_the_registered_layer_kernels():
    allowed = typing.get_args(typing.get_args(typing.get_type_hints(MIConfig)["kernels"])[0])
    assert tuple(allowed) == LAYER_KERNELS == tuple(s.name for s in KERNELS if not s.labels)
    base = {"tasks": {"t": {"kind": "arithmetic"}}, "runs": {"r": {"task": "t"}}}
    assert validate_config({**base, "mi": {"kernels": list(LAYER_KERNELS)}}).mi.kernels == list(LAYER_KERNELS)
    with pytest.raises(ConfigError, match=r"mi\.kernels\[0\]"):
        validate_config({**base, "mi": {"kernels": ["delta"]}})
    with pytest.raises(ConfigError, match=r"mi\.kernels\[0\]"):
        validate_config({**base, "mi": {"kernels": ["cosine"]}})


def test_unknown_kernel_is_refused_by_settings_and_spec():
    with pytest.raises(ValueError, match="unknown kernel 'cosine'"):
        EstimatorSettings(kernel="cosine")
    with pytest.raises(ValueError, match="unknown kernel"):
        kernel_spec("cosine")


def test_sigma_sweep_gives_one_settings_per_bandwidth_kernel_and_sigma():
    mi = MIConfig(kernels=["gaussian", "linear"], sigma=[0.5, 1.0, "median"])
    got = [(s.z_kernel.name, s.sigma) for s in estimator_settings(mi)]
    assert got == [("gaussian", 0.5), ("gaussian", 1.0), ("gaussian", "median"), ("linear", 0.5)]
    # The name is looked up once: the settings hold the kernel's spec.
    assert all(s.kernel is kernel_spec(s.z_kernel.name) for s in estimator_settings(mi))
    with pytest.raises(ValueError, match="empty list"):
        MIConfig(sigma=[])
    with pytest.raises(ValueError, match="must be > 0"):
        MIConfig(sigma=[1.0, -2.0])


def test_sigma_is_validated_once_by_the_bandwidth_type():
    assert EstimatorSettings(sigma=2).sigma == 2.0 and EstimatorSettings(sigma="silverman").sigma == "silverman"
    for bad in (0, -1.0, float("inf"), "wide", True):
        with pytest.raises(ValueError, match="sigma"):
            EstimatorSettings(sigma=bad)


def test_only_a_feature_map_kernel_takes_the_low_rank_path():
    assert [s.name for s in KERNELS if s.feature_map] == ["linear"]


def test_sigma_reaches_the_kernel():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(40, 3))
    y = z[:, :2] + 0.3 * rng.normal(size=(40, 2))
    values = [mutual_information(z, y, EstimatorSettings(sigma=s, normalize=None)) for s in (0.3, 1.0, 3.0)]
    assert len(set(np.round(values, 6))) == 3
