"""The residual-stream hook primitive (inforidge.models.hooks) on every supported architecture."""

from __future__ import annotations

import pytest
import torch

from inforidge.models.hooks import block_hooks


@pytest.mark.parametrize("architecture", ["gpt2", "llama", "qwen2"])
def test_reads_the_stream_as_hidden_states_and_leaves_no_trace(make_model, architecture):
    model, _ = make_model(architecture, n_layer=3)
    ids = torch.tensor([[3, 4, 5, 6]])
    seen = {}

    def record(index, resid_in, resid_out):
        seen[index] = (resid_in.clone(), resid_out.clone())

    with torch.no_grad(), block_hooks(model, record) as n_blocks:
        out = model(ids, output_hidden_states=True)
    assert n_blocks == 3 and sorted(seen) == [0, 1, 2]
    hidden = out.hidden_states  # L + 1 entries; the last may be after the final norm
    for index in range(3):
        torch.testing.assert_close(seen[index][0], hidden[index], rtol=0, atol=0)  # resid_post[index]
    for index in range(2):
        torch.testing.assert_close(seen[index][1], seen[index + 1][0], rtol=0, atol=0)  # out of l = in of l + 1
    seen.clear()
    with torch.no_grad():
        model(ids)
    assert not seen  # hooks removed on exit


def test_a_returned_tensor_replaces_the_block_output_and_a_subset_hooks_only_those_blocks(make_model):
    model, _ = make_model("gpt2", n_layer=2)
    ids = torch.tensor([[3, 4, 5]])
    with torch.no_grad():
        plain = model(ids).logits
        calls = []
        with block_hooks(model, lambda i, h_in, h_out: calls.append(i), blocks=[1]):
            same = model(ids).logits
        with block_hooks(model, lambda i, h_in, h_out: h_in):  # skip every block's update
            skipped = model(ids).logits
    assert calls == [1]
    torch.testing.assert_close(same, plain, rtol=0, atol=0)
    assert not torch.allclose(skipped, plain)
