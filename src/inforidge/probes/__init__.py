"""Functional probes of a trained model (docs/method.md, "Probes"; docs/probes.md).

- ``residual_scaling``: fit one positive scale per block on the residual update (and a
  temperature), weights frozen, on a fit part; early-stopped on a validation part; scored
  on a held-out part and the eval splits beside a temperature-only baseline;
- ``early_exit``: logit lens, the final norm and LM head applied to every layer;
- ``tuned_lens``: per-layer affine translators trained to match the final layer;
- ``attention``: where the last prompt position attends (sink, signal tokens, itself);
- ``residual_norm``: the norm of resid_post[l] at the last prompt position per layer;
- ``causal``: zero/mean ablation of each block's update, last-position activation patching.

Each is an entry of the probe registry (``inforidge.probes.registry``), from which the
workflow derives its rule, config section, tables and figures (docs/extending.md).

Layers (:data:`inforidge.LAYERS`): ``registry`` is a declaration (``core``, ``analyses.spec``, the
table schemas, the figure registry); the jobs may import any lower layer, the drawing code too.
"""
