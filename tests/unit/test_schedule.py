"""Checkpoint and learning-rate schedules."""

import pytest

from inforidge.config import TrainingConfig
from inforidge.models.schedule import checkpoint_steps, lr_factor, previous_step


def test_log_spaced_checkpoints_start_at_zero_and_end_at_steps():
    steps = checkpoint_steps(TrainingConfig(steps=1000, checkpoint_count=4))
    assert steps == [0, 1, 10, 100, 1000]


def test_explicit_checkpoints_always_include_zero_and_end():
    assert checkpoint_steps(TrainingConfig(steps=50, checkpoints=[10, 20])) == [0, 10, 20, 50]


def test_previous_step():
    assert previous_step([0, 5, 9], 0) is None
    assert previous_step([0, 5, 9], 9) == 5


@pytest.mark.parametrize("schedule", ["cosine", "linear", "constant"])
def test_lr_warmup_then_decay(schedule):
    cfg = TrainingConfig(steps=100, warmup_steps=10, schedule=schedule)
    assert lr_factor(0, cfg) == pytest.approx(0.1)
    assert lr_factor(9, cfg) == pytest.approx(1.0)
    assert lr_factor(100, cfg) == pytest.approx(1.0 if schedule == "constant" else 0.0, abs=1e-9)
