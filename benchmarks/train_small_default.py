"""Train the default's model shape (GPT-2, 4 blocks, width 64, word-level tokenizer) on the probe bench's task.

For comparing probe fits of two code versions on a model that solves the task in
distribution (``bench_probes_vocab.py ... --fixture OUT`` with each version): the default
run's recipe (AdamW 3e-3, weight decay 0.1, batch 64) on 8192 rows of the arithmetic task
that ``bench_probes_vocab.frames`` splits (its first 2048 train rows are the probes' fit
rows). Usage: python benchmarks/train_small_default.py OUT [--steps 1500]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from bench_probes_vocab import SIZES, task

from inforidge.config import ModelConfig
from inforidge.models.batching import encode_frame, iterate_batches
from inforidge.models.lmhead import target_token_loss
from inforidge.models.modeling import initial_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--steps", type=int, default=1500)
    args = parser.parse_args()
    torch.set_num_threads(1)
    arithmetic = task({**SIZES, "train": 8192})
    model, tokenizer = initial_model(ModelConfig(architecture="gpt2", n_layer=4, n_embd=64, n_head=4),
                                     arithmetic.vocabulary(), seed=0)
    examples = encode_frame(tokenizer, arithmetic.build_split("train"))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.1)
    generator, step = torch.Generator().manual_seed(0), 0
    model.train()
    while step < args.steps:
        order = torch.randperm(len(examples), generator=generator).tolist()
        for batch in iterate_batches(examples, 64, tokenizer.pad_token_id, order=order):
            loss = target_token_loss(model, batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % 250 == 0:
                print(f"step {step}: training loss {loss.item():.3f} nats", flush=True)
            if step == args.steps:
                break
    model.eval().save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)


if __name__ == "__main__":
    main()
