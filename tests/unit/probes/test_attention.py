"""Attention mass: a partition of the last position's attention row, the sink (position 0) apart."""

from __future__ import annotations

import pytest
import torch

from inforidge.probes.attention import attention_mass, signal_token_positions

CPU = torch.device("cpu")
COLUMNS = ["split", "layer", "sink_mass", "signal_mass", "last_mass", "other_mass", "sink_is_signal", "n"]
MASSES = ["sink_mass", "signal_mass", "last_mass", "other_mass"]


@pytest.mark.parametrize("architecture", ["gpt2", "llama", "qwen2"])
def test_masses_partition_the_attention_row(make_model, frames, architecture: str) -> None:
    model, tokenizer = make_model(architecture)
    roles = {"id": frames["eval_id"], "ood": frames["eval_ood"]}
    table = attention_mass(model, tokenizer, roles, batch_size=16, device=CPU)
    assert list(table.columns) == COLUMNS
    assert list(table["split"]) == ["id", "id", "ood", "ood"]
    assert list(table["layer"]) == [1, 2, 1, 2]
    assert (table["n"] == 32).all()
    masses = table[MASSES]
    assert ((masses >= 0) & (masses <= 1)).all().all()
    # In the arithmetic task the last prompt word is noise, never a signal.
    assert masses.sum(axis=1).tolist() == pytest.approx([1.0] * 4, abs=1e-5)


def _uniform_attention_model(make_model):
    # Zero query/key/value projections make every score equal, so the last of the 10
    # prompt tokens attends 1/10 to each.
    model, tokenizer = make_model("gpt2")
    with torch.no_grad():
        for block in model.transformer.h:
            block.attn.c_attn.weight.zero_()
            block.attn.c_attn.bias.zero_()
    return model, tokenizer


def test_uniform_attention_counts_position_zero_as_sink_not_signal(make_model, frames) -> None:
    # In the arithmetic task position 0 is the first signal word (signals at 0, 2, 4, 6, 8):
    # it is the sink, reported apart, and signal mass covers the other 4 signal tokens.
    model, tokenizer = _uniform_attention_model(make_model)
    frame = frames["eval_id"]
    assert all(0 in list(words) for words in frame["signal_positions"])
    table = attention_mass(model, tokenizer, {"id": frame}, batch_size=7, device=CPU)
    expected = {"sink_mass": 0.1, "signal_mass": 0.4, "last_mass": 0.1, "other_mass": 0.4, "sink_is_signal": 1.0}
    for column, value in expected.items():
        assert table[column].tolist() == pytest.approx([value] * 2, abs=1e-6)


def test_sink_is_reported_when_position_zero_is_noise(make_model, frames) -> None:
    model, tokenizer = _uniform_attention_model(make_model)
    frame = frames["eval_id"].assign(signal_positions=[[2, 4, 6, 8]] * len(frames["eval_id"]))
    table = attention_mass(model, tokenizer, {"id": frame}, batch_size=7, device=CPU)
    expected = {"sink_mass": 0.1, "signal_mass": 0.4, "last_mass": 0.1, "other_mass": 0.4, "sink_is_signal": 0.0}
    for column, value in expected.items():
        assert table[column].tolist() == pytest.approx([value] * 2, abs=1e-6)


def test_original_attention_kernel_is_restored(make_model, frames) -> None:
    model, tokenizer = make_model("llama")
    kernel = model.config._attn_implementation
    attention_mass(model, tokenizer, {"id": frames["eval_id"].head(4)}, batch_size=4, device=CPU)
    assert model.config._attn_implementation == kernel


def test_signal_words_map_to_tokens(make_model, frames) -> None:
    # The word-level tokenizer has one token per word, so token and word indices agree.
    _, tokenizer = make_model()
    frame = frames["eval_ood"]
    positions = signal_token_positions(tokenizer, frame)
    assert positions == [list(words) for words in frame["signal_positions"]]
