"""Y without a position confound: with variable prompt lengths, `auto` picks the lookup target,
and position alone then adds nothing above the permutation null (a second-pass Y would)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from inforidge import activations
from inforidge.activations import dump_split
from inforidge.mi import permutation_null


@pytest.fixture(scope="module")
def variable_length(tmp_path_factory, tiny_task, tiny_gpt2):
    # Arithmetic prompts cut to 2..10 words at random: the length is independent of the target.
    frame = tiny_task.build_split("train").copy()
    words = np.random.default_rng(0).integers(2, 11, size=len(frame))
    frame["prompt"] = [" ".join(p.split()[:k]) for p, k in zip(frame["prompt"], words)]
    root = tmp_path_factory.mktemp("position")
    checkpoint = root / "step-0"
    for part in tiny_gpt2:
        part.save_pretrained(checkpoint)
    dumps = {mode: dump_split(checkpoint, frame, root / mode, target_mode=mode, dtype="float32", device="cpu",
                              sites=("final_norm",)) for mode in ("auto", "second_pass")}
    return dumps


def position_test(manifest):
    store = activations.open(manifest)
    length = store.meta["prompt_tokens"].to_numpy()
    position = np.eye(length.max() + 1)[length]  # Z = the target's position alone, one-hot (N, P)
    return permutation_null(position, store.target(), permutations=49, seed=0)


def test_auto_target_is_lookup_for_variable_prompt_lengths(variable_length, tiny_task, tmp_path, tiny_gpt2):
    assert json.loads(variable_length["auto"].read_text())["target_mode"] == "lookup"
    checkpoint = tmp_path / "step-0"
    for part in tiny_gpt2:
        part.save_pretrained(checkpoint)
    fixed = dump_split(checkpoint, tiny_task.build_split("eval_id"), tmp_path / "fixed", target_mode="auto",
                       dtype="float32", device="cpu", sites=("final_norm",))
    assert json.loads(fixed.read_text())["target_mode"] == "second_pass"  # fixed-length synthetic task


def test_position_alone_adds_nothing_above_the_null_with_the_default_target(variable_length):
    lookup = position_test(variable_length["auto"])
    assert lookup.p_value > 0.05 and abs(lookup.z) < 3
    # The confound the default removes: the second-pass Y carries the position.
    second = position_test(variable_length["second_pass"])
    assert second.p_value == pytest.approx(1 / 50) and second.z > 5
