"""The two-phase regime's task setting (``train_moduli``) and its config (configs/two-phase.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from inforidge.config import ConfigError, TaskConfig, load_config
from inforidge.core.configschema import build
from inforidge.tasks import build_task, word_vocabulary

SIZES = {"train": 400, "eval_id": 64, "eval_ood": 64, "probe_ood": 64}
BROAD = list(range(5, 26))
REPO = Path(__file__).resolve().parents[2]


def test_train_moduli_widen_only_the_train_split():
    broad = build_task(TaskConfig(kind="arithmetic", sizes=SIZES, train_moduli=BROAD))
    narrow = build_task(TaskConfig(kind="arithmetic", sizes=SIZES))
    assert set(broad.build_split("train")["modulus"]) == set(BROAD)  # 400 draws over 21 moduli: every one
    assert set(narrow.build_split("train")["modulus"]) == {13}
    for split in ("eval_id", "eval_ood", "probe_ood"):  # phase two is evaluated on exactly phase one's rows
        assert broad.build_split(split).equals(narrow.build_split(split)), split


def test_train_rows_follow_their_own_modulus():
    frame = build_task(TaskConfig(kind="arithmetic", sizes=SIZES, train_moduli=[7, 19])).build_split("train")
    for row in frame.itertuples():
        signals = [int(w) for w in row.prompt.split()[0::2]]
        assert all(s < row.modulus for s in signals)
        assert int(row.answer) == (signals[-1] + row.step) % row.modulus


def test_the_broad_vocabulary_covers_the_narrow_task():
    """Phase two keeps phase one's word-level tokenizer: every word it meets must be in it."""
    broad = build_task(TaskConfig(kind="arithmetic", sizes=SIZES, train_moduli=BROAD))
    narrow = build_task(TaskConfig(kind="arithmetic", sizes=SIZES))
    words = set(word_vocabulary([broad.build_split(s) for s in broad.split_names()]))
    assert set(word_vocabulary([narrow.build_split(s) for s in narrow.split_names()])) <= words
    assert set(broad.vocabulary()) >= {str(k - 1) for k in BROAD}


@pytest.mark.parametrize(("settings", "message"), [
    ({"train_moduli": [5, 1]}, r"tasks\.broad\.train_moduli\[1\]: must be >= 2"),
    ({"train_moduli": [5, 5]}, r"tasks\.broad\.train_moduli: must not repeat"),
    ({"train_moduli": [60], "alphabet": "letters", "noise_range": 26}, "alphabet 'letters'.*train_moduli need 60"),
    ({"kind": "recall", "train_moduli": [5]}, "train_moduli: a key of task kind 'arithmetic'"),
])
def test_bad_train_moduli_are_named(settings, message):
    """Refused when the config is read, before any job runs, naming the key."""
    with pytest.raises(ConfigError, match=message):
        build(TaskConfig, {"kind": "arithmetic", **settings}, "tasks.broad")


def test_the_two_phase_config_chains_phase_two_to_phase_ones_last_checkpoint():
    cfg = load_config(REPO / "configs" / "two-phase.yaml")
    (broad_name, broad), (narrow_name, narrow) = cfg.runs.items()
    assert narrow.model.source == "run" and narrow.model.run == broad_name
    assert narrow.model.step == broad.training.steps == max(broad.training.checkpoints)
    assert cfg.tasks[broad.task].train_moduli and not cfg.tasks[narrow.task].train_moduli
    assert cfg.tasks[broad.task].ood_moduli == cfg.tasks[narrow.task].ood_moduli
    # The ridge test needs >= 5 replicates: the tuned lens gets 5 fit seeds, MI 8 subsample seeds.
    assert len(cfg.probes.tuned_lens.seeds) >= 5 and len(cfg.mi.seeds) >= 5
