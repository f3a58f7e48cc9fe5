"""Attention mass: a partition of the last position's attention row."""

from __future__ import annotations

import pytest
import torch

from inforidge.probes.attention import attention_mass, signal_token_positions

CPU = torch.device("cpu")
COLUMNS = ["split", "layer", "signal_mass", "last_mass", "other_mass", "n"]


@pytest.mark.parametrize("architecture", ["gpt2", "llama", "qwen2"])
def test_masses_partition_the_attention_row(make_model, frames, architecture: str) -> None:
    model, tokenizer = make_model(architecture)
    roles = {"id": frames["eval_id"], "ood": frames["eval_ood"]}
    table = attention_mass(model, tokenizer, roles, batch_size=16, device=CPU)
    assert list(table.columns) == COLUMNS
    assert list(table["split"]) == ["id", "id", "ood", "ood"]
    assert list(table["layer"]) == [1, 2, 1, 2]
    assert (table["n"] == 32).all()
    masses = table[["signal_mass", "last_mass", "other_mass"]]
    assert ((masses >= 0) & (masses <= 1)).all().all()
    # In the arithmetic task the last prompt word is noise, never a signal.
    assert masses.sum(axis=1).tolist() == pytest.approx([1.0] * 4, abs=1e-5)


def test_uniform_attention_gives_token_fractions(make_model, frames) -> None:
    # Zero query/key/value projections make every score equal, so the last of the 10
    # prompt tokens attends 1/10 to each: 5 signal tokens, itself, 4 other noise tokens.
    model, tokenizer = make_model("gpt2")
    with torch.no_grad():
        for block in model.transformer.h:
            block.attn.c_attn.weight.zero_()
            block.attn.c_attn.bias.zero_()
    table = attention_mass(model, tokenizer, {"id": frames["eval_id"]}, batch_size=7, device=CPU)
    for column, expected in (("signal_mass", 0.5), ("last_mass", 0.1), ("other_mass", 0.4)):
        assert table[column].tolist() == pytest.approx([expected] * 2, abs=1e-6)


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
