"""Training as a chain of segments reaches the same weights as one continuous run."""

import pytest
import torch
from transformers import AutoModelForCausalLM

from inforidge.config import ModelConfig, RunConfig, TrainingConfig
from inforidge.models import training
from inforidge.models.checkpoint_files import read_metrics
from inforidge.models.training import SegmentData, batch_order, initialize_run, train_segment


@pytest.fixture(scope="module")
def setup(tiny_task):
    data = SegmentData(tiny_task.build_split("train"),
                       {"id": tiny_task.build_split("eval_id"), "ood": tiny_task.build_split("eval_ood")})
    run = RunConfig(task="arith", model=ModelConfig(n_layer=2, n_embd=32, n_head=2),
                    training=TrainingConfig(steps=8, batch_size=16, grad_accum=2, warmup_steps=2, eval_examples=32))
    return run, data, tiny_task.vocabulary()


def weights(path):
    return AutoModelForCausalLM.from_pretrained(path).state_dict()


def test_chain_equals_continuous_run(tmp_path, setup):
    run, data, vocab = setup
    initialize_run(run, vocab, data, tmp_path / "step-0", device="cpu")
    train_segment(run, data, tmp_path / "step-0", tmp_path / "continuous-8", 8, device="cpu")
    train_segment(run, data, tmp_path / "step-0", tmp_path / "step-3", 3, device="cpu")
    train_segment(run, data, tmp_path / "step-3", tmp_path / "chained-8", 8, device="cpu")
    a, b = weights(tmp_path / "continuous-8"), weights(tmp_path / "chained-8")
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6, msg=key)
    assert not torch.equal(a["transformer.h.0.mlp.c_fc.weight"], weights(tmp_path / "step-0")["transformer.h.0.mlp.c_fc.weight"])


def test_checkpoint_is_loadable_with_metrics(tmp_path, setup):
    run, data, vocab = setup
    initialize_run(run, vocab, data, tmp_path / "step-0", device="cpu")
    metrics = read_metrics(tmp_path / "step-0")
    assert metrics["step"] == 0 and 0 <= metrics["id_accuracy"] <= 1 and 0 <= metrics["ood_accuracy"] <= 1
    AutoModelForCausalLM.from_pretrained(tmp_path / "step-0")


def test_killed_segment_leaves_nothing_complete_and_rerun_succeeds(tmp_path, setup, monkeypatch):
    run, data, vocab = setup
    initialize_run(run, vocab, data, tmp_path / "step-0", device="cpu")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("simulated kill")

    monkeypatch.setattr(training, "_evaluate", crash)
    with pytest.raises(KeyboardInterrupt):
        train_segment(run, data, tmp_path / "step-0", tmp_path / "step-4", 4, device="cpu")
    assert not (tmp_path / "step-4").exists()
    monkeypatch.undo()
    train_segment(run, data, tmp_path / "step-0", tmp_path / "step-4", 4, device="cpu")
    assert read_metrics(tmp_path / "step-4")["step"] == 4
    assert not list(tmp_path.glob(".step-4.tmp-*"))


def test_batch_order_covers_each_epoch_once():
    seen = sorted(int(i) for step in range(4) for i in batch_order(seed=3, step=step, batch_size=8, n_examples=32))
    assert seen == list(range(32))
    assert (batch_order(3, 5, 8, 32) == batch_order(3, 5, 8, 32)).all()


def test_fsdp_config_is_validated_and_launch_command_parses(tmp_path):
    from accelerate.commands.launch import launch_command_parser

    from inforidge.config import FsdpSettings, LoraSettings, RunResources, StageResources, validate_config
    from inforidge.core.configschema import ConfigError, build
    from inforidge.models.training import fsdp_launch_command

    with pytest.raises(ConfigError, match="lora"):
        build(TrainingConfig, {"distributed": "fsdp", "lora": {"r": 4}}, "training")
    with pytest.raises(ConfigError, match="training.fsdp.sharding_strategy"):
        build(TrainingConfig, {"distributed": "fsdp", "fsdp": {"sharding_strategy": "EVERYWHERE"}}, "training")
    training = TrainingConfig(distributed="fsdp", fsdp=FsdpSettings(num_processes=4, sharding_strategy="HYBRID_SHARD"))
    model = {"source": "pretrained", "name_or_path": "gpt2"}
    fsdp_run = {"task": "arith", "model": model, "training": {"distributed": "fsdp", "fsdp": {"num_processes": 4}}}
    with pytest.raises(ConfigError, match=r"runs.r: resources.train.gpu \(0\) must be >= training.fsdp.num_processes \(4\)"):
        validate_config({"tasks": {"arith": {"kind": "arithmetic"}}, "runs": {"r": fsdp_run}})
    build(RunConfig, fsdp_run, "runs.r")  # a job rebuilds its run from params, which leave resources out
    run = RunConfig(task="arith", model=ModelConfig(**model), training=training,
                    resources=RunResources(train=StageResources(gpu=4)))
    command = fsdp_launch_command(run, tmp_path / "args.json")
    args = launch_command_parser().parse_args(command[3:])
    assert args.use_fsdp and args.num_processes == 4 and args.fsdp_sharding_strategy == "HYBRID_SHARD"
    assert args.module and args.training_script == "inforidge.models.training" and args.mixed_precision == "bf16"
