"""Run the attention, tuned-lens and causal probes on one checkpoint and print what they found.

Usage (after a workflow run has produced the checkpoint and the split parquets):

    python benchmarks/readout_probes.py RESULTS_DIR RUN STEP OUT_DIR [--task arithmetic]

Writes OUT_DIR/{attention,lens,lens_history,ablation,patching}.parquet and prints each
frame's seed means (with the seed s.d. where there are seeds) and the seconds each probe
took. The findings on the default config are recorded in docs/probes.md.
"""

from __future__ import annotations

import time

import pandas as pd
import torch
from _checkpoint_args import checkpoint_parser, load_checkpoint

from inforidge.probes.attention import attention_mass
from inforidge.probes.causal import causal_probe
from inforidge.probes.registry import CausalConfig, TunedLensConfig
from inforidge.probes.tuned_lens import tuned_lens_probe
from inforidge.tasks.base import StandardSplits


def main() -> None:
    args = checkpoint_parser(__doc__.splitlines()[0]).parse_args()
    model, tokenizer, data = load_checkpoint(args)
    device = torch.device("cpu")
    evals = {role: pd.read_parquet(data / f"{split}.parquet") for role, split in StandardSplits.eval_splits.items()}
    train = pd.read_parquet(data / "train.parquet")
    args.out.mkdir(parents=True, exist_ok=True)
    pd.set_option("display.width", 200)

    def timed(name, fn):
        start = time.perf_counter()
        result = fn()
        print(f"== {name}: {time.perf_counter() - start:.1f} s", flush=True)
        return result

    attention = timed("attention", lambda: attention_mass(model, tokenizer, evals, batch_size=64, device=device))
    attention.to_parquet(args.out / "attention.parquet")
    print(attention.round(3).to_string(index=False))

    lens, history = timed("tuned lens", lambda: tuned_lens_probe(model, tokenizer, train.iloc[-2048:], evals,
                                                               TunedLensConfig(), batch_size=64, device=device))
    lens.to_parquet(args.out / "lens.parquet")
    history.to_parquet(args.out / "lens_history.parquet")
    print(lens.groupby(["split", "lens", "layer"])[["accuracy", "loss", "kl_to_final"]].agg(["mean", "std"]).round(3))

    ablation, patching = timed("causal", lambda: causal_probe(model, tokenizer, evals, train.iloc[:512], CausalConfig(),
                                                              device=device))
    ablation.to_parquet(args.out / "ablation.parquet")
    patching.to_parquet(args.out / "patching.parquet")
    print(ablation.round(3).to_string(index=False))
    metrics = ["p_target", "logit_diff", "target_accuracy", "source_rate", "logit_diff_clean", "target_accuracy_clean"]
    print(patching.groupby(["target_split", "source_split", "layer"])[metrics].agg(["mean", "std"]).round(3))


if __name__ == "__main__":
    main()
