"""Tuned lens: starts as the logit lens, learns to match the final layer on data it was not trained on."""

from __future__ import annotations

import pytest
import torch

from inforidge.models.architecture import find_blocks
from inforidge.probes.early_exit import early_exit
from inforidge.probes.registry import TunedLensConfig
from inforidge.probes.tuned_lens import (
    LENS_COLUMNS,
    TunedLens,
    _kl_to_final_backward,
    _validation_check,
    final_statistics,
    last_position_states,
    lens_readout,
    train_tuned_lens,
    tuned_lens_probe,
)
from inforidge.tasks.arithmetic import ArithmeticTask

CPU = torch.device("cpu")


def _states(model, tokenizer, frames):
    train = last_position_states(model, tokenizer, frames["train"], batch_size=16, device=CPU)
    evals = {"id": last_position_states(model, tokenizer, frames["eval_id"], batch_size=16, device=CPU)}
    return train, evals


@pytest.mark.parametrize("architecture", ["gpt2", "llama"])
def test_untrained_lens_is_the_logit_lens(make_model, frames, architecture: str) -> None:
    model, tokenizer = make_model(architecture)
    train, evals = _states(model, tokenizer, frames)
    lens, _ = train_tuned_lens(model, train, steps=0)
    table = lens_readout(lens, evals)
    assert list(table.columns) == LENS_COLUMNS
    logit, tuned = (table[table["lens"] == kind].reset_index(drop=True) for kind in ("logit", "tuned"))
    for column in ("accuracy", "loss", "kl_to_final"):
        assert tuned[column].tolist() == pytest.approx(logit[column].tolist(), rel=1e-6)
    reference = early_exit(model, tokenizer, {"id": frames["eval_id"]}, batch_size=16, device=CPU)
    assert logit["accuracy"].tolist() == pytest.approx(reference["accuracy"].tolist())
    assert logit["loss"].tolist() == pytest.approx(reference["loss"].tolist(), rel=1e-5)
    assert logit["kl_to_final"].iloc[-1] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("architecture", ["gpt2", "qwen2"])
def test_trained_lens_moves_toward_the_final_layer_on_held_out_data(make_model, task, frames, architecture: str) -> None:
    model, tokenizer = make_model(architecture, n_layer=3)
    with torch.no_grad():  # a freshly initialised block barely moves the stream: give each layer a real update
        for p in find_blocks(model).parameters():
            if p.dim() == 2:
                p.mul_(10)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    # 64 training examples would be overfitted by 3 × d(d+1) parameters: draw 1024.
    big = ArithmeticTask(13, tuple(k for k in range(5, 26) if k != 13), 10, 100, {**task.sizes, "train": 1024}, 1)
    train = last_position_states(model, tokenizer, big.build_split("train"), batch_size=256, device=CPU)
    evals = {"id": last_position_states(model, tokenizer, frames["eval_id"], batch_size=16, device=CPU)}
    lens, history = train_tuned_lens(model, train, steps=150, lr=1e-2, batch_size=256, seed=0)
    assert history["kl"].iloc[-10:].mean() < history["kl"].iloc[:10].mean()
    table = lens_readout(lens, evals).set_index(["lens", "layer"])
    for layer in range(3):  # translated layers; layer 3 = L is the model itself
        assert table.loc[("tuned", layer), "kl_to_final"] < table.loc[("logit", layer), "kl_to_final"]
    assert table.loc[("tuned", 3), "loss"] == pytest.approx(table.loc[("logit", 3), "loss"])
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.requires_grad for p in model.parameters())
    assert not any(p is q for p in lens.parameters() for q in model.parameters())


def test_probe_trains_one_lens_per_seed(make_model, frames) -> None:
    model, tokenizer = make_model()
    settings = TunedLensConfig(steps=5, seeds=[0, 1], max_train_examples=32)
    readout, history = tuned_lens_probe(model, tokenizer, frames["train"], {"id": frames["eval_id"]}, settings,
                                        batch_size=16, device=CPU)
    assert sorted(readout["seed"].unique()) == [0, 1]
    assert len(readout) == 2 * 2 * 3  # seeds × lenses × layers 0..2
    assert len(history) == 2 * 5
    tuned = readout[readout["lens"] == "tuned"].pivot(index="layer", columns="seed", values="loss")
    assert not tuned[0].equals(tuned[1])  # the seeds drew different batches


def test_lens_trains_on_a_bf16_model(make_model, frames) -> None:
    """Real checkpoints load in bf16 (paper.yaml's Llama): translators stay float32, the readout casts."""
    model, tokenizer = make_model("llama")
    model = model.to(torch.bfloat16)
    settings = TunedLensConfig(steps=3, seeds=[0], max_train_examples=32)
    readout, history = tuned_lens_probe(model, tokenizer, frames["train"], {"id": frames["eval_id"]}, settings,
                                        batch_size=16, device=CPU)
    assert history["kl"].notna().all() and readout["loss"].notna().all()
    assert all(p.dtype == torch.float32 for p in train_tuned_lens(model, last_position_states(
        model, tokenizer, frames["train"].head(8), batch_size=8, device=CPU), steps=1)[0].parameters())


@pytest.mark.parametrize("architecture", ["gpt2", "llama"])
def test_kl_from_final_statistics_equals_the_direct_kl(make_model, frames, architecture: str) -> None:
    # KL(p_final ‖ p_l) through E_{p_final}[W_v] and Σ p log p (computed once) is the
    # divergence computed from both full distributions: value and gradient.
    model, tokenizer = make_model(architecture)
    train, _ = _states(model, tokenizer, frames)
    hidden = train.hidden[:40]
    lens = TunedLens(model, hidden.shape[1] - 1, hidden.shape[2])
    with torch.no_grad():
        for translator in lens.translators:
            translator.weight.normal_(std=0.3)
            translator.bias.normal_(std=0.3)
    model.requires_grad_(False)
    value = _kl_to_final_backward(lens, hidden, final_statistics(lens, hidden))
    grads = [p.grad.clone() for p in lens.parameters()]
    lens.zero_grad()
    final = torch.log_softmax(lens.logits(hidden[:, -1], hidden.shape[1] - 1, tuned=False), -1)
    direct = torch.stack([torch.nn.functional.kl_div(torch.log_softmax(lens.logits(hidden[:, l], l), -1), final,
                                                     log_target=True, reduction="batchmean")
                          for l in range(len(lens.translators))]).mean()
    direct.backward()
    assert value == pytest.approx(direct.item(), rel=1e-4, abs=1e-6)
    for got, want in zip(grads, (p.grad for p in lens.parameters())):
        torch.testing.assert_close(got, want, rtol=1e-3, atol=1e-6)


def test_training_length_is_chosen_on_validation_states(make_model, frames) -> None:
    model, tokenizer = make_model()
    train, evals = _states(model, tokenizer, frames)
    # lr 0.3 overshoots: validation KL rises after a while, and the lens of the best check is kept
    lens, history = train_tuned_lens(model, train, steps=40, lr=0.3, batch_size=16, seed=0,
                                     validation=evals["id"], eval_every=5)
    checks = history.dropna(subset=["val_kl"])
    assert checks["opt_step"].tolist() == list(range(5, 41, 5))
    assert lens.steps_chosen in [0, *checks["opt_step"]]
    best = checks.set_index("opt_step")["val_kl"]
    kept = _validation_check(lens, evals["id"], CPU)()
    if lens.steps_chosen:
        assert kept == pytest.approx(best.min(), rel=1e-6) and best.min() <= best.iloc[-1]


def test_probe_reports_the_chosen_length(make_model, frames) -> None:
    model, tokenizer = make_model()
    settings = TunedLensConfig(steps=6, seeds=[0], max_train_examples=40, eval_every=2, validation_fraction=0.25)
    readout, history = tuned_lens_probe(model, tokenizer, frames["train"], {"id": frames["eval_id"]}, settings,
                                        batch_size=16, device=CPU)
    assert (readout.loc[readout["lens"] == "logit", "steps_chosen"] == 0).all()
    assert readout.loc[readout["lens"] == "tuned", "steps_chosen"].isin([0, 2, 4, 6]).all()
    assert history["val_kl"].notna().sum() == 3
