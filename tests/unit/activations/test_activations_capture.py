"""Captured Z and Y equal what Hugging Face computes, for every supported family."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from inforidge import activations
from inforidge.models.modeling import load_model
from inforidge.tasks.encoding import encode_example

ARCHITECTURES = ("gpt2", "llama", "qwen2")

TOL = dict(rtol=1e-4, atol=1e-5)


def _hidden_states(model, ids: list[int]) -> tuple[torch.Tensor, ...]:
    """HF hidden states of one unpadded sequence: L + 1 tensors [S, d]."""
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids]), output_hidden_states=True)
    return tuple(h[0] for h in out.hidden_states)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_matches_hf_hidden_states_and_second_pass(
    architecture: str, checkpoint: Callable[[str], Path], frame: pd.DataFrame, tmp_path: Path
) -> None:
    ckpt = checkpoint(architecture)
    store = activations.open(activations.dump_split(ckpt, frame, tmp_path / "split", dtype="float32", batch_size=16))
    model, tokenizer = load_model(str(ckpt))
    L = store.num_layers
    assert L == 2 and store.layers("resid_post") == list(range(L + 1)) and store.layers("final_norm") == [L]
    for i, (prompt, target) in enumerate(zip(frame["prompt"], frame["target"])):
        enc = encode_example(tokenizer, prompt, target)
        last = len(enc.prompt_ids) - 1
        # The prompt alone: HF applies the final norm to hidden_states[L].
        prompt_states = _hidden_states(model, enc.prompt_ids)
        for layer in range(L):
            np.testing.assert_allclose(store.array("resid_post", layer)[i], prompt_states[layer][last], **TOL)
        np.testing.assert_allclose(store.array("final_norm", L)[i], prompt_states[L][last], **TOL)
        # Raw resid_post[L] is the last block's output without the norm.
        norm = model.base_model.ln_f if architecture == "gpt2" else model.base_model.norm
        with torch.no_grad():
            renormed = norm(torch.from_numpy(np.array(store.array("resid_post", L)[i])))
        np.testing.assert_allclose(renormed, prompt_states[L][last], **TOL)
        # Y: an explicit second pass with the target token appended, layer-0 state there.
        appended = _hidden_states(model, enc.prompt_ids + enc.target_ids[:1])
        np.testing.assert_allclose(store.target()[i], appended[0][last + 1], **TOL)
    assert store.meta["target_token_id"].tolist() == [
        encode_example(tokenizer, p, t).target_ids[0] for p, t in zip(frame["prompt"], frame["target"])
    ]


def test_gpt2_second_pass_includes_position_embedding(checkpoint: Callable[[str], Path], frame: pd.DataFrame,
                                                      tmp_path: Path) -> None:
    ckpt = checkpoint("gpt2")
    store = activations.open(activations.dump_split(ckpt, frame, tmp_path / "s", dtype="float32"))
    model, _ = load_model(str(ckpt))
    wte, wpe = model.transformer.wte.weight.detach(), model.transformer.wpe.weight.detach()
    token_ids, positions = (torch.tensor(store.meta[c].to_numpy()) for c in ("target_token_id", "prompt_tokens"))
    expected = wte[token_ids] + wpe[positions]
    np.testing.assert_allclose(store.target(), expected, **TOL)


@pytest.mark.parametrize("architecture", ["gpt2", "llama"])
def test_lookup_mode_is_the_embedding_row(architecture: str, checkpoint: Callable[[str], Path], frame: pd.DataFrame,
                                          tmp_path: Path) -> None:
    ckpt = checkpoint(architecture)
    store = activations.open(activations.dump_split(ckpt, frame, tmp_path / "s", target_mode="lookup", dtype="float32"))
    model, _ = load_model(str(ckpt))
    rows = model.get_input_embeddings().weight.detach()[torch.tensor(store.meta["target_token_id"].to_numpy())]
    np.testing.assert_array_equal(store.target(), rows.numpy())
    assert store.manifest["target_mode"] == "lookup"


@pytest.mark.parametrize("architecture", ["gpt2", "qwen2"])
def test_decode_steps_teacher_forcing(architecture: str, checkpoint: Callable[[str], Path],
                                      multi_token_frame: pd.DataFrame, tmp_path: Path) -> None:
    ckpt = checkpoint(architecture)
    steps = 3
    store = activations.open(activations.dump_split(
        ckpt, multi_token_frame, tmp_path / "s", dtype="float32", decode_steps=steps, batch_size=16))
    model, tokenizer = load_model(str(ckpt))
    n, L = len(multi_token_frame), store.num_layers
    assert store.decode_steps == steps
    for t in range(1, steps + 1):
        for site, layer in [("resid_post", l) for l in range(L + 1)] + [("final_norm", L)]:
            assert store.array(site, layer, t).shape == (n, 32)
        assert store.target(t).shape == (n, 32)
    for i in (0, 5, 17):
        enc = encode_example(tokenizer, multi_token_frame["prompt"][i], multi_token_frame["target"][i])
        assert store.meta["target_token_ids"][i].tolist() == enc.target_ids[:steps]
        for t in range(1, steps + 1):
            # Z at the position predicting target token t = last state of prompt + t − 1 targets.
            states = _hidden_states(model, enc.prompt_ids + enc.target_ids[: t - 1])
            np.testing.assert_allclose(store.array("resid_post", 1, t)[i], states[1][-1], **TOL)
            np.testing.assert_allclose(store.array("final_norm", L, t)[i], states[L][-1], **TOL)
            # Y of token t: layer-0 state when it is appended.
            appended = _hidden_states(model, enc.prompt_ids + enc.target_ids[:t])
            np.testing.assert_allclose(store.target(t)[i], appended[0][-1], **TOL)


def test_decode_steps_needs_enough_target_tokens(checkpoint: Callable[[str], Path], frame: pd.DataFrame,
                                                 tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"example_id 0: target has 1 token\(s\), decode_steps=2"):
        activations.dump_split(checkpoint("gpt2"), frame, tmp_path / "s", decode_steps=2)
    assert not (tmp_path / "s").exists()


def test_final_norm_only_site(checkpoint: Callable[[str], Path], frame: pd.DataFrame, tmp_path: Path) -> None:
    full = activations.open(activations.dump_split(checkpoint("llama"), frame, tmp_path / "a", dtype="float32"))
    only = activations.open(activations.dump_split(checkpoint("llama"), frame, tmp_path / "b", dtype="float32",
                                                   sites=("final_norm",)))
    assert only.sites == ["final_norm"]
    np.testing.assert_array_equal(only.array("final_norm", 2), full.array("final_norm", 2))
    np.testing.assert_array_equal(only.target(), full.target())
    with pytest.raises(KeyError, match="resid_post"):
        only.array("resid_post", 0)
