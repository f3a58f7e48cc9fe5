"""``dump_split``: capture Z and Y for one checkpoint × split and write an activation store."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm
from transformers import PreTrainedTokenizerBase

import inforidge
from inforidge.activations.capture import ActivationCapture, SiteLayer
from inforidge.activations.layout import DTYPES, FORMAT, FORMAT_VERSION, META, TARGET_SITE
from inforidge.activations.writer import (
    ShardedArrayWriter,
    checkpoint_sha256,
    frame_sha256,
    sha256_file,
    write_manifest,
)
from inforidge.core.atomic import atomic_directory
from inforidge.core.devices import resolve_device
from inforidge.models.batching import collate
from inforidge.models.modeling import load_model
from inforidge.tasks.encoding import EncodedExample, encode_example

log = logging.getLogger(__name__)

_REQUIRED_COLUMNS = ("example_id", "prompt", "target")
_MIB = 1 << 20


class SplitDump(NamedTuple):
    """One split of a checkpoint's dump: its examples, its store directory and its provenance."""

    examples: pd.DataFrame
    out_dir: Path
    provenance: Mapping[str, Any] = {}


def dump_split(checkpoint_dir: Path, examples: pd.DataFrame, out_dir: Path, *,
               provenance: Mapping[str, Any] = {}, **options: Any) -> Path:
    """Capture activations of ``examples`` under a checkpoint and store them in ``out_dir``.

    :func:`dump_splits` for one split: ``options`` are its keyword arguments. Returns the path of
    the written ``manifest.json``.
    """
    return dump_splits(checkpoint_dir, [SplitDump(examples, Path(out_dir), provenance)], **options)[0]


def dump_splits(
    checkpoint_dir: Path,
    splits: Sequence[SplitDump],
    *,
    sites: Sequence[str] = ("resid_post", "final_norm"),
    target_mode: str = "second_pass",
    dtype: str = "float16",
    batch_size: int = 64,
    shard_mb: float = 256,
    max_examples: int | None = None,
    decode_steps: int = 1,
    device: str = "auto",
) -> list[Path]:
    """Load a checkpoint once and store the activations of each split's examples in its directory.

    Every split's arguments are checked before the model loads. Each store is written whole
    (to a temporary directory, then renamed), one after another: a failure leaves the stores
    written before it complete and no partial one.

    Args:
        checkpoint_dir: a ``save_pretrained`` model + tokenizer directory.
        splits: per split, its frame (example_id, prompt, target, ...; every column is carried
            into ``meta.parquet``), its store directory (replaced as a whole when its dump
            completes) and its provenance (below).
        sites: Z sites to capture (``resid_post``: layers 0..L; ``final_norm``: layer L).
            The target Y is always stored (site ``target``, layer 0).
        target_mode: ``second_pass`` (layer-0 state of the target token appended to the
            prompt), ``lookup`` (the token's input-embedding row) or ``auto``: ``lookup`` when
            prompt lengths vary (second_pass Y would carry position), else ``second_pass``
            (:func:`resolve_target_mode`; the manifest records the mode used).
        dtype: storage dtype, ``float16`` or ``float32``.
        batch_size: examples per forward pass.
        shard_mb: maximum MiB of row data per NPY shard (fractions allowed).
        max_examples: keep only the first this many examples (all if None).
        decode_steps: T; step t captures Z at the position predicting target token t
            (teacher forcing) and Y of target token t. Every example needs ≥ T target tokens.
        device: ``auto``, ``cpu`` or ``cuda``.
        provenance: JSON-serializable context recorded in the manifest. The workflow's dumps record
            their key columns (``run``, ``step``, ``split``: the eval role, ``data_split``: the
            dataset split; :func:`~inforidge.activations.reader.dump_keys`), which the MI and
            read-out jobs put on their rows; ``data_split`` (else the directory name) names the
            split in the manifest and ``meta.parquet``.

    Returns:
        The path of each split's written ``manifest.json``, in the order of ``splits``.

    Raises:
        ValueError: bad arguments, an example with fewer than T target tokens, or a NaN /
            Inf activation (naming site, layer, step and example_id).
    """
    for split in splits:
        _check_arguments(split.examples, sites, target_mode, dtype, batch_size, shard_mb, max_examples, decode_steps)
    checkpoint_dir = Path(checkpoint_dir)
    torch_device = resolve_device(device)
    model, tokenizer = load_model(str(checkpoint_dir), torch_device)
    weights = checkpoint_sha256(checkpoint_dir)  # after the load: a hub series' files are cached
    options = _DumpOptions(list(sites), target_mode, np.dtype(dtype), batch_size, max(1, int(shard_mb * _MIB)),
                           max_examples, decode_steps, torch_device)
    return [_dump(model, tokenizer, checkpoint_dir, weights, split, options) for split in splits]


class _DumpOptions(NamedTuple):
    sites: list[str]
    target_mode: str
    storage: np.dtype
    batch_size: int
    shard_bytes: int
    max_examples: int | None
    decode_steps: int
    device: torch.device  # the model's


def _dump(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, checkpoint_dir: Path,
          weights: tuple[str, Any], split: SplitDump, options: _DumpOptions) -> Path:
    """One split's store, written whole (see :func:`dump_splits`)."""
    examples, out_dir, provenance = split.examples, Path(split.out_dir), split.provenance
    sites, storage, batch_size, shard_bytes, max_examples, decode_steps, torch_device = (
        options.sites, options.storage, options.batch_size, options.shard_bytes, options.max_examples,
        options.decode_steps, options.device)
    weights_hash, weight_files = weights
    frame = examples.reset_index(drop=True)
    examples_hash = frame_sha256(frame)
    if max_examples is not None:
        frame = frame.iloc[:max_examples]
    target_mode = resolve_target_mode(options.target_mode, tokenizer, frame)
    n = len(frame)
    log.info("dumping %d examples of %s under %s to %s (%s, T=%d)", n, provenance.get("data_split", out_dir.name),
             checkpoint_dir, out_dir, target_mode, decode_steps)

    with atomic_directory(out_dir) as tmp, ActivationCapture(model, list(sites), target_mode) as capture:
        z_writers: dict[SiteLayer, list[ShardedArrayWriter]] = {}
        y_writers: list[ShardedArrayWriter] = []
        target_ids = np.zeros((n, decode_steps), dtype=np.int64)  # [N, T]
        prompt_tokens = np.zeros(n, dtype=np.int64)  # [N]
        ids = frame["example_id"].to_numpy()
        progress = tqdm(total=n, unit="ex", desc=f"activations {out_dir.name}", mininterval=5.0)
        for start in range(0, n, batch_size):
            rows = range(start, min(start + batch_size, n))
            encoded = _encode_rows(tokenizer, frame, rows, decode_steps)
            batch = collate(encoded, rows, tokenizer.pad_token_id, target_tokens=decode_steps).to(torch_device)
            z, y = capture.run(batch, decode_steps)  # [K, T, B, d], [T, B, d_y]
            z_np = _to_storage(z, storage, [(*key, "") for key in capture.keys], ids[rows.start:rows.stop])
            y_np = _to_storage(y[None], storage, [(TARGET_SITE, 0, target_mode)], ids[rows.start:rows.stop])[0]
            if not y_writers:  # first batch: shapes are known, preallocate every file
                for site, layer in capture.keys:
                    z_writers[site, layer] = [
                        ShardedArrayWriter(tmp, site, layer, t + 1, n, z.shape[-1], storage, shard_bytes)
                        for t in range(decode_steps)
                    ]
                y_writers = [ShardedArrayWriter(tmp, TARGET_SITE, 0, t + 1, n, y.shape[-1], storage, shard_bytes)
                             for t in range(decode_steps)]
            for k, key in enumerate(capture.keys):
                for t, writer in enumerate(z_writers[key]):
                    writer.write(z_np[k, t])
            for t, writer in enumerate(y_writers):
                writer.write(y_np[t])
            target_ids[rows.start:rows.stop] = [e.target_ids[:decode_steps] for e in encoded]
            prompt_tokens[rows.start:rows.stop] = [len(e.prompt_ids) for e in encoded]
            progress.update(len(rows))
        progress.close()

        meta = _meta_frame(frame, tokenizer, target_ids, prompt_tokens, provenance.get("data_split", out_dir.name))
        meta.to_parquet(tmp / META, index=False)
        layers: dict[str, list[int]] = {}
        for site, layer in capture.keys:
            layers.setdefault(site, []).append(layer)
        arrays = [w.record() for ws in z_writers.values() for w in ws] + [w.record() for w in y_writers]
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "code_version": inforidge.__version__,
            "checkpoint": {"id": checkpoint_dir.name, "path": str(checkpoint_dir), "weights_sha256": weights_hash,
                           "weight_files": weight_files},
            "model": {"model_type": model.config.model_type, "num_layers": capture.num_layers,
                      "hidden_size": int(arrays[0]["shape"][1])},
            "examples": {"sha256": examples_hash, "num_input": len(examples), "max_examples": max_examples},
            "split": str(provenance.get("data_split", out_dir.name)),
            "num_examples": n,
            "sites": list(layers),
            "layers": layers,
            "target": {"site": TARGET_SITE, "layer": 0, "mode": target_mode, "dim": int(arrays[-1]["shape"][1])},
            "target_mode": target_mode,
            "decode_steps": decode_steps,
            "dtype": storage.name,
            "shard_bytes": shard_bytes,
            "batch_size": batch_size,
            "device": torch_device.type,
            "meta": {"path": META, "bytes": (tmp / META).stat().st_size, "sha256": sha256_file(tmp / META)},
            "arrays": arrays,
            "provenance": dict(provenance),
        }
        write_manifest(tmp, manifest)
    log.info("wrote %s", out_dir)
    return out_dir / "manifest.json"


def resolve_target_mode(target_mode: str, tokenizer: PreTrainedTokenizerBase, frame: pd.DataFrame) -> str:
    """``auto`` → ``lookup`` if the prompts of ``frame`` differ in token length, else ``second_pass``.

    A second-pass Y is the layer-0 state at the target's position: with learned or rotary
    position information it encodes the prompt length, so on variable-length tasks I(Z; Y)
    would partly measure position (docs/method.md, "The target Y"). Other modes pass through.
    """
    if target_mode != "auto":
        return target_mode
    lengths = {len(encode_example(tokenizer, p, t).prompt_ids) for p, t in zip(frame["prompt"], frame["target"])}
    mode = "lookup" if len(lengths) > 1 else "second_pass"
    log.info("target_mode auto -> %s (prompt token lengths: %d distinct)", mode, len(lengths))
    return mode


def _check_arguments(
    examples: pd.DataFrame, sites: Sequence[str], target_mode: str, dtype: str, batch_size: int, shard_mb: float,
    max_examples: int | None, decode_steps: int,
) -> None:
    missing = [c for c in _REQUIRED_COLUMNS if c not in examples.columns]
    if missing:
        raise ValueError(f"examples lack columns {missing}")
    if examples.empty or max_examples == 0:
        raise ValueError("no examples to dump")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {list(DTYPES)}, got {dtype!r}")
    if isinstance(sites, str):
        raise ValueError(f"sites must be a sequence of site names, got the string {sites!r}")
    for name, value in (("batch_size", batch_size), ("decode_steps", decode_steps)):
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    if shard_mb <= 0:
        raise ValueError(f"shard_mb must be > 0, got {shard_mb}")
    if max_examples is not None and max_examples < 0:
        raise ValueError(f"max_examples must be >= 0 or None, got {max_examples}")


def _encode_rows(tokenizer: PreTrainedTokenizerBase, frame: pd.DataFrame, rows: range, steps: int) -> list[EncodedExample]:
    # Encoding per batch (not the whole frame up front) keeps memory flat in N.
    encoded = []
    for i in rows:
        example = encode_example(tokenizer, frame["prompt"].iat[i], frame["target"].iat[i])
        if len(example.target_ids) < steps:
            raise ValueError(f"example_id {frame['example_id'].iat[i]}: target has {len(example.target_ids)} "
                             f"token(s), decode_steps={steps} needs at least {steps}")
        encoded.append(example)
    return encoded


def _to_storage(values: torch.Tensor, storage: np.dtype, keys: Sequence[tuple[str, int, str]],
                example_ids: np.ndarray) -> np.ndarray:
    """Cast [K, T, B, d] to the storage dtype on the device, refuse NaN/Inf, move to host."""
    stored = values.to(getattr(torch, storage.name))
    if not bool(torch.isfinite(stored).all()):
        bad = ~torch.isfinite(stored)
        k, t, b, _ = (int(i) for i in bad.nonzero()[0])
        site, layer, note = keys[k]
        cause = ("NaN/Inf in the model's activations" if not bool(torch.isfinite(values[k, t, b]).all())
                 else f"value overflows {storage.name}; use dtype float32")
        where = f"site {site}, layer {layer}" + (f" ({note})" if note else "")
        raise ValueError(f"{cause}: {where}, step {t + 1}, example_id {example_ids[b]}")
    return stored.cpu().numpy()


def _meta_frame(frame: pd.DataFrame, tokenizer: PreTrainedTokenizerBase, target_ids: np.ndarray, prompt_tokens: np.ndarray,
                split: str) -> pd.DataFrame:
    """One row per stored example: the examples' columns plus the target tokens."""
    meta = frame.copy()
    if "split" not in meta.columns:
        meta["split"] = split
    meta["target_token_id"] = target_ids[:, 0]
    texts = {int(i): tokenizer.decode([int(i)]) for i in np.unique(target_ids[:, 0])}
    meta["target_text"] = [texts[int(i)] for i in target_ids[:, 0]]
    meta["target_token_ids"] = list(target_ids)
    meta["prompt_tokens"] = prompt_tokens
    return meta
