"""LoRA: merged checkpoints load without peft; chained LoRA training equals a continuous run."""

import pytest
import torch
from tokenizers import ByteLevelBPETokenizer
from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2Config

from inforidge.config import LoraSettings, ModelConfig, RunConfig, TrainingConfig
from inforidge.models.training import STATE_FILE, SegmentData, initialize_run, train_segment


@pytest.fixture(scope="module")
def setup(tmp_path_factory, tiny_task):
    """A tiny GPT-2 'downloaded' to disk (BPE tokenizer, dropout on) and a LoRA run on it."""
    path = tmp_path_factory.mktemp("tiny-gpt2")
    corpus = [p + t for s in tiny_task.split_names() for p, t in
              zip(tiny_task.build_split(s)["prompt"], tiny_task.build_split(s)["target"])]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus, vocab_size=400, min_frequency=1, special_tokens=["<|endoftext|>"])
    bpe.save_model(str(path))
    (path / "tokenizer_config.json").write_text('{"tokenizer_class": "GPT2Tokenizer", "model_max_length": 64}')
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(AutoTokenizer.from_pretrained(str(path))), n_layer=2, n_embd=32, n_head=2, n_positions=64)
    AutoModelForCausalLM.from_config(config).save_pretrained(path)
    # Dropout in the model and the adapters exercises the RNG part of exact resumption;
    # gradient checkpointing runs alongside LoRA as it would for Llama-8B.
    run = RunConfig(task="arith", model=ModelConfig(source="pretrained", name_or_path=str(path)),
                    training=TrainingConfig(steps=6, batch_size=16, grad_accum=2, warmup_steps=2, eval_examples=16,
                                            lr=1e-2, gradient_checkpointing=True,
                                            lora=LoraSettings(r=4, alpha=8, dropout=0.1)))
    data = SegmentData(tiny_task.build_split("train"),
                       {"id": tiny_task.build_split("eval_id"), "ood": tiny_task.build_split("eval_ood")})
    return run, data


def weights(path):
    return AutoModelForCausalLM.from_pretrained(path).state_dict()


def test_chained_lora_equals_continuous_and_loads_without_peft(tmp_path, setup):
    run, data = setup
    base = tmp_path / "step-0"
    initialize_run(run, [], data, base, device="cpu")
    train_segment(run, data, base, tmp_path / "continuous-6", 6, device="cpu", base_dir=base)
    train_segment(run, data, base, tmp_path / "step-3", 3, device="cpu", base_dir=base)
    train_segment(run, data, tmp_path / "step-3", tmp_path / "chained-6", 6, device="cpu", base_dir=base)

    a, b, start = weights(tmp_path / "continuous-6"), weights(tmp_path / "chained-6"), weights(base)
    assert a.keys() == start.keys() and not any("lora" in k for k in a)  # plain, merged weights
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6, msg=key)
    assert not torch.equal(a["transformer.h.0.attn.c_attn.weight"], start["transformer.h.0.attn.c_attn.weight"])
    # Only adapted (linear) weights move; embeddings and norms stay frozen.
    assert torch.equal(a["transformer.wte.weight"], start["transformer.wte.weight"])
    assert torch.equal(a["transformer.ln_f.weight"], start["transformer.ln_f.weight"])

    state = torch.load(tmp_path / "step-3" / STATE_FILE, weights_only=False)
    assert state["adapter"] and all("lora_" in k for k in state["adapter"])


def test_lora_needs_the_base_checkpoint(tmp_path, setup):
    run, data = setup
    initialize_run(run, [], data, tmp_path / "step-0", device="cpu")
    with pytest.raises(ValueError, match="step-0 checkpoint"):
        train_segment(run, data, tmp_path / "step-0", tmp_path / "step-3", 3, device="cpu")
