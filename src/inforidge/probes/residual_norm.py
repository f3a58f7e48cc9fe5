"""Residual-stream norm per layer: how the scale of resid_post[l] grows through the blocks.

For each layer l = 0..L, the L2 norm of ``resid_post[l]`` at the last prompt position (the
state the MI stage and the logit lens read), averaged over the examples of each eval
split. Norm growth across depth is what the final norm undoes before the LM head, so this
is the context for the ``final_sites`` comparison (is a late MI drop a scale artifact?).
It is a plain descriptive statistic of the states: no estimator bias, no null.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from inforidge.probes.registry import ProbeFrames, ReadoutProbeConfig


def residual_norm_job(checkpoint: Path, frames: ProbeFrames, settings: ReadoutProbeConfig,
                      device: str) -> dict[str, pd.DataFrame]:
    """The registered job: per eval split (role) and layer, mean and s.d. of ||resid_post[l]||."""
    # Imported here so that the figure job, which imports this module for its drawing
    # function, loads neither torch nor transformers.
    import torch

    from inforidge.core.devices import resolve_device
    from inforidge.models.batching import gather_positions
    from inforidge.models.modeling import load_model
    from inforidge.probes._batches import first_target_batches
    from inforidge.probes.early_exit import residual_stream

    dev = resolve_device(device)
    model, tokenizer = load_model(str(checkpoint), dev)
    model.eval()
    rows = []
    with torch.no_grad(), residual_stream(model) as stream:
        for role, frame in frames.eval.items():
            frame = frame.head(settings.max_examples) if settings.max_examples else frame
            norms: list[list] = []  # per layer, one [B] tensor per batch
            for batch in first_target_batches(tokenizer, frame, settings.batch_size, dev):
                model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, use_cache=False)
                for layer, hidden in enumerate(stream):  # hidden [B, T, d]
                    if layer == len(norms):
                        norms.append([])
                    norms[layer].append(gather_positions(hidden, batch.last_prompt).float().norm(dim=-1))  # [B]
            for layer, parts in enumerate(norms):
                values = torch.cat(parts)  # [N]
                rows.append({"split": role, "layer": layer, "mean_norm": values.mean().item(),
                             "sd_norm": values.std().item() if len(values) > 1 else float("nan"), "n": len(values)})
    return {"residual_norm": pd.DataFrame(rows, columns=["split", "layer", "mean_norm", "sd_norm", "n"])}


def draw_residual_norm(norms: pd.DataFrame, look=None):
    """Mean ||resid_post[l]|| by layer, one line per checkpoint, ID and OOD panels (run rows)."""
    import seaborn as sns  # plotting libraries only in the figure job

    from inforidge.figures import plots

    look = look or plots.Look()
    grid = sns.relplot(data=norms, x="layer", y="mean_norm", hue="step", col="split", row="run", kind="line",
                       marker="o", palette=look.cmap, height=3.0, aspect=1.2,
                       facet_kws={"sharey": "row", "margin_titles": True})
    grid.set_axis_labels(plots.LAYER_LABEL, "mean ||resid_post[l]|| (last prompt position)")
    grid.set_titles(col_template="{col_name}", row_template="{row_name}")
    grid.figure.suptitle("Residual-stream norm by layer", y=1.03)
    return grid.figure
