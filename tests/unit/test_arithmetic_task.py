"""The synthetic arithmetic-progression task."""

import pytest

from inforidge.config import ContinuationConfig, TaskConfig
from inforidge.tasks import build_task, word_vocabulary
from inforidge.tasks.base import SPLIT_COLUMNS


def test_splits_are_deterministic_and_distinct(tiny_task):
    a, b = tiny_task.build_split("eval_id"), tiny_task.build_split("eval_id")
    assert a.equals(b)
    assert not a["prompt"].equals(tiny_task.build_split("train")["prompt"].head(len(a)))


def test_progression_and_target(tiny_task):
    for split in tiny_task.split_names():
        frame = tiny_task.build_split(split)
        assert set(SPLIT_COLUMNS) <= set(frame.columns)
        for row in frame.itertuples():
            words = [int(w) for w in row.prompt.split(" ")]
            signals = words[0::2]
            k, step = row.modulus, row.step
            assert all((b - a) % k == step % k for a, b in zip(signals, signals[1:]))
            assert int(row.answer) == (signals[-1] + step) % k
            assert row.target == f" {row.answer}"
            assert list(row.signal_positions) == [0, 2, 4, 6, 8]


def test_id_and_ood_moduli(tiny_task):
    assert set(tiny_task.build_split("eval_id")["modulus"]) == {13}
    ood = set(tiny_task.build_split("eval_ood")["modulus"])
    assert 13 not in ood and ood <= set(range(5, 26))


def test_unknown_split_is_named(tiny_task):
    with pytest.raises(ValueError, match="unknown split 'test'"):
        tiny_task.build_split("test")


def test_build_task_from_config_and_vocabulary():
    task = build_task(TaskConfig(kind="arithmetic", sizes={"train": 8, "eval_id": 4, "eval_ood": 4, "probe_ood": 4}))
    frames = [task.build_split(s) for s in task.split_names()]
    vocab = word_vocabulary(frames)
    assert set(vocab) <= set(task.vocabulary())


SMALL = {"train": 64, "eval_id": 32, "eval_ood": 32, "probe_ood": 32}


def letters_and_decimal(**kw):
    make = lambda alphabet: build_task(TaskConfig(kind="arithmetic", sizes=SMALL, noise_range=52, alphabet=alphabet, **kw))
    return make("letters"), make("decimal")


def test_letters_write_the_same_examples():
    from inforidge.tasks.alphabets import LETTERS

    letters, decimal = letters_and_decimal()
    for split in letters.split_names():
        a, b = letters.build_split(split), decimal.build_split(split)
        assert [" ".join(str(LETTERS.index(w)) for w in p.split()) for p in a["prompt"]] == list(b["prompt"])
        assert [str(LETTERS.index(x)) for x in a["answer"]] == list(b["answer"])
        assert (a["target"] == " " + a["answer"]).all() and a["answer"].str.len().eq(1).all()
        assert a["signal_positions"].map(list).equals(b["signal_positions"].map(list))
    assert letters.vocabulary()[:3] == ["A", "B", "C"] and len(letters.vocabulary()) == 52


def test_letters_continuation_targets():
    task = build_task(TaskConfig(kind="arithmetic", sizes=SMALL, noise_range=26, alphabet="letters",
                                 continuation=ContinuationConfig(horizon=4, targets="interleaved")))
    frame = task.build_split("eval_id")
    assert all(len(t.split()) == 4 and all(w.isalpha() and len(w) == 1 for w in t.split()) for t in frame["target"])


def test_letters_need_a_small_enough_noise_range():
    with pytest.raises(ValueError, match="alphabet 'letters'.*noise_range"):
        TaskConfig(kind="arithmetic", alphabet="letters")  # noise_range 100 > 52 letters


@pytest.mark.parametrize("family", ["gpt2", "llama3", "qwen2"])
def test_letters_under_real_tokenizers(real_tokenizer, family):
    """One token per letter, answer in the first target token, signal words map to their letters."""
    from inforidge.tasks.answers import check_first_tokens
    from inforidge.tasks.encoding import encode_example, word_to_token_positions

    tok = real_tokenizer(family)
    frame = letters_and_decimal()[0].build_split("eval_ood")
    check_first_tokens(tok, [frame])
    for row in frame.head(8).itertuples():
        words = row.prompt.split(" ")
        positions = word_to_token_positions(tok, row.prompt, list(row.signal_positions))
        ids = tok(row.prompt, add_special_tokens=False)["input_ids"]
        assert len(ids) == len(words)  # one token per letter
        assert [tok.decode([ids[p]]).strip() for p in positions] == [words[w] for w in row.signal_positions]
        assert encode_example(tok, row.prompt, row.target).target_ids == tok(row.target, add_special_tokens=False)["input_ids"]


def test_decimal_under_qwen2_names_the_alphabet_option(real_tokenizer):
    from inforidge.tasks.answers import check_first_tokens

    frame = letters_and_decimal()[1].build_split("eval_id")
    with pytest.raises(ValueError, match=r"\[\['1', '1\d'.*alphabet: letters"):
        check_first_tokens(real_tokenizer("qwen2"), [frame])


@pytest.mark.parametrize("family", ["gpt2", "llama3"])
def test_decimal_under_real_tokenizers(real_tokenizer, family):
    """The paper's numbers: GPT-2 one token per value; Llama 3 folds the target's bare space into the prompt."""
    from inforidge.tasks.answers import check_first_tokens
    from inforidge.tasks.encoding import encode_example, word_to_token_positions

    tok = real_tokenizer(family)
    frame = letters_and_decimal()[1].build_split("eval_ood")
    check_first_tokens(tok, [frame])
    for row in frame.head(8).itertuples():
        words = row.prompt.split(" ")
        positions = word_to_token_positions(tok, row.prompt, list(row.signal_positions))
        ids = tok(row.prompt, add_special_tokens=False)["input_ids"]
        assert [tok.decode([ids[p]]).strip() for p in positions] == [words[w] for w in row.signal_positions]
        encoded = encode_example(tok, row.prompt, row.target)
        assert tok.decode(encoded.target_ids[:1]).strip() == row.answer
        assert len(encoded.prompt_ids) == len(ids) + (family == "llama3")  # the folded " "
