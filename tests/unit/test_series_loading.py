"""Loading series checkpoints: hub revisions through a real offline Hugging Face cache, pointer
checkpoints, and the GPT-NeoX (Pythia) layout the hooks need."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, GPTNeoXConfig

from inforidge.models.architecture import find_blocks, find_final_norm, num_layers
from inforidge.models.checkpoint_files import SOURCE_FILE
from inforidge.models.modeling import load_model

HUB_ID = "org/tiny-series"
REVISIONS = {"step0": 0.0, "step10": 0.5, "step100": 1.0}  # revision -> weight shift


def perturbed(model, shift: float):
    """A copy of ``model``'s weights moved by ``shift`` (a new checkpoint of the series)."""
    state = {k: v + shift for k, v in model.state_dict().items()}
    clone = type(model)(model.config)
    clone.load_state_dict(state)
    return clone


def hub_cache(root: Path, model, tokenizer) -> Path:
    """A Hugging Face hub cache as ``huggingface_hub`` writes it: refs/<revision> holds a commit
    sha, snapshots/<sha>/ the files; one commit per revision with its own weights."""
    repo = root / f"models--{HUB_ID.replace('/', '--')}"
    for i, (revision, shift) in enumerate(REVISIONS.items()):
        sha = f"{i:040x}"
        perturbed(model, shift).save_pretrained(repo / "snapshots" / sha)
        tokenizer.save_pretrained(repo / "snapshots" / sha)
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / revision).write_text(sha)
    return root


# Runs in a fresh process: huggingface_hub reads HF_HUB_CACHE / HF_HUB_OFFLINE when imported.
LOADER = """
import json, sys
from inforidge.models.checkpoint_files import weights_dir
from inforidge.models.modeling import load_model
hub, pointers = sys.argv[1], json.loads(sys.argv[2])
out = {}
for revision, pointer in pointers.items():
    direct = load_model(hub, revision=revision)[0]
    followed = load_model(pointer)[0]
    out[revision] = [float(direct.lm_head.weight.sum()), float(followed.lm_head.weight.sum()), str(weights_dir(pointer))]
try:
    load_model(hub, revision="step999")
    out["missing"] = "loaded"
except OSError as err:
    out["missing"] = "error"
print(json.dumps(out))
"""


def test_each_revision_resolves_to_its_own_weights_offline(tmp_path, tiny_gpt2):
    model, tokenizer = tiny_gpt2
    cache = hub_cache(tmp_path / "hub", model, tokenizer)
    pointers = {}
    for revision in REVISIONS:  # what a series step job writes: tokenizer, config and source.json
        pointer = tmp_path / "checkpoints" / revision
        tokenizer.save_pretrained(pointer)
        model.config.save_pretrained(pointer)
        (pointer / SOURCE_FILE).write_text(json.dumps({"path": HUB_ID, "revision": revision,
                                                       "trust_remote_code": False}))
        pointers[revision] = str(pointer)
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", LOADER, HUB_ID, json.dumps(pointers)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    sums = json.loads(result.stdout.strip().splitlines()[-1])
    base = float(model.lm_head.weight.detach().sum())
    numel = model.lm_head.weight.numel()
    for i, (revision, shift) in enumerate(REVISIONS.items()):
        direct, followed, weights = sums[revision]
        # What the activation manifest hashes: the revision's own snapshot in the cache.
        assert Path(weights) == cache / f"models--{HUB_ID.replace('/', '--')}" / "snapshots" / f"{i:040x}"
        assert abs(direct - (base + shift * numel)) < 1e-2 * numel, (revision, direct)
        assert direct == followed  # the pointer loads the weights it names
    assert sums["missing"] == "error"  # offline: an uncached revision is not silently replaced


def test_local_pointer_loads_the_directory_it_names(tmp_path, tiny_gpt2):
    model, tokenizer = tiny_gpt2
    target = tmp_path / "step-7"
    perturbed(model, 0.25).save_pretrained(target)
    pointer = tmp_path / "pointer"
    tokenizer.save_pretrained(pointer)
    model.config.save_pretrained(pointer)
    (pointer / SOURCE_FILE).write_text(json.dumps({"path": str(target), "revision": None}))
    loaded, loaded_tokenizer = load_model(str(pointer))
    expected = model.transformer.wte.weight + 0.25
    assert torch.allclose(loaded.transformer.wte.weight, expected)
    assert len(loaded_tokenizer) == len(tokenizer)


def test_gpt_neox_blocks_and_final_norm_are_found():
    """Pythia is GPT-NeoX: configs/pythia.yaml relies on these paths."""
    torch.manual_seed(0)
    config = GPTNeoXConfig(vocab_size=128, hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
                           intermediate_size=64, max_position_embeddings=64)
    model = AutoModelForCausalLM.from_config(config)
    assert num_layers(model) == 3
    assert find_blocks(model) is model.gpt_neox.layers
    assert find_final_norm(model) is model.gpt_neox.final_layer_norm
