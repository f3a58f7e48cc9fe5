"""Drawing the four task splits from a pool of real examples.

Real datasets give a fixed set of examples, each marked in-distribution or OOD by a
task-specific rule. In-distribution examples are shuffled with the task seed and cut
into eval_id then train; OOD examples into eval_ood then probe_ood. The splits are
disjoint, and each is a deterministic function of (dataset, rule, sizes, seed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from inforidge.tasks.base import STANDARD_SPLITS, check_split_frame

SPLITS = list(STANDARD_SPLITS)
#: The pool each split draws from, in the order the pool is cut.
POOL_ORDER = {"id": ["eval_id", "train"], "ood": ["eval_ood", "probe_ood"]}


def draw_split(examples: pd.DataFrame, ood: pd.Series, split: str, sizes: dict[str, int], seed: int, task: str) -> pd.DataFrame:
    """Rows of ``examples`` forming ``split``; ``ood`` marks out-of-distribution rows.

    Raises ValueError naming the task and the sizes when a pool is too small.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} for task {task}; known: {SPLITS}")
    role = "ood" if split in POOL_ORDER["ood"] else "id"
    pool = np.flatnonzero(ood.to_numpy(bool) if role == "ood" else ~ood.to_numpy(bool))
    # One permutation per pool (not per split) keeps the splits of a pool disjoint.
    pool = np.random.default_rng([seed, role == "ood"]).permutation(pool)
    wanted = [sizes[name] for name in POOL_ORDER[role]]
    if sum(wanted) > len(pool):
        raise ValueError(
            f"task {task}: the {role.upper()} pool has {len(pool)} examples but sizes "
            f"{dict(zip(POOL_ORDER[role], wanted))} need {sum(wanted)}; lower tasks.<name>.sizes"
        )
    start = sum(wanted[: POOL_ORDER[role].index(split)])
    rows = examples.iloc[np.sort(pool[start : start + sizes[split]])]
    return check_split_frame(rows.reset_index(drop=True), split)


def answer_target(answer: str, answer_map: dict[str, str]) -> tuple[str, str]:
    """(answer, target) after renaming by ``answer_map``; the target gets its leading space."""
    answer = answer_map.get(answer.strip(), answer.strip())
    return answer, f" {answer}"
