"""Functional probes of a trained model (docs/method.md, "Probes").

- ``residual_scaling``: fit one non-negative scale per block on the residual update,
  weights frozen, to see which layers ID and OOD data want to amplify or damp;
- ``early_exit``: logit lens, the final norm and LM head applied to every layer;
- ``attention``: where the last prompt position attends (signal tokens vs. itself);
- ``residual_norm``: the norm of resid_post[l] at the last prompt position per layer.

Each is an entry of the probe registry (``inforidge.probes.registry``), from which the
workflow derives its rule, config section, tables and figures (docs/extending.md).
"""
