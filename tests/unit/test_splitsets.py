"""One dump / MI rule per distinct split list (inforidge.workflow.splitsets)."""

import re

import pytest

from inforidge.workflow.splitsets import SplitSet, split_sets


def test_runs_sharing_a_split_list_share_the_plain_rule():
    sets = split_sets({"a": ["eval_id", "eval_ood"], "b": ["eval_id", "eval_ood"]})
    assert sets == [SplitSet(("a", "b"), ("eval_id", "eval_ood"), "")]
    assert sets[0].rule("activations") == "activations" and sets[0].rule("mi") == "mi"


def test_each_further_split_list_gets_a_numbered_rule_in_config_order():
    sets = split_sets({"text": ["eval_id"], "arith": ["eval_id", "eval_ood"], "text2": ["eval_id"],
                       "ood_first": ["eval_ood", "eval_id"]})
    assert [(s.runs, s.splits, s.rule("mi")) for s in sets] == [
        (("text", "text2"), ("eval_id",), "mi"),
        (("arith",), ("eval_id", "eval_ood"), "mi_2"),
        (("ood_first",), ("eval_ood", "eval_id"), "mi_3"),
    ]


def test_the_run_pattern_matches_exactly_its_runs():
    (only,) = split_sets({"gpt2.l4": ["x"], "qwen-2": ["x"]})
    pattern = re.compile(f"(?:{only.run_pattern})")
    assert pattern.fullmatch("gpt2.l4") and pattern.fullmatch("qwen-2")
    assert not pattern.fullmatch("gpt2xl4") and not pattern.fullmatch("qwen-22")


@pytest.mark.parametrize("splits, message", [([], "no split"), (["eval_id", "eval_id"], "names a split twice")])
def test_a_run_without_splits_or_with_a_repeated_one_is_refused(splits, message):
    with pytest.raises(ValueError, match=message):
        split_sets({"r": splits})
