"""Turning (prompt, target) text pairs into token ids.

Contract shared by every task: the full text is ``prompt + target`` exactly, and the
target string carries its own leading space (" 7"), so word-level and byte-level BPE
tokenizers split at the same boundary. The first target token predicts the answer;
the last prompt position is the one whose hidden state Z we measure.
"""

from __future__ import annotations

from dataclasses import dataclass

from transformers import PreTrainedTokenizerBase


@dataclass(frozen=True)
class EncodedExample:
    """Token ids of one example.

    Attributes:
        prompt_ids: ids of the prompt; its last position predicts the target.
        target_ids: ids of the target continuation (at least one token).
    """

    prompt_ids: list[int]
    target_ids: list[int]


def encode_example(tokenizer: PreTrainedTokenizerBase, prompt: str, target: str) -> EncodedExample:
    """Tokenize ``prompt`` and ``prompt + target``; the target is the difference.

    Raises ValueError if the target adds no token or the prompt's tokens change when
    the target is appended (a tokenizer merging across the boundary).
    """
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    full_ids = tokenizer(prompt + target, add_special_tokens=False)["input_ids"]
    if full_ids[: len(prompt_ids)] != prompt_ids or len(full_ids) <= len(prompt_ids):
        raise ValueError(f"target {target!r} does not tokenize as a continuation of prompt {prompt!r}")
    target_ids = list(full_ids[len(prompt_ids):])
    # Llama-3 and Qwen2 pre-tokenizers split " 12" into " " + "12": the bare space
    # carries no answer, so it joins the prompt and the answer token is predicted next.
    if len(target_ids) > 1 and not tokenizer.decode(target_ids[:1]).strip():
        prompt_ids, target_ids = [*prompt_ids, target_ids[0]], target_ids[1:]
    return EncodedExample(prompt_ids=list(prompt_ids), target_ids=target_ids)


def word_to_token_positions(tokenizer: PreTrainedTokenizerBase, prompt: str, words: list[int]) -> list[int]:
    """Map whitespace-word indices of ``prompt`` to the index of each word's first token.

    Tasks record signal positions as word indices (tokenizer-independent); attention
    analyses need token indices. A token belongs to the first word whose characters
    (with the space before it, which byte-level BPE folds into the token) it overlaps.
    """
    offsets = tokenizer(prompt, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    spans, pos = [], 0
    for word in prompt.split(" "):
        spans.append((pos, pos + len(word)))
        pos += len(word) + 1
    positions = []
    for w in words:
        w_start, w_end = spans[w]
        hits = [t for t, (s, e) in enumerate(offsets) if s < w_end and e > w_start]
        if not hits:
            raise ValueError(f"word {w} of prompt {prompt!r} maps to no token")
        positions.append(hits[0])
    return positions
