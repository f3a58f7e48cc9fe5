"""Capturing the residual stream of any causal LM with forward hooks.

One forward pass over ``prompt + first T target tokens`` (teacher forcing) yields every
quantity a dump stores. The model is causal, so positions up to ``last_prompt + t − 1``
cannot see target token t and their states equal those of a pass over the prompt alone:

- Z at step t (site ``resid_post``, layers 0..L): the residual stream at position
  ``last_prompt + t − 1``, the position predicting target token t. Layer 0 is the input
  of block 0 (what HF reports as ``hidden_states[0]``), layer l ≥ 1 the output of block l.
- ``final_norm`` (layer L): the model's final norm applied to ``resid_post[L]``.
- Y at step t (``second_pass``): the layer-0 state at position ``last_prompt + t``, i.e. the
  embedding of target token t as the model feeds it to block 0 (incl. GPT-2's position
  embedding) — identical to a second pass with the token appended. ``lookup``: the token's
  row of the input embedding matrix.

Hooks keep only the gathered rows ([B, T, d] per layer), never whole [B, S, d] sequences,
and the LM head is skipped (the base model is called), so capturing costs less than a
plain ``output_hidden_states=True`` forward.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

import torch
from transformers import PreTrainedModel

from inforidge.activations.layout import SITES, TARGET_MODES
from inforidge.models.architecture import find_blocks, find_final_norm, find_input_embeddings
from inforidge.models.batching import PromptBatch
from inforidge.models.hooks import block_hooks

SiteLayer = tuple[str, int]


def _gather(hidden: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """hidden [B, S, d], positions [B, T] → [B, T, d] (row b, positions[b, t])."""
    rows = torch.arange(hidden.shape[0], device=hidden.device)[:, None]  # [B, 1]
    return hidden[rows, positions]


class ActivationCapture:
    """Forward hooks on a model that collect Z and Y for one batch at a time.

    Use as a context manager (hooks are removed on exit) and call :meth:`run` per batch.
    ``keys`` lists the (site, layer) pairs of the Z tensor :meth:`run` returns, in order.
    """

    def __init__(self, model: PreTrainedModel, sites: Sequence[str], target_mode: str) -> None:
        unknown = sorted(set(sites) - set(SITES))
        if unknown or not sites:
            raise ValueError(f"activation sites must be a non-empty subset of {list(SITES)}, got {list(sites)}")
        if target_mode not in TARGET_MODES:
            raise ValueError(f"target_mode must be one of {list(TARGET_MODES)}, got {target_mode!r}")
        self.model = model
        self.target_mode = target_mode
        self.blocks = find_blocks(model)
        self.num_layers = len(self.blocks)
        self.final_norm = find_final_norm(model) if "final_norm" in sites else None
        self.embeddings = find_input_embeddings(model)
        self.keep_all_layers = "resid_post" in sites
        L = self.num_layers
        self.keys: list[SiteLayer] = []
        if self.keep_all_layers:
            self.keys += [("resid_post", layer) for layer in range(L + 1)]
        if self.final_norm is not None:
            self.keys.append(("final_norm", L))
        self._z_pos: torch.Tensor | None = None  # [B, T] positions predicting target tokens
        self._y_pos: torch.Tensor | None = None  # [B, T] positions of the target tokens
        self._resid: dict[int, torch.Tensor] = {}  # layer → [B, T, d]
        self._y0: torch.Tensor | None = None  # [B, T, d] layer-0 state at the target positions

    def __enter__(self) -> "ActivationCapture":
        # Blocks 1..L-2 are only needed when every layer is kept; block 0 for resid_post[0]
        # and the second-pass target, the last one always (it feeds final_norm).
        L = self.num_layers
        blocks = range(L) if self.keep_all_layers else {0, L - 1} if self.target_mode == "second_pass" else {L - 1}
        self._hooks = block_hooks(self.model, self._record, blocks)
        self._hooks.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._hooks.__exit__(exc_type, exc, tb)

    def _record(self, index: int, resid_in: torch.Tensor, resid_out: torch.Tensor) -> None:
        """Keep only the gathered rows of block ``index``'s input and output ([B, S, d] → [B, T, d])."""
        if index == 0 and self.keep_all_layers:
            self._resid[0] = _gather(resid_in, self._z_pos)
        if index == 0 and self.target_mode == "second_pass":
            self._y0 = _gather(resid_in, self._y_pos)
        if self.keep_all_layers or index == self.num_layers - 1:
            self._resid[index + 1] = _gather(resid_out, self._z_pos)

    @torch.inference_mode()
    def run(self, batch: PromptBatch, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Capture one batch; returns Z [K, T, B, d] (K = len(self.keys), T = ``steps``) and Y [T, B, d_y].

        ``batch`` must hold at least ``steps`` target tokens per example (collated with
        ``target_tokens=steps``) and be on the model's device.
        """
        offsets = torch.arange(steps, device=batch.input_ids.device)  # [T]
        self._z_pos = batch.last_prompt[:, None] + offsets  # [B, T]
        self._y_pos = self._z_pos + 1  # [B, T]
        self._resid.clear()
        # The base model skips the LM head, whose logits we would discard.
        self.model.base_model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, use_cache=False)
        L = self.num_layers
        parts: list[torch.Tensor] = []  # each [B, T, d]
        if self.keep_all_layers:
            parts += [self._resid[layer] for layer in range(L + 1)]
        if self.final_norm is not None:
            # Norms act per position, so normalizing the gathered rows equals gathering
            # from the normalized sequence.
            parts.append(self.final_norm(self._resid[L]))
        if self.target_mode == "second_pass":
            target = self._y0  # [B, T, d]
        else:
            target_ids = _gather(batch.input_ids[..., None], self._y_pos)[..., 0]  # [B, T]
            target = self.embeddings(target_ids)  # [B, T, d_y]
        self._resid.clear()
        self._y0 = None
        # Step-major layout so that each (site, layer, step) slice is contiguous for writing.
        z = torch.stack(parts).transpose(1, 2).contiguous()  # [K, B, T, d] → [K, T, B, d]
        return z, target.transpose(0, 1).contiguous()  # [T, B, d_y]
