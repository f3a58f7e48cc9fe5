"""Causal probes: ablation matches a model with the block's update removed; patching moves the answer."""

from __future__ import annotations

import copy

import pytest
import torch

from inforidge.models.architecture import find_blocks
from inforidge.probes._batches import first_target_batches, last_prompt_logits, score
from inforidge.probes.causal import (
    ABLATION_COLUMNS,
    PATCH_COLUMNS,
    _paired_batches,
    activation_patching,
    block_ablation,
    causal_probe,
    mean_updates,
)
from inforidge.probes.registry import CausalConfig

CPU = torch.device("cpu")


def _strengthen(model) -> None:
    # Fresh blocks barely move the stream; larger weights make every block matter.
    with torch.no_grad():
        for p in find_blocks(model).parameters():
            if p.dim() == 2:
                p.mul_(10)


@pytest.mark.parametrize("architecture", ["gpt2", "llama"])
def test_zero_ablation_equals_a_block_with_no_update(make_model, frames, architecture: str) -> None:
    model, tokenizer = make_model(architecture)
    _strengthen(model)
    roles = {"id": frames["eval_id"], "ood": frames["eval_ood"]}
    table = block_ablation(model, tokenizer, roles, frames["train"], batch_size=16, device=CPU)
    assert list(table.columns) == ABLATION_COLUMNS
    assert len(table) == 2 * 2 * 2  # splits × blocks × ablations
    intact = score(model, list(first_target_batches(tokenizer, frames["eval_id"], 16, CPU)))
    for block in (1, 2):
        # Independent construction: zero the block's output projections so it adds nothing.
        silenced = copy.deepcopy(model)
        for name, p in find_blocks(silenced)[block - 1].named_parameters():
            if name.split(".")[-2] in ("c_proj", "o_proj", "down_proj"):
                torch.nn.init.zeros_(p)
        expected = score(silenced, list(first_target_batches(tokenizer, frames["eval_id"], 16, CPU)))
        row = table[(table["split"] == "id") & (table["layer"] == block) & (table["ablation"] == "zero")].iloc[0]
        assert row["loss"] == pytest.approx(expected["loss"], rel=1e-5)
        assert row["accuracy"] == pytest.approx(expected["accuracy"])
        assert row["delta_loss"] == pytest.approx(expected["loss"] - intact["loss"], rel=1e-4, abs=1e-6)


def test_mean_ablation_with_the_example_itself_as_reference_changes_nothing(make_model, frames) -> None:
    model, tokenizer = make_model()
    _strengthen(model)
    one = frames["eval_id"].head(1)
    table = block_ablation(model, tokenizer, {"id": one}, one, batch_size=1, device=CPU)
    mean = table[table["ablation"] == "mean"]
    assert mean["delta_loss"].abs().max() < 1e-4
    assert (table.loc[table["ablation"] == "zero", "delta_loss"].abs() > 1e-3).all()


def test_mean_updates_average_real_positions_only(make_model, frames) -> None:
    model, tokenizer = make_model()
    means = mean_updates(model, tokenizer, frames["train"], batch_size=16, device=CPU)
    assert means.shape == (2, 11 + 1, 32)  # 10 prompt tokens + 1 target token, plus the overall mean
    # The overall mean is the count-weighted average of the per-position means (all positions filled here).
    torch.testing.assert_close(means[:, -1], means[:, :-1].mean(dim=1), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("architecture", ["gpt2", "llama"])
def test_patching_the_last_layer_hands_over_the_source_prediction(make_model, frames, architecture: str) -> None:
    model, tokenizer = make_model(architecture)
    _strengthen(model)
    table = activation_patching(model, tokenizer, frames["eval_id"], frames["eval_ood"], batch_size=8, device=CPU,
                                seed=0)
    assert list(table.columns) == PATCH_COLUMNS
    assert table["layer"].tolist() == [1, 2]  # block outputs; resid_post[0] is not patched
    for metric in ("p_target", "logit_diff", "target_accuracy", "source_rate"):
        assert table[f"{metric}_clean"].nunique() == 1
    # resid_post[L] at the last position fixes the readout there: the patched model says what the source says.
    source_top, kept = [], 0
    for target, source in _paired_batches(tokenizer, frames["eval_id"], frames["eval_ood"], 0, 8, CPU):
        keep = target.target_first != source.target_first
        top = last_prompt_logits(model, source).argmax(-1)
        source_top.append((top == source.target_first)[keep].float())
        kept += int(keep.sum())
    assert table["n"].iloc[0] == kept
    assert table["source_rate"].iloc[-1] == pytest.approx(torch.cat(source_top).mean().item())
    assert not table["logit_diff"].equals(table["logit_diff_clean"])


def test_patching_is_deterministic_given_the_seed(make_model, frames) -> None:
    model, tokenizer = make_model()
    first = activation_patching(model, tokenizer, frames["eval_id"], frames["eval_ood"], batch_size=8, device=CPU, seed=1)
    again = activation_patching(model, tokenizer, frames["eval_id"], frames["eval_ood"], batch_size=8, device=CPU, seed=1)
    assert first.equals(again)


def test_probe_runs_ablation_and_patching_within_and_across_splits(make_model, frames) -> None:
    model, tokenizer = make_model()
    settings = CausalConfig(batch_size=16, max_examples=16, seeds=[0, 1])
    roles = {"id": frames["eval_id"], "ood": frames["eval_ood"]}
    ablation, patching = causal_probe(model, tokenizer, roles, frames["train"], settings, device=CPU)
    assert set(ablation["split"]) == {"id", "ood"} and (ablation["n"] == 16).all()
    assert set(zip(patching["target_split"], patching["source_split"])) == {("id", "ood"), ("ood", "id"),
                                                                            ("id", "id"), ("ood", "ood")}
    assert sorted(patching["seed"].unique()) == [0, 1]
    assert len(patching) == 2 * 4 * 2  # seeds × directions × layers 1..2
    within = patching[patching["target_split"] == patching["source_split"]]
    assert (within["n"] > 0).all() and (within["n"] < 16).all()  # self-pairs and same-answer pairs dropped
