"""Word-level tokenizers built offline with the ``tokenizers`` library.

From-scratch runs on the synthetic task use one token per whitespace-separated word,
saved in Hugging Face format so every later stage loads it with ``AutoTokenizer``.
"""

from __future__ import annotations

from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

PAD, UNK, EOS = "<pad>", "<unk>", "<eos>"


def build_word_tokenizer(vocabulary: list[str]) -> PreTrainedTokenizerFast:
    """A fast tokenizer mapping each word of ``vocabulary`` to one id (specials first)."""
    specials = [PAD, UNK, EOS]
    vocab = {tok: i for i, tok in enumerate(specials + sorted(set(vocabulary) - set(specials), key=_word_key))}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token=PAD, unk_token=UNK, eos_token=EOS, padding_side="right"
    )


def _word_key(word: str) -> tuple[int, int | str]:
    # Numbers in numeric order (ids readable in debugging), then other words.
    return (0, int(word)) if word.isdigit() else (1, word)
