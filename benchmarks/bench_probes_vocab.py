"""The residual-scaling and tuned-lens probe jobs on a real-vocabulary fixture (issue 23).

The fixture has the issue's shape: a scratch Llama (3 blocks, width 48, 4 heads, 2 KV heads)
with the real Llama 3 tokenizer and its 128,256-token vocabulary, rebuilt offline from the
pinned rank file (``inforidge.fixtures``), weights seeded; the data are the default
arithmetic task's splits (train 2048, probe_ood / eval_id / eval_ood 512 rows each). The job
functions are the workflow's own (``inforidge.probes.stage``) at the config defaults unless
capped, so the same script times main's code (PYTHONPATH at a checkout of it) and this
branch's. Peak RSS: run under ``/usr/bin/time -v``. Usage:

    python benchmarks/bench_probes_vocab.py {residual_scaling,tuned_lens} OUT_DIR
        [--fixture DIR] [--seeds 0 1 2] [--steps N]

Prints the job's wall seconds; writes OUT_DIR/<table>.parquet for comparisons.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import pandas as pd
import torch
from transformers import AutoModelForCausalLM, LlamaConfig

from inforidge.fixtures import build_tokenizer
from inforidge.fixtures.models import save_tokenizer
from inforidge.probes import stage
from inforidge.probes.registry import ProbeFrames, ResidualScalingConfig, TunedLensConfig
from inforidge.tasks.arithmetic import ArithmeticTask

CACHE = Path(".cache/inforidge-fixtures")
SIZES = {"train": 2048, "eval_id": 512, "eval_ood": 512, "probe_ood": 512}


def build_fixture(path: Path) -> None:
    """A 3-block width-48 Llama with the real Llama 3 tokenizer (skipped when ``path`` exists)."""
    if (path / "config.json").exists():
        return
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=128256, hidden_size=48, intermediate_size=192, num_hidden_layers=3,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                         tie_word_embeddings=False, bos_token_id=128000, eos_token_id=128001)
    AutoModelForCausalLM.from_config(config).save_pretrained(path)
    save_tokenizer(build_tokenizer("llama3", CACHE), "llama3", path)


def task(sizes: dict[str, int] = SIZES) -> ArithmeticTask:
    """The arithmetic task the probes read (modulus 13; OOD moduli 11 and 17; 16 elements)."""
    return ArithmeticTask(modulus=13, ood_moduli=(11, 17), elements=16, noise_range=50, sizes=sizes, seed=0)


def frames() -> ProbeFrames:
    split = {name: task().build_split(name) for name in SIZES}
    return ProbeFrames(eval={"id": split["eval_id"], "ood": split["eval_ood"]},
                       fit={"id": split["train"], "ood": split["probe_ood"]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("probe", choices=["residual_scaling", "tuned_lens"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--fixture", type=Path, default=Path("/tmp/inforidge-llama3-3x48"))
    parser.add_argument("--seeds", type=int, nargs="+", help="cap: these fit seeds (default: the config's)")
    parser.add_argument("--steps", type=int, help="cap: this many steps (default: the config's)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    build_fixture(args.fixture)  # a no-op for an existing model directory (e.g. train_small_default.py's)
    settings = ResidualScalingConfig() if args.probe == "residual_scaling" else TunedLensConfig()
    caps = {k: v for k, v in (("seeds", args.seeds), ("steps", args.steps)) if v is not None}
    settings = dataclasses.replace(settings, **caps)
    data = frames()
    job = getattr(stage, f"{args.probe}_job")
    start = time.perf_counter()
    tables = job(args.fixture, data, settings, "cpu")
    seconds = time.perf_counter() - start
    args.out.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_parquet(args.out / f"{name}.parquet")
    record = {"probe": args.probe, "job_seconds": round(seconds, 1), "caps": caps}
    (args.out / "timing.json").write_text(json.dumps(record))
    print(json.dumps(record))
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        for name, table in tables.items():
            print(name, table.head(12), sep="\n")


if __name__ == "__main__":
    main()
