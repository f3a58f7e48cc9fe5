"""Local dataset files of the offline mirror: each hub dataset's schema, deterministic, and
read by the real task code (the same path a user's download takes)."""

from __future__ import annotations

import pandas as pd
import pytest

from inforidge.config import TaskConfig
from inforidge.fixtures.datasets import (RELATIONS, _walk, build_datasets, clutrr_rows, cnn_dailymail_rows,
                                         ecqa_rows)
from inforidge.tasks import build_task, clutrr, ecqa


def test_rows_have_the_hub_columns_and_are_deterministic():
    assert set(clutrr.COLUMNS) <= set(clutrr_rows(10).columns)
    assert set(ecqa.COLUMNS) <= set(ecqa_rows(10).columns)
    assert list(cnn_dailymail_rows(3).columns) == ["article", "highlights", "id"]
    pd.testing.assert_frame_equal(clutrr_rows(25, seed=3), clutrr_rows(25, seed=3))
    assert not clutrr_rows(25, seed=3).equals(clutrr_rows(25, seed=4))


@pytest.mark.parametrize(("steps", "relation"), [
    (["parent", "parent"], ("grandfather", "grandmother")),
    (["parent", "sibling"], ("uncle", "aunt")),
    (["sibling", "child"], ("nephew", "niece")),
    (["child", "spouse"], ("son-in-law", "daughter-in-law")),
    (["child", "child"], ("grandson", "granddaughter")),
])
def test_chains_compose_to_the_kinship_relation(steps, relation):
    state = (0, 0, "")
    for step in steps:
        state = _walk(state, step)
    assert RELATIONS[state] == relation


def test_tasks_read_the_files(tmp_path):
    paths = build_datasets(tmp_path, scale=0.5)
    sizes = {"train": 20, "eval_id": 10, "eval_ood": 10, "probe_ood": 10}
    task = build_task(TaskConfig(kind="clutrr", dataset=str(paths["clutrr"]), sizes=sizes))
    ood = task.build_split("eval_ood")
    assert len(ood) == 10 and (ood["hops"] > 3).all()
    assert (task.build_split("eval_id")["hops"] <= 3).all()
    frame = build_task(TaskConfig(kind="ecqa", dataset=str(paths["ecqa"]), sizes=sizes)).build_split("train")
    assert set(frame["target"]) <= {" A", " B", " C", " D", " E"} and len(frame) == 20
