"""Sweep learning rate × step cap (with and without early stopping) for the residual-scaling study.

Since the fits are full-batch L-BFGS, ``lr`` is the line search's first trial step and the cap counts
iterations; the recorded sweep (docs/probes.md) was run with Adam.

Usage (after a workflow run has produced the checkpoint and the split parquets):

    python benchmarks/sweep_residual_scaling.py RESULTS_DIR RUN STEP OUT_DIR [--grid lr:cap:early|last ...]

Writes OUT_DIR/{betas,summary,history,grid}.parquet (every study frame, keyed by lr, cap,
early_stopping) and prints the grid: per setting, the share of converged fits, the mean
restored step, the held-out/ID/OOD loss and accuracy change against the temperature
baseline, the seed spread of β (mean over layers of the s.d. across seeds) and seconds.
The results and the chosen defaults are recorded in docs/probes.md.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import torch
from _checkpoint_args import checkpoint_parser, load_checkpoint

from inforidge.probes.residual_scaling import FitSettings, improvement_over_temperature, residual_scaling_study
from inforidge.tasks.base import StandardSplits


def _frames(data: Path) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    # The first 512 rows of each fit split: the default max_fit_examples (ID and OOD fits of equal size).
    fit = {role: pd.read_parquet(data / f"{split}.parquet").head(512)
           for role, split in StandardSplits.probe_splits.items()}
    evals = {role: pd.read_parquet(data / f"{split}.parquet") for role, split in StandardSplits.eval_splits.items()}
    return fit, evals


def _grid_row(study, seconds: float) -> dict:
    gain = improvement_over_temperature(study.summary)
    fits = study.summary[study.summary["phase"] == "after"].drop_duplicates(["seed", "fit_split"])
    row = {"converged": fits["converged"].mean(), "stopped_step": fits["stopped_step"].mean(), "seconds": seconds,
           "beta_seed_sd": study.betas.groupby(["fit_split", "layer"])["beta"].std().mean(),
           "beta_max": study.betas["beta"].max(), "beta_min": study.betas["beta"].min()}
    for (fit_split, split), g in gain.groupby(["fit_split", "split"]):
        row[f"{fit_split}>{split} dloss"] = g["delta_loss"].mean()
        row[f"{fit_split}>{split} dacc"] = g["delta_accuracy"].mean()
    return row


def main() -> None:
    parser = checkpoint_parser(__doc__.splitlines()[0])
    parser.add_argument("--grid", nargs="+", default=["0.03:300:early", "0.1:300:early", "0.3:300:early", "0.1:300:last"],
                        help="settings lr:cap:early|last (last: no early stopping, keep the cap's parameters)")
    parser.add_argument("--fit-splits", nargs="+", default=["id", "ood"])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    model, tokenizer, data = load_checkpoint(args)
    device = torch.device("cpu")
    fit, evals = _frames(data)
    fit = {role: fit[role] for role in args.fit_splits}
    frames: dict[str, list[pd.DataFrame]] = {"betas": [], "summary": [], "history": [], "grid": []}
    args.out.mkdir(parents=True, exist_ok=True)
    for spec in args.grid:
        lr, cap, mode = spec.split(":")
        early = mode == "early"
        settings = FitSettings(max_steps=int(cap), lr=float(lr), batch_size=args.batch_size, eval_every=10,
                               patience=5 if early else int(cap) + 1, min_delta=1e-3, restore_best=early)
        start = time.perf_counter()
        study = residual_scaling_study(model, tokenizer, fit, evals, seeds=args.seeds, settings=settings, device=device)
        keys = {"lr": float(lr), "cap": int(cap), "early_stopping": early}
        for name in ("betas", "summary", "history"):
            frames[name].append(getattr(study, name).assign(**keys))
        frames["grid"].append(pd.DataFrame([{**keys, **_grid_row(study, time.perf_counter() - start)}]))
        print(frames["grid"][-1].round(3).to_string(index=False), flush=True)
        for name, parts in frames.items():  # after every setting, so a slow sweep keeps what it did
            pd.concat(parts, ignore_index=True).to_parquet(args.out / f"{name}.parquet")




if __name__ == "__main__":
    main()
