"""Pretrained models by local path (never the hub), and gradient checkpointing."""

import pytest
import torch
from tokenizers import ByteLevelBPETokenizer
from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2Config, LlamaConfig, Qwen2Config

from inforidge.config import ModelConfig, RunConfig, TrainingConfig
from inforidge.models.checkpoint_files import read_metrics
from inforidge.models.modeling import initial_model, load_model, wants_gradient_checkpointing
from inforidge.models.training import SegmentData, initialize_run, train_segment

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


# --- What Hugging Face users expect: revision, dtype, remote code, attention kernel ---------

HF_CACHE_SCRIPT = """
import sys, torch
from inforidge.config import ModelConfig
from inforidge.models.modeling import initial_model
model, _ = initial_model(ModelConfig(source="pretrained", name_or_path="org/tiny", revision=sys.argv[1]), [], 0)
print(float(model.get_input_embeddings().weight[0, 0]))
"""


def test_model_revision_selects_the_snapshot(tmp_path, tiny_gpt2, repo_root):
    """The Hugging Face cache resolves a revision to a snapshot offline: two revisions, two sets of weights."""
    import os
    import subprocess
    import sys

    model, tokenizer = tiny_gpt2
    repo = tmp_path / "hub" / "models--org--tiny"
    for ref, commit, value in (("main", "a" * 40, 1.0), ("v2", "b" * 40, 2.0)):
        snapshot = repo / "snapshots" / commit
        state = {k: v.clone() for k, v in model.state_dict().items()}
        state["transformer.wte.weight"][0, 0] = value
        model.save_pretrained(snapshot, state_dict=state)
        tokenizer.save_pretrained(snapshot)
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / ref).write_text(commit)
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": str(repo_root / "src")}
    for revision, value in (("main", 1.0), ("v2", 2.0), ("b" * 40, 2.0)):
        out = subprocess.run([sys.executable, "-c", HF_CACHE_SCRIPT, revision], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr[-2000:]
        assert float(out.stdout.split()[-1]) == value, revision


def test_load_dtype_and_attention_kernel(family_fixtures):
    path = str(family_fixtures["qwen2"])
    default, _ = initial_model(ModelConfig(source="pretrained", name_or_path=path), [], 0)
    half, _ = initial_model(ModelConfig(source="pretrained", name_or_path=path, dtype="bfloat16",
                                        attn_implementation="eager"), [], 0)
    assert default.dtype == torch.float32 and half.dtype == torch.bfloat16
    assert half.config._attn_implementation == "eager"
    sdpa, _ = load_model(path, attn_implementation="sdpa")
    assert sdpa.config._attn_implementation == "sdpa"


REMOTE_CODE = '''
from transformers import GPT2Config, GPT2LMHeadModel

class RemoteConfig(GPT2Config):
    model_type = "remote-gpt2"

class RemoteModel(GPT2LMHeadModel):
    config_class = RemoteConfig
'''


def test_trust_remote_code_gates_checkpoint_code(tmp_path, tiny_gpt2):
    """A checkpoint whose config maps to modeling code inside it loads only with trust_remote_code."""
    import json

    model, tokenizer = tiny_gpt2
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    (tmp_path / "remote_gpt2.py").write_text(REMOTE_CODE)
    config = json.loads((tmp_path / "config.json").read_text())
    config.update(model_type="remote-gpt2", auto_map={"AutoConfig": "remote_gpt2.RemoteConfig",
                                                      "AutoModelForCausalLM": "remote_gpt2.RemoteModel"})
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="trust_remote_code"):
        initial_model(ModelConfig(source="pretrained", name_or_path=str(tmp_path)), [], 0)
    loaded, _ = initial_model(ModelConfig(source="pretrained", name_or_path=str(tmp_path), trust_remote_code=True), [], 0)
    assert type(loaded).__name__ == "RemoteModel"


# --- Optimizer: decay groups and gradient clipping ------------------------------------------


@pytest.mark.parametrize("name", ["gpt2", "qwen2", "llama"])
def test_no_weight_decay_on_norms_biases_and_embeddings(family_fixtures, name):
    from inforidge.models.training import decay_groups, make_optimizer

    model, _ = load_model(str(family_fixtures[name]))
    decay, no_decay = decay_groups(model)
    names = {id(p): n for n, p in model.named_parameters()}
    decayed, kept = {names[id(p)] for p in decay}, {names[id(p)] for p in no_decay}
    assert len(decayed) + len(kept) == len(list(model.parameters()))  # each tensor once (tied head included)
    embeddings = {"gpt2": {"transformer.wte.weight", "transformer.wpe.weight"}}.get(name, {"model.embed_tokens.weight"})
    assert embeddings <= kept
    assert all(n.endswith("bias") or "norm" in n or "ln_" in n or n in embeddings for n in kept)
    assert all(p.ndim == 2 for p in decay) and any("attn" in n for n in decayed)
    if name == "qwen2":
        assert "model.layers.0.self_attn.q_proj.bias" in kept  # Qwen2's q/k/v biases
    assert ("lm_head.weight" in decayed) == (name == "llama")  # untied head is a weight matrix
    optimizer, _ = make_optimizer(model, TrainingConfig(weight_decay=0.1))
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.1, 0.0]


def test_gradient_clipping_bounds_the_global_norm(tiny_gpt2, tiny_task):
    from inforidge.models.batching import encode_frame, iterate_batches
    from inforidge.models.training import clip_gradients, make_optimizer

    model, tokenizer = tiny_gpt2
    model = AutoModelForCausalLM.from_config(model.config)
    batch = next(iterate_batches(encode_frame(tokenizer, tiny_task.build_split("eval_id")), 16, tokenizer.pad_token_id))
    optimizer, _ = make_optimizer(model, TrainingConfig())
    scaler = torch.amp.GradScaler("cuda", enabled=False)
    norms = {}
    for max_norm in (None, 0.5):
        model.zero_grad()
        (1000 * model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels).loss).backward()
        clip_gradients(model, optimizer, scaler, max_norm)
        norms[max_norm] = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()])).item()
    assert norms[None] > 10 and norms[0.5] == pytest.approx(0.5, rel=1e-4)
    assert TrainingConfig().max_grad_norm == 1.0
    with pytest.raises(ValueError, match="max_grad_norm"):
        TrainingConfig(max_grad_norm=0)
