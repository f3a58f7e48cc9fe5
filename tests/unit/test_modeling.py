"""Pretrained models by local path (never the hub), and gradient checkpointing."""

import pytest
import torch
from tokenizers import ByteLevelBPETokenizer
from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2Config, LlamaConfig, Qwen2Config

from inforidge.config import ModelConfig, RunConfig, TrainingConfig
from inforidge.modeling import initial_model, load_model, wants_gradient_checkpointing
from inforidge.training import SegmentData, initialize_run, read_metrics, train_segment

FAMILIES = {
    "gpt2": lambda v: GPT2Config(vocab_size=v, n_layer=2, n_embd=32, n_head=2, n_positions=64),
    "llama": lambda v: LlamaConfig(vocab_size=v, num_hidden_layers=2, hidden_size=32, num_attention_heads=2,
                                   num_key_value_heads=2, intermediate_size=64, max_position_embeddings=64),
    "qwen2": lambda v: Qwen2Config(vocab_size=v, num_hidden_layers=2, hidden_size=32, num_attention_heads=2,
                                   num_key_value_heads=2, intermediate_size=64, max_position_embeddings=64),
}


def save_tiny_pretrained(path, family, task):
    """What a hub download looks like on disk: a GPT-2-format BPE tokenizer and a tiny model."""
    corpus = [p + t for s in task.split_names() for p, t in zip(task.build_split(s)["prompt"], task.build_split(s)["target"])]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus, vocab_size=400, min_frequency=1, special_tokens=["<|endoftext|>"])
    path.mkdir(parents=True, exist_ok=True)
    bpe.save_model(str(path))
    (path / "tokenizer_config.json").write_text('{"tokenizer_class": "GPT2Tokenizer", "model_max_length": 64}')
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(FAMILIES[family](len(tokenizer))).save_pretrained(path)
    return path


def segment_data(task):
    return SegmentData(task.build_split("train"), {"id": task.build_split("eval_id"), "ood": task.build_split("eval_ood")})


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_pretrained_model_loads_by_path_and_trains(tmp_path, tiny_task, family):
    source = save_tiny_pretrained(tmp_path / "hub", family, tiny_task)
    cfg = ModelConfig(source="pretrained", name_or_path=str(source))
    model, tokenizer = initial_model(cfg, vocabulary=[], seed=0)
    assert tokenizer.pad_token is not None and model.config.model_type == family
    original = AutoModelForCausalLM.from_pretrained(source).state_dict()
    for key, value in model.state_dict().items():
        assert torch.equal(value, original[key]), key
    run = RunConfig(task="arith", model=cfg,
                    training=TrainingConfig(steps=2, batch_size=16, warmup_steps=1, eval_examples=16))
    data = segment_data(tiny_task)
    initialize_run(run, [], data, tmp_path / "step-0", device="cpu")
    metrics = train_segment(run, data, tmp_path / "step-0", tmp_path / "step-2", 2, device="cpu")
    assert metrics["step"] == 2 and metrics["train_loss"] == pytest.approx(metrics["train_loss"])  # not NaN
    assert read_metrics(tmp_path / "step-2").keys() >= {"step", "train_loss", "id_loss", "id_accuracy", "ood_loss", "ood_accuracy"}


def test_first_token_collisions_are_caught_at_step_0(tmp_path, tiny_task):
    """A tokenizer splitting numbers into digit pieces ("12" → "1" "2") gives answers 1 and 12 the same first token."""
    source = save_tiny_pretrained(tmp_path / "hub", "qwen2", tiny_task)
    model, tokenizer = initial_model(ModelConfig(source="pretrained", name_or_path=str(source)), [], 0)
    assert model.config.model_type == "qwen2"
    run = RunConfig(task="arith", model=ModelConfig(source="pretrained", name_or_path=str(source)))
    with pytest.raises(ValueError, match=r"share a first target token.*\['1', '10', '11', '12'"):
        initialize_run(run, [], segment_data(tiny_task), tmp_path / "step-0", device="cpu")
    assert not (tmp_path / "step-0").exists()


def test_missing_local_model_names_the_path(tmp_path):
    with pytest.raises(OSError, match="nowhere"):
        initial_model(ModelConfig(source="pretrained", name_or_path=str(tmp_path / "nowhere")), [], 0)


def test_gradient_checkpointing_default_and_equivalence(tmp_path, tiny_task):
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    pretrained, scratch = ModelConfig(source="pretrained", name_or_path="gpt2"), ModelConfig()
    assert wants_gradient_checkpointing(TrainingConfig(), pretrained, cuda)
    assert not wants_gradient_checkpointing(TrainingConfig(), pretrained, cpu)
    assert not wants_gradient_checkpointing(TrainingConfig(), scratch, cuda)
    assert wants_gradient_checkpointing(TrainingConfig(gradient_checkpointing=True), scratch, cpu)

    source = save_tiny_pretrained(tmp_path / "hub", "gpt2", tiny_task)
    data, weights = segment_data(tiny_task), {}
    for flag in (False, True):
        run = RunConfig(task="arith", model=ModelConfig(source="pretrained", name_or_path=str(source)),
                        training=TrainingConfig(steps=3, batch_size=16, warmup_steps=1, eval_examples=16,
                                                gradient_checkpointing=flag))
        initialize_run(run, [], data, tmp_path / f"{flag}-0", device="cpu")
        train_segment(run, data, tmp_path / f"{flag}-0", tmp_path / f"{flag}-3", 3, device="cpu")
        weights[flag] = AutoModelForCausalLM.from_pretrained(tmp_path / f"{flag}-3").state_dict()
    for key in weights[False]:
        torch.testing.assert_close(weights[False][key], weights[True][key], rtol=0, atol=1e-5, msg=key)


@pytest.mark.parametrize("family", ["gpt2", "llama", "qwen2"])
def test_saved_word_tokenizer_reloads_unchanged(tmp_path, tiny_task, family):
    """AutoTokenizer would load a qwen2 checkpoint's word tokenizer as Qwen2Tokenizer (digit-splitting)."""
    model, tokenizer = initial_model(ModelConfig(architecture=family, n_layer=1, n_embd=16, n_head=2), tiny_task.vocabulary(), 0)
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    _, loaded = load_model(str(tmp_path))
    prompt = tiny_task.build_split("eval_id")["prompt"].iloc[0]
    assert loaded(prompt)["input_ids"] == tokenizer(prompt)["input_ids"]
