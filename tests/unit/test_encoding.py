"""Tokenization contract: word-level and GPT-2-format byte-level BPE tokenizers."""

import pytest
from tokenizers import ByteLevelBPETokenizer, Regex, Tokenizer, models, pre_tokenizers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from inforidge.tasks.encoding import encode_example, word_to_token_positions


@pytest.fixture(scope="module")
def gpt2_bpe(tmp_path_factory, tiny_task):
    """A byte-level BPE tokenizer saved in GPT-2's vocab.json/merges.txt format, loaded by path."""
    corpus = [p + t for split in tiny_task.split_names() for p, t in
              zip(tiny_task.build_split(split)["prompt"], tiny_task.build_split(split)["target"])]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus + ["the answer is"], vocab_size=400, min_frequency=1, special_tokens=["<|endoftext|>"])
    path = tmp_path_factory.mktemp("gpt2-bpe")
    bpe.save_model(str(path))
    (path / "tokenizer_config.json").write_text('{"tokenizer_class": "GPT2Tokenizer", "model_max_length": 64}')
    return AutoTokenizer.from_pretrained(str(path))


def test_word_level_one_token_per_element(tiny_gpt2, tiny_task):
    _, tok = tiny_gpt2
    row = tiny_task.build_split("eval_id").iloc[0]
    enc = encode_example(tok, row.prompt, row.target)
    assert len(enc.prompt_ids) == 10 and len(enc.target_ids) == 1
    assert tok.decode(enc.target_ids).strip() == row.answer


def test_bpe_first_target_token_carries_the_answer(gpt2_bpe, tiny_task):
    frame = tiny_task.build_split("eval_ood")
    for row in frame.itertuples():
        enc = encode_example(gpt2_bpe, row.prompt, row.target)
        assert gpt2_bpe.decode(enc.target_ids[:1]).strip() == row.answer


def test_bpe_signal_positions_map_to_signal_tokens(gpt2_bpe, tiny_task):
    row = tiny_task.build_split("eval_id").iloc[3]
    ids = gpt2_bpe(row.prompt, add_special_tokens=False)["input_ids"]
    positions = word_to_token_positions(gpt2_bpe, row.prompt, list(row.signal_positions))
    words = row.prompt.split(" ")
    for word_index, token_index in zip(row.signal_positions, positions):
        piece = gpt2_bpe.decode(ids[token_index]).strip()
        assert piece and words[word_index].startswith(piece)


def test_target_that_merges_into_prompt_is_rejected(tiny_gpt2):
    _, tok = tiny_gpt2
    with pytest.raises(ValueError, match="does not tokenize as a continuation"):
        encode_example(tok, "1 2", "")


def test_bare_space_token_joins_the_prompt():
    """Llama-3/Qwen2-style pre-tokenizers isolate the space before a number (" 12" → " ", "12")."""
    core = Tokenizer(models.WordLevel({"3": 0, " ": 1, "12": 2, "<unk>": 3}, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(" "), behavior="isolated")
    tok = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="<unk>")
    enc = encode_example(tok, "3", " 12")
    assert enc.prompt_ids == [0, 1] and enc.target_ids == [2]
