"""Early exit: the last layer reproduces the model's own evaluation."""

from __future__ import annotations

import pytest
import torch

from inforidge.models.evaluation import evaluate_split
from inforidge.probes.early_exit import early_exit, residual_stream

CPU = torch.device("cpu")


@pytest.mark.parametrize("architecture", ["gpt2", "llama"])
def test_last_layer_matches_the_model(make_model, frames, architecture: str) -> None:
    model, tokenizer = make_model(architecture, n_layer=3)
    roles = {"id": frames["eval_id"], "ood": frames["eval_ood"]}
    table = early_exit(model, tokenizer, roles, batch_size=16, device=CPU)
    assert list(table.columns) == ["split", "layer", "accuracy", "loss", "n"]
    for role, frame in roles.items():
        rows = table[table["split"] == role]
        assert list(rows["layer"]) == [0, 1, 2, 3]
        assert (rows["n"] == len(frame)).all()
        own = evaluate_split(model, tokenizer, frame, batch_size=16, device=CPU)
        last = rows[rows["layer"] == 3].iloc[0]
        assert last["accuracy"] == own["accuracy"]
        assert last["loss"] == pytest.approx(own["loss"], rel=1e-5)
    assert table["accuracy"].between(0, 1).all()
    assert (table["loss"] > 0).all()


def test_layers_differ_and_batching_does_not_matter(make_model, frames) -> None:
    model, tokenizer = make_model()
    roles = {"id": frames["eval_id"]}
    small = early_exit(model, tokenizer, roles, batch_size=5, device=CPU)
    large = early_exit(model, tokenizer, roles, batch_size=32, device=CPU)
    assert small["accuracy"].tolist() == large["accuracy"].tolist()
    assert small["loss"].tolist() == pytest.approx(large["loss"].tolist(), rel=1e-5)
    assert small["loss"].nunique() == 3  # each layer is a different readout


def test_residual_stream_has_every_layer_and_unhooks(make_model, frames) -> None:
    model, tokenizer = make_model(n_layer=3)
    inputs = tokenizer(list(frames["eval_id"]["prompt"][:4]), return_tensors="pt", padding=True)
    with torch.no_grad(), residual_stream(model) as stream:
        model(**inputs)
        assert len(stream) == 4
        assert all(h.shape == (4, inputs["input_ids"].shape[1], 32) for h in stream)
    assert not any(block._forward_hooks or block._forward_pre_hooks for block in model.transformer.h)
