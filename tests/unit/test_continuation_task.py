"""Multi-token continuation tasks: arithmetic progressions continued, text references truncated."""

import pandas as pd
import pytest

from inforidge.config import ContinuationConfig, TaskConfig, validate_config
from inforidge.core.configschema import ConfigError
from inforidge.tasks import build_task
from inforidge.tasks.base import SPLIT_COLUMNS

SIZES = {"train": 16, "eval_id": 12, "eval_ood": 12, "probe_ood": 8}


def arithmetic(horizon: int, targets: str = "signals"):
    return build_task(TaskConfig(kind="arithmetic", sizes=SIZES,
                                 continuation=ContinuationConfig(horizon=horizon, targets=targets)))


def test_signals_continue_the_progression_with_the_same_prompts():
    plain = build_task(TaskConfig(kind="arithmetic", sizes=SIZES)).build_split("eval_ood")
    frame = arithmetic(5).build_split("eval_ood")
    assert set(SPLIT_COLUMNS) <= set(frame.columns)
    assert frame["prompt"].equals(plain["prompt"])
    assert frame["answer"].equals(plain["answer"])  # first-token machinery keeps its meaning
    for row in frame.itertuples():
        words = [int(w) for w in row.target.split()]
        assert row.target.startswith(" ") and len(words) == 5
        assert words == [(row.start + (5 + t) * row.step) % row.modulus for t in range(5)]


def test_interleaved_alternates_signal_and_noise():
    frame = arithmetic(5, "interleaved").build_split("eval_id")
    for row in frame.itertuples():
        words = [int(w) for w in row.target.split()]
        assert len(words) == 5
        assert words[0::2] == [(row.start + (5 + t) * row.step) % 13 for t in range(3)]
        assert all(0 <= w < 100 for w in words[1::2])
    assert frame.equals(arithmetic(5, "interleaved").build_split("eval_id"))  # deterministic


def test_text_continuation_truncates_and_drops_short_references(tmp_path):
    rows = [{"article": " ".join(f"a{i}w{j}" for j in range(30)), "highlights": " ".join(f"h{i}w{j}" for j in range(3 + i % 6))}
            for i in range(60)]
    path = tmp_path / "news.jsonl"
    pd.DataFrame(rows).to_json(path, orient="records", lines=True)
    cfg = TaskConfig(kind="text", dataset=str(path), columns={"prompt": "article", "target": "highlights"},
                     sizes={"train": 10, "eval_id": 8, "eval_ood": 0, "probe_ood": 0},
                     continuation=ContinuationConfig(horizon=5, max_prompt_words=6, prompt_suffix=" TL;DR:",
                                                     max_target_words=7))
    task = build_task(cfg)
    assert task.split_names() == ["train", "eval_id"] and task.eval_splits == {"id": "eval_id"}
    frame = task.build_split("eval_id")
    assert len(frame) == 8
    for row in frame.itertuples():
        assert row.prompt.endswith(" TL;DR:") and len(row.prompt.split()) == 7
        assert 5 <= len(row.target.split()) <= 7 and row.target.startswith(" ")
        assert row.answer == row.target.split()[0]
    assert set(frame["example_id"]).isdisjoint(task.build_split("train")["example_id"])


def test_text_continuation_needs_long_enough_references(tmp_path):
    path = tmp_path / "short.csv"
    pd.DataFrame({"p": ["a b", "c d"], "t": ["x", "y z"]}).to_csv(path, index=False)
    task = build_task(TaskConfig(kind="text", dataset=str(path), columns={"prompt": "p", "target": "t"},
                                 continuation=ContinuationConfig(horizon=3)))
    with pytest.raises(ValueError, match="continuation.horizon=3"):
        task.build_split("eval_id")


def test_config_errors_name_the_key():
    base = {"runs": {"r": {"task": "a"}}}
    with pytest.raises(ConfigError, match="continuation.horizon must be >= 1"):
        validate_config({**base, "tasks": {"a": {"kind": "arithmetic", "continuation": {"horizon": 0}}}})
    with pytest.raises(ConfigError, match=r"tasks\.a\.continuation\.targets"):
        validate_config({**base, "tasks": {"a": {"kind": "arithmetic", "continuation": {"targets": "all"}}}})
    with pytest.raises(ValueError, match="not supported for task kind 'ecqa'"):
        build_task(TaskConfig(kind="ecqa", continuation=ContinuationConfig()))
