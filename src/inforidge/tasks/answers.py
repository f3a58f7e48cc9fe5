"""What the first target token guarantees: it carries the answer, one token per class.

Accuracy and the MI target Y use only the first target token. That is exact when the
token determines the answer class. Tasks guarantee it by construction where they can
(numbers in arithmetic, option letters in ECQA); for free-text answers (CLUTRR
relations, the generic text task) it depends on the tokenizer, so training checks it
at step 0 with ``check_first_tokens`` and stops with the colliding answers named.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
from transformers import PreTrainedTokenizerBase

from inforidge.tasks.encoding import encode_example


def first_tokens(tokenizer: PreTrainedTokenizerBase, frames: list[pd.DataFrame]) -> dict[str, int]:
    """The first target token id of every answer class (one example per answer encoded).

    Raises ValueError when the first token does not decode to a prefix of the answer.
    """
    tokens: dict[str, int] = {}
    for frame in frames:
        for row in frame.drop_duplicates("answer").itertuples():
            if row.answer in tokens:
                continue
            first = encode_example(tokenizer, row.prompt, row.target).target_ids[0]
            piece = tokenizer.decode([first]).strip()
            if not piece or not row.answer.startswith(piece):
                # e.g. Qwen2/Llama-3 tokenizers split " 12" into " " + "12": the answer is not in the first token.
                raise ValueError(f"answer {row.answer!r}: first target token {tokenizer.decode([first])!r} "
                                 "does not start the answer under this tokenizer")
            tokens[row.answer] = first
    return tokens


def first_token_collisions(tokenizer: PreTrainedTokenizerBase, frames: list[pd.DataFrame]) -> list[list[str]]:
    """Groups of answers that share their first target token (empty when each class has its own)."""
    by_token: dict[int, list[str]] = defaultdict(list)
    for answer, token in first_tokens(tokenizer, frames).items():
        by_token[token].append(answer)
    return sorted(sorted(group) for group in by_token.values() if len(group) > 1)


def check_first_tokens(tokenizer: PreTrainedTokenizerBase, frames: list[pd.DataFrame]) -> None:
    """Raise a ValueError naming answers whose first target tokens collide."""
    collisions = first_token_collisions(tokenizer, frames)
    if collisions:
        numeric = all(answer.isdigit() for group in collisions for answer in group)
        fix = ("this tokenizer splits numbers into digits: write the values as letters with "
               "tasks.<name>.alphabet: letters" if numeric else
               "rename or merge them with tasks.<name>.answer_map")
        raise ValueError(
            f"answers share a first target token under this tokenizer: {collisions}; first-token accuracy "
            f"and MI would conflate them. Fix: {fix} (docs/tasks.md)"
        )
