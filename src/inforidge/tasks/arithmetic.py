"""The synthetic arithmetic-progression task (the paper's controlled task).

A prompt alternates signal and noise numbers: ``s0 n0 s1 n1 ... s4 n4`` with
s_t = (start + t·step) mod K and random noise n_t. The target is the next signal value
s_5. In-distribution uses K = ``modulus`` (13); out-of-distribution draws K from
``ood_moduli`` (by default {5..25} minus 13). ``train_moduli`` widens only the train split
(K drawn uniformly from it, e.g. {5..25}): the broad first phase of a two-phase regime, whose
eval splits stay those of the narrow task (docs/tasks.md, Two-phase training). Values are
bare words: decimal numbers ("7", the paper's setting) or, with ``alphabet: letters``, letters ("H") for tokenizers
that split numbers into digits (Qwen2; ``inforidge.tasks.alphabets``). Either way a
word-level tokenizer gives one token per element and the first target token carries
the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from inforidge.core.configschema import at_least, doc, require
from inforidge.tasks.alphabets import Alphabet, alphabet_size, render
from inforidge.tasks.base import StandardSplits, check_split_frame
from inforidge.tasks.registry import TaskKind, register_task_kind


@dataclass(frozen=True)
class ArithmeticTask(StandardSplits):
    """Arithmetic progression mod K with interleaved noise.

    Attributes:
        modulus: in-distribution K.
        ood_moduli: moduli sampled uniformly for out-of-distribution examples.
        train_moduli: moduli the train split draws K from uniformly (empty: ``modulus`` only).
        elements: prompt length in elements (signal and noise alternate; even).
        noise_range: noise values are drawn from [0, noise_range).
        sizes: number of examples per split.
        seed: base seed; each split derives its own stream from it.
        alphabet: how values are written (``decimal`` or ``letters``).
    """

    modulus: int
    ood_moduli: tuple[int, ...]
    elements: int
    noise_range: int
    sizes: dict[str, int]
    seed: int
    alphabet: Alphabet = "decimal"
    train_moduli: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        size, top = alphabet_size(self.alphabet), self._top()
        if size is not None and top > size:
            raise ValueError(f"alphabet {self.alphabet!r} writes {size} values; noise_range and moduli need {top}")

    def _top(self) -> int:
        """One past the largest value any split writes."""
        return max(self.noise_range, self.modulus, *self.ood_moduli, *self.train_moduli)

    def render(self, value: int) -> str:
        """The word for ``value`` in this task's alphabet."""
        return render(value, self.alphabet)

    def vocabulary(self) -> list[str]:
        """Every word the task can emit (for building a word-level tokenizer)."""
        return [self.render(v) for v in range(self._top())]

    def build_split(self, split: str) -> pd.DataFrame:
        """Generate one split deterministically from (seed, split)."""
        if split not in self.split_names():
            raise ValueError(f"unknown split {split!r} for task arithmetic; known: {self.split_names()}")
        # Separate deterministic streams per split, independent of generation order.
        rng = np.random.default_rng([self.seed, self.split_names().index(split)])
        rows = [self._example(rng, i, self._moduli(split)) for i in range(self.sizes[split])]
        return check_split_frame(pd.DataFrame(rows), split)

    def _moduli(self, split: str) -> tuple[int, ...]:
        """The moduli a split draws K from (uniformly)."""
        if split in ("eval_ood", "probe_ood"):
            return self.ood_moduli
        return self.train_moduli if split == "train" and self.train_moduli else (self.modulus,)

    def _example(self, rng: np.random.Generator, example_id: int, moduli: tuple[int, ...]) -> dict:
        # No draw for the bare ID modulus: a task without train_moduli generates exactly the
        # examples it generated before the setting existed.
        k = self.modulus if moduli == (self.modulus,) else int(rng.choice(moduli))
        start, step = int(rng.integers(0, k)), int(rng.integers(1, k))
        n_signals = self.elements // 2
        signals = [(start + t * step) % k for t in range(n_signals + 1)]
        noise = rng.integers(0, self.noise_range, size=n_signals)
        words = [self.render(int(v)) for pair in zip(signals[:-1], noise) for v in pair]
        return {
            "example_id": example_id,
            "prompt": " ".join(words),
            "target": f" {self.render(signals[-1])}",
            "answer": self.render(signals[-1]),
            "signal_positions": list(range(0, self.elements, 2)),
            "modulus": k,
            "start": start,
            "step": step,
        }


@dataclass(frozen=True)
class ArithmeticSettings:
    """Keys of ``kind: arithmetic`` (flat in the task's config section)."""

    modulus: int = doc("in-distribution modulus K", 13)
    ood_moduli: list[int] = doc("out-of-distribution moduli, drawn uniformly",
                                factory=lambda: [k for k in range(5, 26) if k != 13])
    elements: int = doc("prompt length in elements (signal/noise alternate)", 10)
    noise_range: int = doc("noise values are drawn from [0, noise_range)", 100)
    alphabet: Alphabet = doc(
        "how values are written: decimal numbers (the paper) or letters A-Z, a-z, one token each "
        "under every BPE tokenizer (for Qwen2-style digit splitting; docs/tasks.md)", "decimal",
    )
    train_moduli: list[int] = doc(
        "moduli the train split draws K from, uniformly (empty: the in-distribution modulus only); the broad "
        "first phase of a two-phase regime (docs/tasks.md); eval and probe splits are unchanged", factory=list,
    )

    def __post_init__(self) -> None:
        if self.modulus in self.ood_moduli:
            raise ValueError(f"ood_moduli must not contain the in-distribution modulus {self.modulus}")
        if self.elements < 2 or self.elements % 2:
            raise ValueError(f"elements must be an even number >= 2, got {self.elements}")
        size = alphabet_size(self.alphabet)
        top = max(self.noise_range, self.modulus, *self.ood_moduli, *self.train_moduli)
        if size is not None and top > size:
            raise ValueError(f"alphabet {self.alphabet!r} writes {size} values but noise_range/modulus/ood_moduli/"
                             f"train_moduli need {top}; lower noise_range to <= {size}")
        at_least(self, 2, "modulus")
        at_least(self, 1, "noise_range")
        for key in ("ood_moduli", "train_moduli"):
            for i, k in enumerate(getattr(self, key)):
                require(k >= 2, f"{key}[{i}]", f"must be >= 2, got {k}")
        require(len(set(self.train_moduli)) == len(self.train_moduli), "train_moduli",
                f"must not repeat a modulus (each is drawn uniformly), got {self.train_moduli}")


register_task_kind(TaskKind(
    "arithmetic", ArithmeticSettings,
    build=lambda s, cfg, sizes: ArithmeticTask(modulus=s.modulus, ood_moduli=tuple(s.ood_moduli), elements=s.elements,
                                               noise_range=s.noise_range, sizes=sizes, seed=cfg.seed,
                                               alphabet=s.alphabet, train_moduli=tuple(s.train_moduli)),
    continuation="inforidge.tasks.continuation:arithmetic_continuation",
))
