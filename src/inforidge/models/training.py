"""Training as a chain of segments: checkpoint k is trained from checkpoint k−1.

Everything that influences the next step lives in the checkpoint (weights, optimizer
and scheduler state, RNG state), and the data order is a pure function of (seed, step),
so a chain of segments reaches the same weights as one continuous run. A segment
writes into a temporary directory and renames it into place: a killed job leaves no
checkpoint that looks complete, and rerunning the same command simply redoes it.

LoRA runs keep the unmerged adapters (and their optimizer state) in the trainer state
and reload the base weights from checkpoint step 0, so resuming is exact; the saved
weights have the adapters merged in and load with plain ``from_pretrained``. FSDP runs
(``training.distributed: fsdp``) execute ``python -m inforidge.models.training ARGS.json``
under ``accelerate launch``; see docs/training.md.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from inforidge.config import RunConfig, TrainingConfig
from inforidge.core.atomic import atomic_directory
from inforidge.core.configschema import build
from inforidge.core.devices import resolve_device
from inforidge.models.batching import EncodedExample, encode_frame, iterate_batches
from inforidge.models.checkpoint_files import METRICS_FILE, SOURCE_FILE, WEIGHTS_FILE, WeightsMismatch, source_dir, weight_hashes
from inforidge.models.evaluation import evaluate_split
from inforidge.models.lmhead import target_token_loss
from inforidge.models.modeling import (
    add_lora,
    adapter_state,
    checkpoint_options,
    enable_gradient_checkpointing,
    initial_model,
    load_adapter_state,
    load_model,
    merge_adapters,
    wants_gradient_checkpointing,
)
from inforidge.models.schedule import lr_factor
from inforidge.tasks.answers import check_first_tokens

log = logging.getLogger(__name__)

STATE_FILE = "trainer_state.pt"
FSDP_STATE_DIR = "fsdp_state"  # accelerate's sharded model + optimizer state of FSDP runs


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


def decay_groups(model: torch.nn.Module) -> tuple[list[torch.nn.Parameter], list[torch.nn.Parameter]]:
    """Trainable parameters split into (decayed, not decayed).

    Biases and norm weights (every parameter with fewer than two dimensions) and
    embedding tables (token and position; a tied LM head is the same tensor) take no
    weight decay: shrinking them toward zero only rescales what the next norm undoes, or
    wipes rare tokens' rows. Weight matrices (an untied LM head included) decay, as in
    ``transformers.Trainer``.
    """
    decay, no_decay, seen = [], [], set()
    for module in model.modules():
        for param in module.parameters(recurse=False):
            if not param.requires_grad or id(param) in seen:
                continue
            seen.add(id(param))
            (no_decay if param.ndim < 2 or isinstance(module, torch.nn.Embedding) else decay).append(param)
    return decay, no_decay


def make_optimizer(model: PreTrainedModel, cfg: TrainingConfig) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW over trainable parameters (two decay groups, see ``decay_groups``) with warmup + decay."""
    decay, no_decay = decay_groups(model)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, cfg))
    return optimizer, scheduler


def clip_gradients(model, optimizer, scaler: torch.amp.GradScaler, max_norm: float | None, accelerator=None) -> None:
    """Clip the global gradient norm to ``max_norm`` (None: no clipping), as ``Trainer`` does.

    fp16 gradients are unscaled first, so the bound applies to the true gradients.
    """
    if max_norm is None:
        return
    if accelerator is not None:
        accelerator.clip_grad_norm_(model.parameters(), max_norm)
        return
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.grad is not None], max_norm)


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """Mixed precision: bf16 on CUDA under ``auto``; always fp32 on CPU."""
    if device.type != "cuda" or precision == "fp32":
        return None
    return torch.float16 if precision == "fp16" else torch.bfloat16


def train_steps(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, examples: list[EncodedExample],
    cfg: TrainingConfig, seed: int, start: int, stop: int, optimizer, scheduler, device: torch.device,
    accelerator=None,
) -> float:
    """Run optimizer steps [start, stop); returns the mean training loss.

    With an ``accelerate.Accelerator`` (FSDP), each process takes an equal slice of
    every micro-batch and the accelerator handles precision and gradient reduction,
    so the global batch, and hence the data order, matches a single-process run.
    """
    model.train()
    rank, world = (accelerator.process_index, accelerator.num_processes) if accelerator else (0, 1)
    amp = None if accelerator else autocast_dtype(cfg.precision, device)
    scaler = torch.amp.GradScaler("cuda", enabled=amp == torch.float16)
    losses = []
    for step in tqdm(range(start, stop), desc=f"train {start}->{stop}", mininterval=5, disable=rank != 0):
        optimizer.zero_grad(set_to_none=True)
        for micro in range(cfg.grad_accum):
            order = batch_order(seed, step * cfg.grad_accum + micro, cfg.batch_size, len(examples))[rank::world]
            batch = next(iterate_batches(examples, cfg.batch_size, tokenizer.pad_token_id, order=order)).to(device)
            with torch.autocast(device.type, dtype=amp or torch.float32, enabled=amp is not None):
                loss = target_token_loss(model, batch)  # the head runs on target-predicting positions only
            if accelerator:
                accelerator.backward(loss / cfg.grad_accum)
            else:
                scaler.scale(loss / cfg.grad_accum).backward()
            losses.append(loss.item())
        clip_gradients(model, optimizer, scaler, cfg.max_grad_norm, accelerator)
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


def initialize_run(
    run: RunConfig, vocabulary: list[str], data: SegmentData, out_dir: Path, device: str = "auto",
    start: Path | None = None,
) -> None:
    """Write checkpoint step 0: the starting model, with no optimizer state yet.

    ``start``: the other run's checkpoint a ``model.source: run`` run continues from. Also
    checks, once the tokenizer is known, that each answer class of the task has its own
    first target token (``inforidge.tasks.answers``).
    """
    dev = resolve_device(device)
    model, tokenizer = initial_model(run.model, vocabulary, run.seed, start=start)
    check_first_tokens(tokenizer, [data.train, *data.evals.values()])
    model.to(dev)
    torch.manual_seed(run.seed)
    metrics = {"step": 0, "train_loss": None, **_evaluate(model, tokenizer, data, run.training, dev)}
    state = {"step": 0, "optimizer": None, "scheduler": None, "adapter": None, "rng": _rng_state()}
    save_checkpoint(out_dir, model.cpu(), tokenizer, state, metrics)


def write_series_checkpoint(run: RunConfig, source: dict, step: int, data: SegmentData, out_dir: Path,
                            device: str = "auto") -> dict:
    """Checkpoint ``step`` of an external series: a pointer, not a copy of the weights.

    The directory holds ``source.json`` (``source``: path or hub id, revision), the model's
    config.json (tables read the depth from it), its tokenizer, metrics.json from the task's
    eval splits, so the training table has accuracy curves for a series too, and weights.json:
    the weights' content hash (``checkpoint_files.weight_hashes``, checked against the hub's
    records for a hub revision), which the run's ``series_weights`` job compares across steps.
    No trainer state: nothing resumes from a series step.

    Hashing here, once per step in the job that reads the weights anyway (Snakemake keeps the
    result), keeps plans fast: a plan never reads weights.
    """
    dev = resolve_device(device)
    model, tokenizer = load_model(source["path"], dev, revision=source["revision"],
                                  trust_remote_code=source["trust_remote_code"])
    where = source["path"] + (f" revision {source['revision']}" if source["revision"] else "")
    try:
        weights = weight_hashes(source_dir(source))  # after the load: a hub revision's files are cached
    except WeightsMismatch as err:
        raise WeightsMismatch(f"series step {step} ({where}): {err}") from None
    log.info("step %d (%s): weights sha256 %s", step, where, weights["sha256"])
    check_first_tokens(tokenizer, list(data.evals.values()))
    metrics = {"step": step, "train_loss": None, **_evaluate(model, tokenizer, data, run.training, dev)}
    with atomic_directory(out_dir) as tmp:
        model.config.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / SOURCE_FILE).write_text(json.dumps(source, indent=2))
        (tmp / METRICS_FILE).write_text(json.dumps(metrics, indent=2))
        (tmp / WEIGHTS_FILE).write_text(json.dumps(weights, indent=2))
    return metrics


def prepare_model(run: RunConfig, prev_dir: Path, base_dir: Path | None, state: dict, device: torch.device):
    """The trainable model of a segment and its tokenizer.

    Full fine-tuning continues from the previous checkpoint's weights. LoRA rebuilds
    the exact training-time model: base weights from step 0 plus the unmerged adapters
    of the trainer state (fresh, seeded adapters in the first segment).
    """
    lora = run.training.lora
    if lora is not None and base_dir is None:
        raise ValueError(f"runs: LoRA training from {prev_dir} needs the step-0 checkpoint (base weights)")
    model, tokenizer = load_model(str(base_dir if lora else prev_dir), device, **checkpoint_options(run.model))
    if wants_gradient_checkpointing(run.training, run.model, device):
        log.info("gradient checkpointing on")
        enable_gradient_checkpointing(model)
    if lora is not None:
        log.info("LoRA adapters: %s", lora)
        model = add_lora(model, lora, run.seed)
        if state.get("adapter") is not None:
            load_adapter_state(model, state["adapter"])
        model.to(device)
    return model, tokenizer


def train_segment(
    run: RunConfig, data: SegmentData, prev_dir: Path, out_dir: Path, stop: int, device: str = "auto",
    base_dir: Path | None = None,
) -> dict:
    """Continue training from checkpoint ``prev_dir`` up to step ``stop``; save to ``out_dir``.

    ``base_dir`` is checkpoint step 0, required for LoRA runs (the unmerged base weights).
    """
    dev = resolve_device(device)
    state = torch.load(prev_dir / STATE_FILE, weights_only=False)
    model, tokenizer = prepare_model(run, prev_dir, base_dir, state, dev)
    optimizer, scheduler = make_optimizer(model, run.training)
    if state["optimizer"] is not None:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
    _set_rng_state(state["rng"])  # after adapter init, which reseeds
    start = state["step"]
    log.info("training %s from step %d to %d on %s", prev_dir.name, start, stop, dev)
    examples = encode_frame(tokenizer, data.train)
    train_loss = train_steps(model, tokenizer, examples, run.training, run.seed, start, stop, optimizer, scheduler, dev)
    metrics = {"step": stop, "train_loss": train_loss, **_evaluate(model, tokenizer, data, run.training, dev)}
    log.info("step %d metrics %s", stop, metrics)
    new_state = {"step": stop, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                 "adapter": adapter_state(model) if run.training.lora else None, "rng": _rng_state()}
    if run.training.lora is not None:
        model = merge_adapters(model)
    save_checkpoint(out_dir, model.cpu(), tokenizer, new_state, metrics)
    return metrics


# --- Sharded multi-GPU training (FSDP through accelerate) -------------------------------------


def fsdp_launch_command(run: RunConfig, args_file: Path) -> list[str]:
    """``accelerate launch`` command that runs one FSDP segment described by ``args_file``."""
    cfg = run.training
    precision = {"auto": "bf16", "bf16": "bf16", "fp16": "fp16", "fp32": "no"}[cfg.precision]
    return [
        sys.executable, "-m", "accelerate.commands.launch",
        "--num_machines", "1", "--num_processes", str(cfg.fsdp.num_processes), "--mixed_precision", precision,
        "--use_fsdp", "--fsdp_version", "1", "--fsdp_sharding_strategy", cfg.fsdp.sharding_strategy,
        # Wrap each transformer block (accelerate reads the class from the model's _no_split_modules).
        "--fsdp_auto_wrap_policy", "TRANSFORMER_BASED_WRAP",
        "--fsdp_state_dict_type", "SHARDED_STATE_DICT", "--fsdp_use_orig_params", "true",
        "--fsdp_offload_params", str(cfg.fsdp.cpu_offload).lower(),
        "-m", "inforidge.models.training", str(args_file),
    ]


def train_segment_fsdp(run: RunConfig, data: SegmentData, prev_dir: Path, out_dir: Path, stop: int) -> dict:
    """One segment on every process of an ``accelerate launch`` FSDP job; writes into ``out_dir``.

    The full weights are gathered for ``save_pretrained`` (later stages stay
    single-process); the sharded model and optimizer state go to ``fsdp_state/`` for
    the next segment. Every process runs the eval forward passes (parameters are
    sharded); only the main process writes files.
    """
    from accelerate import Accelerator

    accelerator = Accelerator()
    dev = accelerator.device
    state = torch.load(prev_dir / STATE_FILE, weights_only=False)
    model, tokenizer = load_model(str(prev_dir), **checkpoint_options(run.model))
    if wants_gradient_checkpointing(run.training, run.model, dev):
        enable_gradient_checkpointing(model)
    model = accelerator.prepare(model)
    optimizer, scheduler = make_optimizer(model, run.training)
    optimizer = accelerator.prepare(optimizer)  # the scheduler stays ours: one step per optimizer step
    if (prev_dir / FSDP_STATE_DIR).exists():
        accelerator.load_state(str(prev_dir / FSDP_STATE_DIR))
        scheduler.load_state_dict(state["scheduler"])
    _set_rng_state(state["rng"])
    examples = encode_frame(tokenizer, data.train)
    train_loss = train_steps(model, tokenizer, examples, run.training, run.seed, state["step"], stop,
                             optimizer, scheduler, dev, accelerator=accelerator)
    metrics = {"step": stop, "train_loss": train_loss, **_evaluate(model, tokenizer, data, run.training, dev)}
    accelerator.save_state(str(out_dir / FSDP_STATE_DIR))
    weights = accelerator.get_state_dict(model)
    if accelerator.is_main_process:
        accelerator.unwrap_model(model).save_pretrained(out_dir, state_dict=weights)
        tokenizer.save_pretrained(out_dir)
        new_state = {"step": stop, "optimizer": None, "scheduler": scheduler.state_dict(), "adapter": None,
                     "rng": _rng_state()}
        torch.save(new_state, out_dir / STATE_FILE)
        (out_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2))
    accelerator.wait_for_everyone()
    return metrics


def main(argv: list[str]) -> None:
    """Entry point of FSDP worker processes: ``python -m inforidge.models.training ARGS.json``.

    ARGS.json (written by workflow/scripts/train.py) holds ``run`` (the run's config
    mapping), ``name``, ``splits`` (split → parquet path), ``train_split``,
    ``eval_splits`` (role → split), ``previous``, ``out`` and ``stop``.
    """
    args = json.loads(Path(argv[0]).read_text())
    run = build(RunConfig, args["run"], f"runs.{args['name']}")
    frames = {split: pd.read_parquet(path) for split, path in args["splits"].items()}
    data = SegmentData(frames[args["train_split"]], {role: frames[s] for role, s in args["eval_splits"].items()})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    train_segment_fsdp(run, data, Path(args["previous"]), Path(args["out"]), int(args["stop"]))


if __name__ == "__main__":
    main(sys.argv[1:])
