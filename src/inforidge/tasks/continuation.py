"""Multi-token reference continuations for the multi-token generation probe (docs/multitoken.md).

A task with a ``continuation`` section gets targets of at least T = ``horizon`` words, which
the multi-token stage teacher-forces: step t measures the state predicting target word t.

- ``arithmetic`` (:class:`ArithmeticContinuationTask`): the prompt is unchanged; the target
  continues the progression, ``signals`` mode " s5 s6 … s_{5+T−1}" (every word is a signal) or
  ``interleaved`` mode " s5 n5 s6 n6 …" (T words, the prompt's signal/noise alternation; odd
  steps are fresh noise the model cannot predict).
- ``text`` (:class:`TextContinuationTask`): prompt and reference columns of any table, e.g.
  CNN/DailyMail ``article`` → ``highlights``. Prompts are cut to ``max_prompt_words`` and get
  ``prompt_suffix``; references are cut to ``max_target_words``; rows whose reference has
  fewer than T words are dropped *before* splits are drawn, so split sizes stay exact.

``answer`` stays the first target word, so the single-token machinery (first-token accuracy,
the standard MI stage, probes) keeps its meaning on these tasks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from inforidge.tasks.arithmetic import ArithmeticTask
from inforidge.tasks.base import check_split_frame
from inforidge.tasks.pooled import SPLITS, draw_split
from inforidge.tasks.sources import load_table, require_columns



@dataclass(frozen=True)
class ArithmeticContinuationTask:
    """The arithmetic task with the progression continued for ``horizon`` target words.

    Attributes:
        base: the single-token arithmetic task (prompts, moduli, seeds).
        horizon: T, target words per example.
        targets: ``signals`` or ``interleaved`` (see the module docstring).
    """

    base: ArithmeticTask
    horizon: int
    targets: str

    train_split = ArithmeticTask.train_split
    eval_splits = ArithmeticTask.eval_splits
    probe_splits = ArithmeticTask.probe_splits

    def split_names(self) -> list[str]:
        """The arithmetic task's splits."""
        return self.base.split_names()

    def build_split(self, split: str) -> pd.DataFrame:
        """The base split with targets extended from each row's (modulus, start, step)."""
        frame = self.base.build_split(split)
        # Its own stream for the continuation noise: the base examples stay identical to the
        # single-token task's, whatever the horizon.
        rng = np.random.default_rng([self.base.seed, self.base.split_names().index(split), 1])
        first = self.base.elements // 2  # index of the first signal after the prompt
        words = [self._words(row, first, rng) for row in frame[["modulus", "start", "step"]].itertuples(index=False)]
        frame["target"] = [" " + " ".join(w) for w in words]
        frame["answer"] = [w[0] for w in words]
        return check_split_frame(frame, split)

    def _words(self, row: tuple, first: int, rng: np.random.Generator) -> list[str]:
        modulus, start, step = row
        if self.targets == "signals":
            return [self.base.render((start + (first + t) * step) % modulus) for t in range(self.horizon)]
        # interleaved: even steps continue the progression, odd steps are noise.
        noise = rng.integers(0, self.base.noise_range, size=(self.horizon + 1) // 2)
        values = [(start + (first + t // 2) * step) % modulus if t % 2 == 0 else noise[t // 2] for t in range(self.horizon)]
        return [self.base.render(int(v)) for v in values]


@dataclass(frozen=True)
class TextContinuationTask:
    """Prompt → reference continuation pairs from a table (e.g. CNN/DailyMail article → highlights).

    Attributes:
        dataset: hub id or local file/directory.
        dataset_config: hub configuration (ignored for local files).
        columns: ``prompt`` and ``target`` columns, optionally ``ood`` (boolean column).
            Without ``ood`` every row is in-distribution and only train and eval_id exist.
        horizon: T; rows whose reference has fewer words are dropped.
        max_prompt_words: keep the first this many prompt words (None: all).
        prompt_suffix: appended to the truncated prompt (a cue such as " TL;DR:").
        max_target_words: keep the first this many reference words (None: all).
        sizes: examples per split.
        seed: seed of the split draw.
        revision: hub revision (branch, tag, commit, or refs/convert/parquet: the Parquet export).
    """

    dataset: str
    dataset_config: str | None
    columns: dict[str, str]
    horizon: int
    max_prompt_words: int | None
    prompt_suffix: str
    max_target_words: int | None
    sizes: dict[str, int]
    seed: int
    revision: str | None = None

    train_split = "train"

    def __post_init__(self) -> None:
        if "split" in self.columns:
            raise ValueError(f"dataset {self.dataset}: a text task with `continuation` takes columns.ood, "
                             "not columns.split")

    @property
    def eval_splits(self) -> dict[str, str]:
        """``{"id": "eval_id"}``, plus ``"ood": "eval_ood"`` when an ood column is mapped."""
        return {"id": "eval_id", "ood": "eval_ood"} if "ood" in self.columns else {"id": "eval_id"}

    @property
    def probe_splits(self) -> dict[str, str]:
        """``{"id": "train"}``, plus ``"ood": "probe_ood"`` when an ood column is mapped."""
        return {"id": "train", "ood": "probe_ood"} if "ood" in self.columns else {"id": "train"}

    def split_names(self) -> list[str]:
        """All four splits with an ood column, else train and eval_id."""
        return list(SPLITS) if "ood" in self.columns else ["train", "eval_id"]

    def build_split(self, split: str) -> pd.DataFrame:
        """Load, truncate, drop short references, then draw ``split`` from the ID or OOD pool."""
        if split not in self.split_names():
            raise ValueError(f"unknown split {split!r} for this text continuation task; known: {self.split_names()}")
        table = load_table(self.dataset, self.dataset_config, self.revision)
        require_columns(table, list(self.columns.values()), self.dataset)
        references = [str(t).split() for t in table[self.columns["target"]]]
        keep = np.array([len(words) >= self.horizon for words in references])
        if not keep.any():
            raise ValueError(f"dataset {self.dataset}: no reference in column {self.columns['target']!r} has "
                             f"continuation.horizon={self.horizon} words")
        table = table[keep].reset_index(drop=True)
        references = [words[: self.max_target_words] for words, k in zip(references, keep) if k]
        prompts = [" ".join(str(p).split()[: self.max_prompt_words]) + self.prompt_suffix
                   for p in table[self.columns["prompt"]]]
        examples = pd.DataFrame({
            "example_id": np.arange(len(table), dtype=np.int64),
            "prompt": [p.rstrip() for p in prompts],
            "target": [" " + " ".join(words) for words in references],
            "answer": [words[0] for words in references],
            "signal_positions": [[] for _ in range(len(table))],
            "source_split": table["source_split"],
        })
        ood = table[self.columns["ood"]].astype(bool) if "ood" in self.columns else pd.Series(False, index=table.index)
        return draw_split(examples, ood, split, self.sizes, self.seed, "text continuation")


# Builders registered by the arithmetic and text kinds (``TaskKind.continuation``).


def arithmetic_continuation(cfg, sizes: dict[str, int]) -> ArithmeticContinuationTask:
    """The multi-token variant of an arithmetic task config (``continuation`` set)."""
    s, cont = cfg.settings, cfg.continuation
    base = ArithmeticTask(modulus=s.modulus, ood_moduli=tuple(s.ood_moduli), elements=s.elements,
                          noise_range=s.noise_range, sizes=sizes, seed=cfg.seed, alphabet=s.alphabet,
                          train_moduli=tuple(s.train_moduli))
    return ArithmeticContinuationTask(base=base, horizon=cont.horizon, targets=cont.targets)


def text_continuation(cfg, sizes: dict[str, int]) -> TextContinuationTask:
    """The multi-token variant of a text task config (``continuation`` set)."""
    s, cont = cfg.settings, cfg.continuation
    return TextContinuationTask(
        dataset=s.dataset, dataset_config=s.dataset_config, columns=dict(s.columns), horizon=cont.horizon,
        max_prompt_words=cont.max_prompt_words, prompt_suffix=cont.prompt_suffix,
        max_target_words=cont.max_target_words, sizes=sizes, seed=cfg.seed, revision=s.revision,
    )
