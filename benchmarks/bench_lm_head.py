"""The LM head on every position (before) vs on the read positions only (after).

Scratch models of the real vocabulary shapes (GPT-2 50257, Llama 3 128256, Qwen2 151936)
with a small trunk, random token ids (the head's cost does not depend on them):

- ``eval batch``: one evaluation batch, B = 32 at a CLUTRR-length prompt (T = 256),
  last prompt position drawn per example: time and PEAK RSS growth over the resident
  model. Before: ``model(...).logits`` [B, T, V] then the gather (the old
  ``evaluate_split``); after: ``inforidge.models.lmhead.last_prompt_logits``.
- ``residual-scaling step``: forward + backward + Adam step of the per-block scales
  (``scaled_residuals``), before/after as above, at --step-batch × --step-len.
- ``training step``: forward + backward of the training loss with a 4-token target,
  HF's ``labels=`` loss (before) vs ``target_token_loss`` (after).

Times are the best of --repeats. Peak memory is measured in a fresh interpreter per
(family, mode), after a warm-up batch, as VmHWM − VmRSS (Linux; VmHWM reset through
/proc/self/clear_refs) with glibc's dynamic mmap threshold pinned, so freed buffers of
earlier work cannot hide the growth. Usage:
    python benchmarks/bench_lm_head.py [--families gpt2 llama qwen2] [--layers 2] [--width 64]
        [--batch 32] [--seq-len 256] [--step-batch 16] [--step-len 64] [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, GPT2Config, LlamaConfig, Qwen2Config

from inforidge.models.batching import IGNORE_INDEX, PromptBatch, gather_positions
from inforidge.models.lmhead import last_prompt_logits, target_token_loss
from inforidge.probes.residual_scaling import scaled_residuals

VOCAB = {"gpt2": 50257, "llama": 128256, "qwen2": 151936}


def build(family: str, layers: int, width: int, positions: int):
    """A scratch model of ``family`` at its real vocabulary size."""
    if family == "gpt2":
        cfg = GPT2Config(vocab_size=VOCAB[family], n_layer=layers, n_embd=width, n_head=4, n_positions=positions)
    else:
        cls = LlamaConfig if family == "llama" else Qwen2Config
        cfg = cls(vocab_size=VOCAB[family], num_hidden_layers=layers, hidden_size=width, num_attention_heads=4,
                  num_key_value_heads=4, intermediate_size=4 * width, max_position_embeddings=positions,
                  tie_word_embeddings=True)
    return AutoModelForCausalLM.from_config(cfg).eval()


def random_batch(vocab: int, batch: int, length: int, target_tokens: int, seed: int = 0) -> PromptBatch:
    """Right-padded prompts of random length in [length/2, length − target_tokens] plus their targets."""
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, vocab, (batch, length), generator=gen)
    prompt = torch.randint(length // 2, length - target_tokens + 1, (batch,), generator=gen)
    pos = torch.arange(length)
    mask = (pos < (prompt + target_tokens)[:, None]).long()
    is_target = (pos >= prompt[:, None]) & (mask == 1)
    return PromptBatch(input_ids=ids, attention_mask=mask, labels=ids.masked_fill(~is_target, IGNORE_INDEX),
                       last_prompt=prompt - 1, target_first=ids[torch.arange(batch), prompt], rows=torch.arange(batch))


def _full_last_logits(model, batch: PromptBatch) -> torch.Tensor:
    logits = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, use_cache=False).logits
    return gather_positions(logits, batch.last_prompt)  # [B, V] out of [B, T, V]


LAST_LOGITS = {"before": _full_last_logits, "after": last_prompt_logits}


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def peak_mib(fn: Callable[[], object]) -> float:
    """Peak resident memory (MiB) that ``fn`` adds to the process."""
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _rss_kib("VmRSS")
    fn()
    return (_rss_kib("VmHWM") - before) / 1024


def best_seconds(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def eval_batch(model, batch: PromptBatch, mode: str) -> Callable[[], float]:
    def run() -> float:
        with torch.no_grad():
            last = LAST_LOGITS[mode](model, batch).float()
            return torch.nn.functional.cross_entropy(last, batch.target_first).item()

    return run


def scaling_step(model, batch: PromptBatch, mode: str) -> Callable[[], None]:
    def run() -> None:
        with scaled_residuals(model) as scales:
            optimizer = torch.optim.Adam(scales.parameters(), lr=0.01)
            loss = torch.nn.functional.cross_entropy(LAST_LOGITS[mode](model, batch).float(), batch.target_first)
            loss.backward()
            optimizer.step()

    return run


def training_step(model, batch: PromptBatch, mode: str) -> Callable[[], None]:
    def run() -> None:
        model.zero_grad(set_to_none=True)
        if mode == "before":
            loss = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels).loss
        else:
            loss = target_token_loss(model, batch)
        loss.backward()

    return run


def child_peak(args: argparse.Namespace, family: str, mode: str) -> float:
    """Peak MiB of one eval batch of ``family`` in ``mode``, measured in a fresh interpreter."""
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"}
    command = [sys.executable, __file__, "--peak-of", family, mode, "--layers", str(args.layers), "--width",
               str(args.width), "--batch", str(args.batch), "--seq-len", str(args.seq_len)]
    return float(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout.split()[-1])


def print_peak(args: argparse.Namespace, family: str, mode: str) -> None:
    model = build(family, args.layers, args.width, args.seq_len)
    eval_batch(model, random_batch(VOCAB[family], 2, 8, 1, seed=1), mode)()  # warm-up: lazy inits, allocator
    print(peak_mib(eval_batch(model, random_batch(VOCAB[family], args.batch, args.seq_len, 1), mode)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=list(VOCAB), choices=list(VOCAB))
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=256)
    parser.add_argument("--step-batch", type=int, default=16)
    parser.add_argument("--step-len", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--peak-of", nargs=2, metavar=("FAMILY", "MODE"), help="internal: one peak measurement")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.peak_of:
        return print_peak(args, *args.peak_of)
    print(f"loadavg at start: {Path('/proc/loadavg').read_text().strip()}")
    print("family | V | measure | before | after | before/after")
    for family in args.families:
        model = build(family, args.layers, args.width, max(args.seq_len, args.step_len))
        big = random_batch(VOCAB[family], args.batch, args.seq_len, 1)
        small = random_batch(VOCAB[family], args.step_batch, args.step_len, 1)
        multi = random_batch(VOCAB[family], args.step_batch, args.step_len, 4)
        for name, make, batch, unit in [("eval batch time", eval_batch, big, "s"),
                                        ("residual-scaling step", scaling_step, small, "s"),
                                        ("training step (4 target tokens)", training_step, multi, "s")]:
            model.train(name.startswith("training"))
            cost = {mode: best_seconds(make(model, batch, mode), args.repeats) for mode in ("before", "after")}
            print(f"{family} | {VOCAB[family]} | {name} B={len(batch.rows)} T={batch.input_ids.shape[1]} | "
                  f"{cost['before']:.3f} {unit} | {cost['after']:.3f} {unit} | {cost['before'] / cost['after']:.1f}x")
        model.eval()
        same = math.isclose(eval_batch(model, big, "before")(), eval_batch(model, big, "after")(), rel_tol=1e-5)
        mem = {mode: child_peak(args, family, mode) for mode in ("before", "after")}
        print(f"{family} | {VOCAB[family]} | eval batch peak RSS growth B={args.batch} T={args.seq_len} | "
              f"{mem['before']:.0f} MiB | {mem['after']:.0f} MiB | {mem['before'] / max(mem['after'], 1):.0f}x "
              f"(same loss: {same})")
    print(f"loadavg at end: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
