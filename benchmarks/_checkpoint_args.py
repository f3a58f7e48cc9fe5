"""Command-line arguments shared by the probe scripts: which checkpoint and data to read."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from inforidge.models.modeling import load_model


def checkpoint_parser(description: str) -> argparse.ArgumentParser:
    """A parser with RESULTS_DIR RUN STEP OUT_DIR and --task."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("results", type=Path)
    parser.add_argument("run")
    parser.add_argument("step", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--task", default="arithmetic")
    return parser


def load_checkpoint(args: argparse.Namespace) -> tuple[PreTrainedModel, PreTrainedTokenizerBase, Path]:
    """The checkpoint's model and tokenizer on one CPU thread, and the task's data directory."""
    torch.set_num_threads(1)  # the machine is shared: one thread is the fast choice (COMMON.md)
    path = args.results / "runs" / args.run / "checkpoints" / f"step-{args.step}"
    model, tokenizer = load_model(str(path), torch.device("cpu"))
    return model, tokenizer, args.results / "data" / args.task
