"""The synthetic arithmetic-progression task."""

import pytest

from inforidge.tasks import build_task, word_vocabulary
from inforidge.config import TaskConfig
from inforidge.tasks.base import SPLIT_COLUMNS


def test_splits_are_deterministic_and_distinct(tiny_task):
    a, b = tiny_task.build_split("eval_id"), tiny_task.build_split("eval_id")
    assert a.equals(b)
    assert not a["prompt"].equals(tiny_task.build_split("train")["prompt"].head(len(a)))


def test_progression_and_target(tiny_task):
    for split in tiny_task.split_names():
        frame = tiny_task.build_split(split)
        assert set(SPLIT_COLUMNS) <= set(frame.columns)
        for row in frame.itertuples():
            words = [int(w) for w in row.prompt.split(" ")]
            signals = words[0::2]
            k, step = row.modulus, row.step
            assert all((b - a) % k == step % k for a, b in zip(signals, signals[1:]))
            assert int(row.answer) == (signals[-1] + step) % k
            assert row.target == f" {row.answer}"
            assert list(row.signal_positions) == [0, 2, 4, 6, 8]


def test_id_and_ood_moduli(tiny_task):
    assert set(tiny_task.build_split("eval_id")["modulus"]) == {13}
    ood = set(tiny_task.build_split("eval_ood")["modulus"])
    assert 13 not in ood and ood <= set(range(5, 26))


def test_unknown_split_is_named(tiny_task):
    with pytest.raises(ValueError, match="unknown split 'test'"):
        tiny_task.build_split("test")


def test_build_task_from_config_and_vocabulary():
    task = build_task(TaskConfig(kind="arithmetic", sizes={"train": 8, "eval_id": 4, "eval_ood": 4, "probe_ood": 4}))
    frames = [task.build_split(s) for s in task.split_names()]
    vocab = word_vocabulary(frames)
    assert set(vocab) <= set(task.vocabulary())
