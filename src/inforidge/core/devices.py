"""Choosing the torch device (kept free of transformers so the MI estimator can use it)."""

from __future__ import annotations

import torch


def resolve_device(device: str | torch.device) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device: {str(device)!r} requested but no CUDA device is available")
    return torch.device(device)
