"""How the synthetic task writes its values: decimal numbers or single-letter symbols.

The first target token must identify the answer (``inforidge.tasks.answers``). Decimal
numbers do under GPT-2 (" 12" is one token) and Llama 3 (" " + "12": the space joins the
prompt, numbers below 1000 are one token), but not under Qwen2, whose pre-tokenizer
splits every digit ("12" → "1" "2", so answers 1, 10, 11, 12 share "1"). ``letters``
writes value v as the v-th of A–Z, a–z: " A" … " z" are single tokens under all three
BPE tokenizers and under word-level ones, and a word is still one value, so signal
positions (word indices) are unchanged. No module imports here: config and tasks share it.
"""

from __future__ import annotations

import string
from typing import Literal

Alphabet = Literal["decimal", "letters"]
LETTERS = string.ascii_uppercase + string.ascii_lowercase


def alphabet_size(alphabet: Alphabet) -> int | None:
    """How many distinct values ``alphabet`` can write (None: unbounded)."""
    return len(LETTERS) if alphabet == "letters" else None


def render(value: int, alphabet: Alphabet) -> str:
    """The word for ``value`` (0 → "0" or "A")."""
    return LETTERS[value] if alphabet == "letters" else str(value)
