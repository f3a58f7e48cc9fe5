"""The residual_norm probe, added through the probe registry (docs/extending.md)."""

from __future__ import annotations

import torch

from inforidge.config import runs_from_params
from inforidge.core.registry import resolve
from inforidge.probes.early_exit import residual_stream
from inforidge.probes.registry import PROBES, ProbeFrames, ReadoutProbeConfig
from inforidge.tables.runrecord import config_records
from inforidge.tables.tidy import conform, with_run_keys


def test_job_matches_a_direct_norm_of_the_hidden_states(make_model, frames, tmp_path):
    model, tokenizer = make_model("gpt2", n_layer=2)
    model.save_pretrained(tmp_path / "ckpt")
    tokenizer.save_pretrained(tmp_path / "ckpt")
    spec = PROBES["residual_norm"]
    evals = {"id": frames["eval_id"].head(8), "ood": frames["eval_ood"].head(8)}
    out = resolve(spec.job)(tmp_path / "ckpt", ProbeFrames(evals), ReadoutProbeConfig(batch_size=3), "cpu")
    norms = out["residual_norm"]
    assert sorted(out) == sorted(spec.tables) and len(norms) == 2 * 3 and set(norms["n"]) == {8}
    # Reference: one unpadded forward per example, norm of resid_post[l] at its last prompt token.
    example = evals["ood"].iloc[0]
    ids = torch.tensor([tokenizer(example["prompt"])["input_ids"]])
    with torch.no_grad(), residual_stream(model) as stream:
        model(ids)
        first = [h[0, -1].norm().item() for h in stream]
    single = resolve(spec.job)(tmp_path / "ckpt", ProbeFrames({"ood": evals["ood"].head(1)}),
                               ReadoutProbeConfig(batch_size=1), "cpu")["residual_norm"]
    torch.testing.assert_close(torch.tensor(single["mean_norm"].tolist()), torch.tensor(first), rtol=1e-5, atol=1e-5)
    assert norms["mean_norm"].gt(0).all()
    runs = runs_from_params({"tiny": {"task": "arithmetic", "model": {"n_layer": 2, "n_embd": 32, "n_head": 2}}})
    table = conform(with_run_keys(norms.assign(run="tiny", step=0), config_records(runs)), "residual_norm")  # the declared schema
    assert list(table["layer"].unique()) == [0, 1, 2]
