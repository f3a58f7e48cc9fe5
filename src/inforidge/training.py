"""Training as a chain of segments: checkpoint k is trained from checkpoint k−1.

Everything that influences the next step lives in the checkpoint (weights, optimizer
and scheduler state, RNG state), and the data order is a pure function of (seed, step),
so a chain of segments reaches the same weights as one continuous run. A segment
writes into a temporary directory and renames it into place: a killed job leaves no
checkpoint that looks complete, and rerunning the same command simply redoes it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from inforidge.atomic import atomic_directory
from inforidge.batching import EncodedExample, encode_frame, iterate_batches
from inforidge.config import RunConfig, TrainingConfig
from inforidge.evaluation import evaluate_split
from inforidge.modeling import initial_model, load_model, resolve_device
from inforidge.schedule import lr_factor

log = logging.getLogger(__name__)

STATE_FILE = "trainer_state.pt"
METRICS_FILE = "metrics.json"


@dataclass
class SegmentData:
    """The frames a segment needs: training data and the eval splits by role."""

    train: pd.DataFrame
    evals: dict[str, pd.DataFrame]  # role ("id"/"ood") → frame


def batch_order(seed: int, step: int, batch_size: int, n_examples: int) -> np.ndarray:
    """Example indices of the (micro-)batch at ``step``: epoch-wise permutations from the seed.

    A pure function of its arguments, so resuming at any step sees the same data.
    """
    per_epoch = n_examples // batch_size
    epoch, offset = divmod(step, per_epoch)
    perm = np.random.default_rng([seed, epoch]).permutation(n_examples)
    return perm[offset * batch_size : (offset + 1) * batch_size]


def make_optimizer(model: PreTrainedModel, cfg: TrainingConfig) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW over trainable parameters with warmup + decay."""
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, cfg))
    return optimizer, scheduler


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """Mixed precision: bf16 on CUDA under ``auto``; always fp32 on CPU."""
    if device.type != "cuda" or precision == "fp32":
        return None
    return torch.float16 if precision == "fp16" else torch.bfloat16


def train_steps(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, examples: list[EncodedExample],
    cfg: TrainingConfig, seed: int, start: int, stop: int, optimizer, scheduler, device: torch.device,
) -> float:
    """Run optimizer steps [start, stop); returns the mean training loss."""
    model.train()
    amp = autocast_dtype(cfg.precision, device)
    scaler = torch.amp.GradScaler("cuda", enabled=amp == torch.float16)
    losses = []
    for step in tqdm(range(start, stop), desc=f"train {start}->{stop}", mininterval=5):
        optimizer.zero_grad(set_to_none=True)
        for micro in range(cfg.grad_accum):
            order = batch_order(seed, step * cfg.grad_accum + micro, cfg.batch_size, len(examples))
            batch = next(iterate_batches(examples, cfg.batch_size, tokenizer.pad_token_id, order=order)).to(device)
            with torch.autocast(device.type, dtype=amp or torch.float32, enabled=amp is not None):
                loss = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels).loss
            scaler.scale(loss / cfg.grad_accum).backward()
            losses.append(loss.item())
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
    return float(np.mean(losses)) if losses else float("nan")


def save_checkpoint(out_dir: Path, model, tokenizer, state: dict, metrics: dict) -> None:
    """Write a loadable checkpoint (model, tokenizer, trainer state, metrics) atomically."""
    with atomic_directory(out_dir) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        torch.save(state, tmp / STATE_FILE)
        (tmp / METRICS_FILE).write_text(json.dumps(metrics, indent=2))


def _rng_state() -> dict:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _evaluate(model, tokenizer, data: SegmentData, cfg: TrainingConfig, device) -> dict:
    metrics = {}
    for role, frame in data.evals.items():
        result = evaluate_split(model, tokenizer, frame.head(cfg.eval_examples), batch_size=cfg.batch_size, device=device)
        metrics.update({f"{role}_loss": result["loss"], f"{role}_accuracy": result["accuracy"]})
    return metrics


def initialize_run(run: RunConfig, vocabulary: list[str], data: SegmentData, out_dir: Path, device: str = "auto") -> None:
    """Write checkpoint step 0: the starting model, with no optimizer state yet."""
    dev = resolve_device(device)
    model, tokenizer = initial_model(run.model, vocabulary, run.seed)
    model.to(dev)
    torch.manual_seed(run.seed)
    metrics = {"step": 0, "train_loss": None, **_evaluate(model, tokenizer, data, run.training, dev)}
    save_checkpoint(out_dir, model.cpu(), tokenizer, {"step": 0, "optimizer": None, "scheduler": None, "rng": _rng_state()}, metrics)


def train_segment(run: RunConfig, data: SegmentData, prev_dir: Path, out_dir: Path, stop: int, device: str = "auto") -> dict:
    """Continue training from checkpoint ``prev_dir`` up to step ``stop``; save to ``out_dir``."""
    dev = resolve_device(device)
    model, tokenizer = load_model(str(prev_dir), dev)
    state = torch.load(prev_dir / STATE_FILE, weights_only=False)
    optimizer, scheduler = make_optimizer(model, run.training)
    if state["optimizer"] is not None:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
    _set_rng_state(state["rng"])
    start = state["step"]
    log.info("training %s from step %d to %d on %s", prev_dir.name, start, stop, dev)
    examples = encode_frame(tokenizer, data.train)
    train_loss = train_steps(model, tokenizer, examples, run.training, run.seed, start, stop, optimizer, scheduler, dev)
    metrics = {"step": stop, "train_loss": train_loss, **_evaluate(model, tokenizer, data, run.training, dev)}
    log.info("step %d metrics %s", stop, metrics)
    new_state = {"step": stop, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "rng": _rng_state()}
    save_checkpoint(out_dir, model.cpu(), tokenizer, new_state, metrics)
    return metrics


def read_metrics(checkpoint_dir: Path) -> dict:
    """The metrics.json of a checkpoint."""
    return json.loads((checkpoint_dir / METRICS_FILE).read_text())
