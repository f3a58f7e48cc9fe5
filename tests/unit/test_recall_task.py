"""The recall task kind, added through the task registry (docs/extending.md)."""

from __future__ import annotations

import pytest

from inforidge.config import TaskConfig, validate_config
from inforidge.core.configschema import ConfigError
from inforidge.tasks import build_task
from inforidge.tasks.registry import TASK_KINDS

SIZES = {"train": 64, "eval_id": 32, "eval_ood": 32, "probe_ood": 16}


def test_recall_is_registered_and_validated_from_config():
    assert "recall" in TASK_KINDS
    cfg = validate_config({"tasks": {"r": {"kind": "recall", "max_pairs": 6}}, "runs": {"a": {"task": "r"}}})
    assert cfg.tasks["r"].settings.max_pairs == 6
    with pytest.raises(ConfigError, match="tasks.r: modulus: a key of task kind 'arithmetic', not of 'recall'"):
        validate_config({"tasks": {"r": {"kind": "recall", "modulus": 5}}, "runs": {"a": {"task": "r"}}})
    with pytest.raises(ConfigError, match="max_id_pairs < max_pairs"):
        validate_config({"tasks": {"r": {"kind": "recall", "max_pairs": 4}}, "runs": {"a": {"task": "r"}}})


def test_splits_bind_the_queried_value_and_separate_context_lengths():
    task = build_task(TaskConfig(kind="recall", sizes=SIZES, seed=3))
    for split, (low, high) in {"train": (2, 4), "eval_id": (2, 4), "eval_ood": (5, 8), "probe_ood": (5, 8)}.items():
        frame = task.build_split(split)
        assert len(frame) == SIZES[split] and frame["pairs"].between(low, high).all(), split
        for row in frame.itertuples():
            words = row.prompt.split()
            key_at, value_at, query_at = row.signal_positions
            assert words[query_at] == words[key_at] and words[value_at] == row.answer == row.target.strip()
            assert words[-2] == "?" and len(set(words[0:-2:2])) == row.pairs  # keys distinct
    assert task.build_split("eval_id").equals(task.build_split("eval_id"))  # deterministic
