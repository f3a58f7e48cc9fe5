"""Activation dump throughput vs. a bare ``output_hidden_states=True`` forward pass.

Builds a scratch GPT-2-architecture model (no hub), saves it as a checkpoint, and times
over the same examples in the same process:

- ``bare``: collate + ``model(..., output_hidden_states=True)`` + gather the last prompt
  position of every hidden state + move to host (the least any dump must do);
- ``dump``: ``inforidge.activations.dump_split`` end to end (encoding, capture, fp16
  cast, NaN check, sharded writes with checksums, meta.parquet, manifest).

Goal: dump wall time ≤ 1.25 × bare. Usage:
    python benchmarks/bench_activations.py [--examples 4096] [--layers 12] [--width 384]
        [--batch-size 64] [--device cpu|cuda] [--threads N] [--repeats 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from inforidge import activations
from inforidge.config import ModelConfig
from inforidge.models.batching import encode_frame, gather_positions, iterate_batches
from inforidge.models.modeling import initial_model, load_model, resolve_device
from inforidge.tasks.arithmetic import ArithmeticTask


def bare_forward(checkpoint: Path, frame, batch_size: int, device: torch.device) -> float:
    """Seconds for the reference pass (encoding excluded: it is shared setup)."""
    model, tokenizer = load_model(str(checkpoint), device)
    encoded = encode_frame(tokenizer, frame)
    start = time.perf_counter()
    with torch.inference_mode():
        for batch in iterate_batches(encoded, batch_size, tokenizer.pad_token_id, target_tokens=1):
            batch = batch.to(device)
            hidden = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask,
                           output_hidden_states=True).hidden_states  # L + 1 × [B, S, d]
            torch.stack([gather_positions(h, batch.last_prompt) for h in hidden]).cpu()  # [L + 1, B, d]
    return time.perf_counter() - start


def dump(checkpoint: Path, frame, batch_size: int, device: str, out: Path) -> float:
    """Seconds for dump_split (model loading excluded, as for the bare pass)."""
    load_model(str(checkpoint), device)  # warm the file cache and lazy imports
    start = time.perf_counter()
    activations.dump_split(checkpoint, frame, out, batch_size=batch_size, device=device)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=4096)
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--width", type=int, default=384)
    parser.add_argument("--heads", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--repeats", type=int, default=2, help="alternating repeats; the best of each is reported")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    sizes = {s: args.examples for s in ("train", "eval_id", "eval_ood", "probe_ood")}
    task = ArithmeticTask(13, tuple(k for k in range(5, 26) if k != 13), 10, 100, sizes, 0)
    frame = task.build_split("eval_id")
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = Path(tmp) / "step-0"
        model, tokenizer = initial_model(
            ModelConfig(architecture="gpt2", n_layer=args.layers, n_embd=args.width, n_head=args.heads),
            task.vocabulary(), seed=0)
        model.save_pretrained(checkpoint)
        tokenizer.save_pretrained(checkpoint)
        bare_s, dump_s = [], []
        for repeat in range(args.repeats):  # alternate so drifting machine load hits both
            bare_s.append(bare_forward(checkpoint, frame, args.batch_size, device))
            dump_s.append(dump(checkpoint, frame, args.batch_size, str(device), Path(tmp) / f"out-{repeat}"))
        size_mb = sum(f.stat().st_size for f in (Path(tmp) / "out-0").rglob("*") if f.is_file()) / 2**20
    bare, dumped = min(bare_s), min(dump_s)
    print(f"model: gpt2 L={args.layers} d={args.width}; examples={args.examples}; batch={args.batch_size}; "
          f"device={device}; torch threads={torch.get_num_threads()}; store {size_mb:.1f} MiB (fp16)")
    print(f"bare forward (output_hidden_states=True): {bare:.2f} s  ({args.examples / bare:.0f} ex/s)  all: {bare_s}")
    print(f"dump_split:                               {dumped:.2f} s  ({args.examples / dumped:.0f} ex/s)  all: {dump_s}")
    print(f"ratio dump / bare: {dumped / bare:.3f}  (goal <= 1.25)")


if __name__ == "__main__":
    main()
