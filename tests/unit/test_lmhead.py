"""The LM head on read positions only gives the full-logits results, on every family.

Models are scratch-built at the real vocabulary sizes (GPT-2 50257, Llama 3 128256,
Qwen2 151936) with a word tokenizer padded to that size, so the head is as wide as in the
real models; depth and width stay tiny.
"""

from __future__ import annotations

import functools

import pandas as pd
import pytest
import torch

from inforidge.config import LoraSettings, ModelConfig
from inforidge.models.batching import encode_frame, gather_positions, iterate_batches
from inforidge.models.evaluation import evaluate_split
from inforidge.models.lmhead import last_prompt_head_inputs, last_prompt_logits, logits_at, target_token_loss
from inforidge.models.modeling import add_lora, build_scratch_model, enable_gradient_checkpointing
from inforidge.models.tokenization import build_word_tokenizer
from inforidge.tasks.arithmetic import ArithmeticTask

REAL_VOCAB = {"gpt2": 50257, "llama": 128256, "qwen2": 151936}
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def task() -> ArithmeticTask:
    sizes = {"train": 32, "eval_id": 24, "eval_ood": 24, "probe_ood": 8}
    return ArithmeticTask(13, tuple(k for k in range(5, 26) if k != 13), 10, 100, sizes, 0)


@functools.cache
def _tokenizer(words: tuple[str, ...], size: int):
    filler = [f"w{i:06d}" for i in range(size)]
    tokenizer = build_word_tokenizer([*words, *filler])
    return build_word_tokenizer([*words, *filler[: size - (len(tokenizer) - size)]])


def _model(task: ArithmeticTask, architecture: str, lora: bool = False):
    tokenizer = _tokenizer(tuple(task.vocabulary()), REAL_VOCAB[architecture])
    assert len(tokenizer) == REAL_VOCAB[architecture]
    model = build_scratch_model(ModelConfig(architecture=architecture, n_layer=2, n_embd=32, n_head=2), tokenizer, 0)
    if lora:
        # dropout 0 so train-mode forwards are deterministic and comparable
        model = add_lora(model, LoraSettings(r=4, alpha=8.0, dropout=0.0), seed=0)
    return model, tokenizer


def _batch(task: ArithmeticTask, tokenizer, split: str = "train", n: int = 8):
    examples = encode_frame(tokenizer, task.build_split(split).head(n))
    return next(iterate_batches(examples, n, tokenizer.pad_token_id))


@pytest.mark.parametrize("lora", [False, True])
@pytest.mark.parametrize("architecture", list(REAL_VOCAB))
def test_last_prompt_logits_equal_the_full_logits(task, architecture: str, lora: bool) -> None:
    model, tokenizer = _model(task, architecture, lora)
    batch = _batch(task, tokenizer)
    with torch.no_grad():
        full = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits  # [B, T, V]
        ours = last_prompt_logits(model.eval(), batch)  # [B, V]
    assert ours.shape == (len(batch.rows), REAL_VOCAB[architecture])
    torch.testing.assert_close(ours, gather_positions(full, batch.last_prompt), rtol=1e-5, atol=1e-5)
    head = model.get_output_embeddings()
    assert not head._forward_pre_hooks  # the gather hook is gone after the call


@pytest.mark.parametrize("checkpointing", [False, True])
@pytest.mark.parametrize("lora", [False, True])
@pytest.mark.parametrize("architecture", list(REAL_VOCAB))
def test_target_loss_and_gradients_equal_the_hf_loss(task, architecture: str, lora: bool, checkpointing: bool) -> None:
    model, tokenizer = _model(task, architecture, lora)
    if checkpointing:
        enable_gradient_checkpointing(model)
    model.train()
    batch = _batch(task, tokenizer)
    # several target tokens per example (the arithmetic target has one): label every real token from t = 3
    batch.labels[:, 3:] = batch.input_ids[:, 3:].masked_fill(batch.attention_mask[:, 3:] == 0, -100)
    params = [p for p in model.parameters() if p.requires_grad]
    reference = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels).loss
    expected = torch.autograd.grad(reference, params)
    ours = target_token_loss(model, batch)
    grads = torch.autograd.grad(ours, params)
    torch.testing.assert_close(ours, reference, rtol=1e-5, atol=1e-6)
    for got, want in zip(grads, expected):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("architecture", list(REAL_VOCAB))
def test_evaluate_split_equals_the_full_logits_computation(task, architecture: str) -> None:
    model, tokenizer = _model(task, architecture)
    frame = task.build_split("eval_ood")
    result = evaluate_split(model, tokenizer, frame, batch_size=10, device=CPU)
    losses, hits = [], []
    with torch.no_grad():
        for batch in iterate_batches(encode_frame(tokenizer, frame), 10, tokenizer.pad_token_id, target_tokens=1):
            full = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits
            last = gather_positions(full, batch.last_prompt).float()
            losses += torch.nn.functional.cross_entropy(last, batch.target_first, reduction="none").tolist()
            hits += (last.argmax(-1) == batch.target_first).tolist()
    assert result["n"] == len(frame)
    assert result["accuracy"] == pd.Series(hits).mean()
    assert result["loss"] == pytest.approx(sum(losses) / len(losses), rel=1e-5)


def test_positions_may_repeat_and_come_in_any_order(task) -> None:
    model, tokenizer = _model(task, "gpt2")
    batch = _batch(task, tokenizer, n=4)
    rows, positions = torch.tensor([3, 0, 3]), torch.tensor([1, 2, 1])
    with torch.no_grad():
        full = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits
        ours = logits_at(model.eval(), batch.input_ids, batch.attention_mask, rows, positions)
    torch.testing.assert_close(ours, full[rows, positions], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("architecture", ["gpt2", "llama"])
def test_head_inputs_replay_the_logits_without_running_the_head(task, architecture: str) -> None:
    model, tokenizer = _model(task, architecture)
    batch = _batch(task, tokenizer)
    head = model.get_output_embeddings()
    calls = []
    handle = head.register_forward_hook(lambda module, args, output: calls.append(output.shape))
    try:
        hidden = last_prompt_head_inputs(model.eval(), batch)  # [B, d]: the head ran as an identity
    finally:
        handle.remove()
    assert calls == [hidden.shape] and hidden.shape == (len(batch.rows), 32)
    assert "forward" not in vars(head)  # the real head is back
    with torch.no_grad():
        torch.testing.assert_close(head(hidden), last_prompt_logits(model, batch), rtol=1e-5, atol=1e-5)


def test_head_inputs_refuse_a_model_that_alters_the_head_output(task) -> None:
    model, tokenizer = _model(task, "llama")
    head = model.get_output_embeddings()
    handle = head.register_forward_hook(lambda module, args, output: 30 * torch.tanh(output / 30))  # soft-capping
    try:
        with pytest.raises(ValueError, match="changes its LM head's output"):
            last_prompt_head_inputs(model.eval(), _batch(task, tokenizer))
    finally:
        handle.remove()
    assert "forward" not in vars(head)
