"""The typed experiment config: the one source of truth for keys, defaults and docs.

``load_config`` turns the YAML mapping Snakemake reads into these dataclasses; any
unknown key, wrong type or missing required field raises ``ConfigError`` naming its
key path. ``inforidge config schema`` prints the documented key table generated from
these classes (``workflow/schemas/config.md``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from inforidge.analyses.registry import config_section
from inforidge.core.configschema import ConfigError, at_least, build, convert, doc, positive, require
from inforidge.mi.bandwidth import BANDWIDTH_RULES, Bandwidth, check_bandwidth
from inforidge.mi.registry import LAYER_KERNELS
from inforidge.probes.registry import ProbeSteps, ReadoutProbeConfig, ResidualScalingConfig
from inforidge.readouts.registry import LinearProbeConfig  # noqa: F401  (re-exported)
from inforidge.tasks.registry import task_config_class

__all__ = [
    "Config", "ConfigError", "ProbesConfig", "ReadoutProbeConfig", "ResidualScalingConfig", "load_config",
    "validate_config",
]

Device = Literal["auto", "cpu", "cuda"]


@dataclass(frozen=True)
class ContinuationConfig:
    """Multi-token targets: the reference continuation a multi-token probe teacher-forces (docs/multitoken.md)."""

    horizon: int = doc("T: words every target holds at least (one token each for word-level tokenizers)", 8)
    targets: Literal["signals", "interleaved"] = doc(
        "arithmetic: continue with T further signal values, or with signal/noise words alternating", "signals"
    )
    max_prompt_words: int | None = doc("text: keep the first this many words of the prompt (null: all)", None)
    prompt_suffix: str = doc("text: appended to the (truncated) prompt, e.g. a summary cue", "")
    max_target_words: int | None = doc("text: keep the first this many words of the reference (null: all)", None)

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise ValueError(f"continuation.horizon must be >= 1, got {self.horizon}")
        if self.max_target_words is not None and self.max_target_words < self.horizon:
            raise ValueError(f"continuation.max_target_words ({self.max_target_words}) must be >= "
                             f"continuation.horizon ({self.horizon})")
        if self.max_prompt_words is not None and self.max_prompt_words < 1:
            raise ValueError(f"continuation.max_prompt_words must be >= 1, got {self.max_prompt_words}")


# The task section is derived from the task registry: the common keys plus each kind's own
# keys, flat (tasks.<name>.modulus); each task validates its own kind's keys.
TaskConfig = task_config_class(ContinuationConfig)


@dataclass(frozen=True)
class SeriesConfig:
    """An external checkpoint series analysed as a run's steps, with no training (docs/training.md).

    Exactly one of ``revisions``, ``paths`` or ``pattern``; the files behind them are checked at
    plan time (``inforidge.workflow.series.check_sources``), not here: jobs rebuild this from params.
    """

    revisions: dict[int, str] | list[str] | None = doc(
        "hub revisions of model.name_or_path: {step: revision}, or a list of names whose last number is the "
        "step (Pythia: [step0, step1, ..., step143000])", None,
    )
    paths: dict[int, str] | None = doc("{step: local save_pretrained directory}", None)
    pattern: str | None = doc("local directories, globbed at plan time; {step} marks the step (/ckpts/step-{step})", None)
    allow_duplicates: bool = doc(
        "analyse steps whose weights are identical (same content hash) instead of stopping the run; they are "
        "flagged in the training table (duplicate_of) and figure", False,
    )

    def __post_init__(self) -> None:
        given = [k for k in ("revisions", "paths", "pattern") if getattr(self, k) is not None]
        require(len(given) == 1, "revisions", f"give exactly one of revisions, paths, pattern (got {given or 'none'})")
        for key in ("revisions", "paths"):
            value = getattr(self, key)
            require(value is None or len(value) > 0, key, "must list at least one checkpoint")
            if isinstance(value, dict):
                require(all(step >= 0 for step in value), key, f"steps must be >= 0, got {sorted(value)}")
        require(self.pattern is None or self.pattern.count("{step}") == 1, "pattern",
                f"must contain {{step}} exactly once, got {self.pattern!r}")


@dataclass(frozen=True)
class ModelConfig:
    """Which model: built from config (scratch), loaded (pretrained), an external checkpoint series
    (series, analysis only) or another run's checkpoint (run)."""

    source: Literal["scratch", "pretrained", "series", "run"] = doc(
        "build a fresh model, load weights, analyse an external checkpoint series (no training), or start "
        "from checkpoint `step` of run `run`", "scratch",
    )
    name_or_path: str | None = doc("pretrained: hub id (gpt2, Qwen/Qwen2.5-0.5B, ...) or local path", None)
    architecture: Literal["gpt2", "llama", "qwen2"] = doc("scratch: model family", "gpt2")
    n_layer: int = doc("scratch: number of blocks L", 4)
    n_embd: int = doc("scratch: hidden width", 64)
    n_head: int = doc("scratch: attention heads", 4)
    n_positions: int = doc("scratch: maximum context length", 32)
    revision: str | None = doc("pretrained: hub revision (branch, tag or commit) of weights and tokenizer", None)
    dtype: Literal["float32", "bfloat16", "float16", "auto"] = doc(
        "pretrained: dtype the weights load in (auto: as stored; float32 keeps full fine-tuning exact under "
        "bf16 autocast)", "float32",
    )
    trust_remote_code: bool = doc("pretrained: run modeling code shipped with the checkpoint (only for sources you trust)", False)
    attn_implementation: Literal["eager", "sdpa", "flash_attention_2", "flex_attention"] | None = doc(
        "attention kernel for training (null: the transformers default)", None
    )
    series: SeriesConfig | None = doc("series: where the checkpoints are (exactly one of revisions, paths, pattern)", None)
    run: str | None = doc("run: name of the run whose checkpoint this run starts from", None)
    step: int | None = doc("run: that run's checkpoint step (one of its checkpoints)", None)

    def __post_init__(self) -> None:
        if self.source == "pretrained" and not self.name_or_path:
            raise ValueError("model.name_or_path is required when model.source is 'pretrained'")
        require((self.series is not None) == (self.source == "series"), "series",
                "is required when model.source is 'series', and only then")
        require(self.series is None or self.series.revisions is None or bool(self.name_or_path), "name_or_path",
                "series.revisions are revisions of a hub model: name it in model.name_or_path")
        for key in ("run", "step"):
            require((getattr(self, key) is not None) == (self.source == "run"), key,
                    "is required when model.source is 'run', and only then")
        at_least(self, 0, "step")
        at_least(self, 1, "n_layer", "n_embd", "n_head", "n_positions")
        if self.n_embd % self.n_head:
            raise ValueError(f"model.n_embd ({self.n_embd}) must be divisible by model.n_head ({self.n_head})")


@dataclass(frozen=True)
class LoraSettings:
    """LoRA adapters (peft); merged into every saved checkpoint's weights."""

    r: int = doc("adapter rank", 16)
    alpha: float = doc("scaling numerator (the update is scaled by alpha / r)", 32.0)
    dropout: float = doc("dropout on the adapter input", 0.05)
    target_modules: list[str] | Literal["all-linear"] = doc(
        "module names to adapt (e.g. [q_proj, v_proj]) or all-linear (every linear layer but the LM head)", "all-linear"
    )

    def __post_init__(self) -> None:
        if self.r < 1:
            raise ValueError(f"lora.r must be >= 1, got {self.r}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"lora.dropout must lie in [0, 1), got {self.dropout}")
        positive(self, "alpha")
        require(self.target_modules != [], "target_modules", "must name at least one module")


@dataclass(frozen=True)
class FsdpSettings:
    """Sharded multi-GPU training through accelerate (FSDP); used when distributed is fsdp."""

    num_processes: int = doc("processes = GPUs of the one node a segment runs on", 4)
    sharding_strategy: Literal["FULL_SHARD", "SHARD_GRAD_OP", "HYBRID_SHARD", "NO_SHARD"] = doc(
        "what is sharded across GPUs (FULL_SHARD: parameters, gradients and optimizer state)", "FULL_SHARD"
    )
    cpu_offload: bool = doc("offload sharded parameters to CPU memory between uses", False)

    def __post_init__(self) -> None:
        if self.num_processes < 1:
            raise ValueError(f"fsdp.num_processes must be >= 1, got {self.num_processes}")


@dataclass(frozen=True)
class TrainingConfig:
    """Optimization and the checkpoint schedule."""

    steps: int = doc("total optimizer steps", 300)
    checkpoints: list[int] | None = doc("explicit checkpoint steps (0 is always added)", None)
    checkpoint_count: int = doc("if checkpoints is null: this many log-spaced steps, plus 0", 5)
    batch_size: int = doc("examples per micro-batch", 64)
    grad_accum: int = doc("micro-batches per optimizer step", 1)
    lr: float = doc("peak learning rate (AdamW)", 3e-3)
    weight_decay: float = doc("AdamW weight decay (never on biases, norm weights and embeddings)", 0.01)
    max_grad_norm: float | None = doc("clip the global gradient norm to this (null: no clipping)", 1.0)
    warmup_steps: int = doc("linear warmup steps", 20)
    schedule: Literal["cosine", "linear", "constant"] = doc("decay after warmup", "cosine")
    precision: Literal["auto", "fp32", "bf16", "fp16"] = doc("auto: bf16 autocast on CUDA, fp32 on CPU", "auto")
    eval_examples: int = doc("examples per eval split for per-checkpoint accuracy", 256)
    gradient_checkpointing: bool | Literal["auto"] = doc(
        "recompute activations in the backward pass; auto: on for pretrained models on CUDA", "auto"
    )
    lora: LoraSettings | None = doc("train LoRA adapters instead of all weights (null: full fine-tuning)", None)
    distributed: Literal["none", "fsdp"] = doc("none: one process; fsdp: sharded over GPUs via accelerate", "none")
    fsdp: FsdpSettings = doc("FSDP settings (used when distributed is fsdp)", factory=FsdpSettings)

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"training.steps must be >= 1, got {self.steps}")
        if self.max_grad_norm is not None and self.max_grad_norm <= 0:
            raise ValueError(f"training.max_grad_norm must be > 0 (null disables clipping), got {self.max_grad_norm}")
        if self.distributed == "fsdp" and self.lora is not None:
            raise ValueError("training.lora with training.distributed: fsdp is not supported (LoRA runs fit one GPU)")
        bad = [s for s in self.checkpoints or [] if not 0 <= s <= self.steps]
        if bad:
            raise ValueError(f"training.checkpoints {bad} lie outside [0, training.steps={self.steps}]")
        steps = self.checkpoints or []
        require(all(a < b for a, b in zip(steps, steps[1:])), "checkpoints",
                f"must be strictly increasing (sorted, no duplicates), got {steps}")
        at_least(self, 1, "checkpoint_count", "batch_size", "grad_accum", "eval_examples")
        at_least(self, 0, "weight_decay", "warmup_steps")
        positive(self, "lr")
        require(self.warmup_steps <= self.steps, "warmup_steps",
                f"must be <= steps ({self.steps}), got {self.warmup_steps}")


@dataclass(frozen=True)
class StageResources:
    """Cluster resources of one heavy stage (retries scale mem_mb and runtime by attempt)."""

    threads: int = doc("CPU threads", 2)
    mem_mb: int = doc("memory in MiB on the first attempt", 4000)
    runtime: int = doc("wall-clock minutes on the first attempt", 60)
    gpu: int = doc("GPUs (0: CPU job)", 0)

    def __post_init__(self) -> None:
        at_least(self, 1, "threads", "mem_mb", "runtime")
        at_least(self, 0, "gpu")


@dataclass(frozen=True)
class RunResources:
    """Per-stage resources of a run (model size drives them)."""

    train: StageResources = doc("one training segment", factory=StageResources)
    activations: StageResources = doc("one checkpoint's activation dump (every split)", factory=lambda: StageResources(threads=1, runtime=30))
    mi: StageResources = doc("one MI job (every layer of one checkpoint's dump, every split)", factory=lambda: StageResources(threads=1, runtime=30))
    probes: StageResources = doc("one probe job (the probes at every checkpoint share one)", factory=lambda: StageResources(threads=1, runtime=30))


@dataclass(frozen=True)
class RunConfig:
    """A named run: model × task × training settings × seed."""

    task: str = doc("name of an entry in `tasks`")
    model: ModelConfig = doc("the model", factory=ModelConfig)
    training: TrainingConfig = doc("training settings", factory=TrainingConfig)
    seed: int = doc("training seed (init, data order)", 0)
    resources: RunResources = doc("cluster resources per stage", factory=RunResources)

    def __post_init__(self) -> None:
        # A series run trains nothing: its steps are the series' own; training only sizes the evaluation.
        if self.model.source == "series":
            t = self.training
            require(t.checkpoints is None and t.lora is None and t.distributed == "none", "training",
                    "a series run trains nothing (its steps are the series'): leave training.checkpoints, lora "
                    "and distributed unset; only eval_examples and batch_size are used")

    def check_resources(self) -> None:
        """Resources must fit the run. Checked on the whole config (``Config``), not here: jobs
        rebuild a run from its params, which leave resources out so they never trigger reruns."""
        fsdp = self.training.fsdp
        if self.training.distributed == "fsdp" and self.resources.train.gpu < fsdp.num_processes:
            raise ValueError(f"resources.train.gpu ({self.resources.train.gpu}) must be >= "
                             f"training.fsdp.num_processes ({fsdp.num_processes}) for distributed: fsdp")


@dataclass(frozen=True)
class ActivationsConfig:
    """What hidden states are dumped, per checkpoint and eval split."""

    sites: list[Literal["resid_post", "final_norm"]] = doc(
        "hook sites to store", factory=lambda: ["resid_post", "final_norm"]
    )
    target: Literal["auto", "second_pass", "lookup"] = doc(
        "how Y (target embedding) is computed; auto: lookup when the split's prompt lengths vary (a second-pass "
        "Y would carry position), second_pass when they are fixed (the synthetic task, as in the paper)", "auto")
    dtype: Literal["float16", "float32"] = doc("storage dtype of the NPY shards", "float16")
    batch_size: int = doc("examples per forward pass", 64)
    shard_mb: int = doc("maximum NPY shard size in MiB", 256)
    max_examples: int | None = doc("cap on examples per split (null: all)", None)

    def __post_init__(self) -> None:
        at_least(self, 1, "batch_size", "shard_mb", "max_examples")
        require(bool(self.sites), "sites", "must name at least one site")


#: Kernels a layer may use: derived from the kernel registry (inforidge.mi.registry), never listed here.
LayerKernel = Literal[LAYER_KERNELS]  # type: ignore[valid-type]


@dataclass(frozen=True)
class MIConfig:
    """Matrix-based Rényi mutual information settings (docs/method.md, docs/mi.md)."""

    kernels: list[LayerKernel] = doc(
        "kernel sweep (the paper's ablation); one MI table row set per kernel", factory=lambda: ["gaussian"]
    )
    sigma: Bandwidth | list[Bandwidth] = doc(
        f"kernel bandwidth, a bandwidth rule ({', '.join(BANDWIDTH_RULES)}), or a list of them (a bandwidth sweep: "
        "one row set per value; columns sigma and bandwidth_rule)", 1.0,
    )
    alpha: float = doc("Rényi order; 1 is von Neumann (explicit branch); integer α ≥ 2 use the exact trace "
                       "path (α = 2: O(N²), no eigenvalues)", 1.0)
    normalize: Literal["whiten", "l2"] | None = doc(
        "row preprocessing before the kernel: whiten (centre and PCA-whiten each layer on its subsample: "
        "invariant to translation and invertible linear maps, the ridge test's default), l2 (the paper's "
        "unit-norm rows: not translation invariant), null (as given); docs/mi.md, Invariances", "whiten",
    )
    base: float = doc("logarithm base (2: bits)", 2.0)
    n_samples: int | None = doc("examples per estimate (null: as many as the subsampling allows: rows // seeds "
                                "when disjoint); a request above that is warned in the MI log and kept in column "
                                "n_requested", None)
    seeds: list[int] = doc("subsample seeds, one estimate each; the ridge test sign-flips them, so it needs >= 5 "
                           "(smallest p = 2^-seeds); 8 (docs/mi.md, The ridge test)",
                           factory=lambda: list(range(8)))
    resampling: Literal["disjoint", "random"] = doc(
        "disjoint: seeds take disjoint blocks of the dump (n = min(n_samples, N // seeds), independent "
        "estimates); random: each seed draws n_samples rows on its own (overlapping)", "disjoint",
    )
    permutations: int = doc("permutation-null shuffles per estimate (0 disables the null, z-score and p-value)", 50)
    increments: bool = doc("also estimate the incremental gain I(ΔZ_l; Y)", True)

    def __post_init__(self) -> None:
        if self.alpha <= 0:
            raise ValueError(f"mi.alpha must be > 0, got {self.alpha}")
        if not self.seeds:
            raise ValueError("mi.seeds must name at least one seed")
        require(len(set(self.seeds)) == len(self.seeds), "seeds", f"must be distinct, got {self.seeds}")
        require(bool(self.kernels), "kernels", "must name at least one kernel")
        require(not isinstance(self.sigma, list) or bool(self.sigma), "sigma", "an empty list sweeps no bandwidth")
        for sigma in self.sigmas:
            try:
                check_bandwidth(sigma)
            except ValueError as err:
                require(False, "sigma", str(err))
        positive(self, "base")
        require(self.base != 1, "base", "must not be 1 (log base 1 is undefined)")
        # An estimate from fewer than two examples has no spread: the Gram matrices are 1 x 1.
        at_least(self, 2, "n_samples")
        at_least(self, 0, "permutations")

    @property
    def sigmas(self) -> list[Bandwidth]:
        """The bandwidths to estimate at: ``sigma`` as a list (one entry unless it is a sweep)."""
        return list(self.sigma) if isinstance(self.sigma, list) else [self.sigma]


# The readouts and probes sections are derived from the analysis registries: one field per
# registered read-out / probe (LinearProbeConfig and the probe settings live with them).
ReadoutsConfig = config_section("readouts")
ProbesConfig = config_section("probes")


@dataclass(frozen=True)
class FiguresConfig:
    """Cosmetic figure settings (changing them reruns only figures)."""

    formats: list[Literal["png", "pdf", "svg"]] = doc(
        "file formats written per figure (PNG is always written: the report embeds it)", factory=lambda: ["png"]
    )
    dpi: int = doc("raster resolution", 120)
    palette: str = doc("seaborn palette for categories (colorblind-safe by default)", "colorblind")
    cmap: str = doc("matplotlib colormap for checkpoints and heatmaps (perceptually uniform, colorblind-safe)", "viridis")

    def __post_init__(self) -> None:
        at_least(self, 1, "dpi")


@dataclass(frozen=True)
class MultitokenConfig:
    """Multi-token generation: I(Z_l^(t); Y^(t)) per decoding step t (docs/multitoken.md)."""

    enabled: bool = doc("run the multi-token stage", False)
    task: str | None = doc("task whose continuations are teacher-forced (null: each run's own task); "
                           "it needs a `continuation` section", None)
    horizon: int | None = doc("decoding steps T (null: the task's continuation.horizon)", None)
    checkpoints: ProbeSteps = doc("analyse every checkpoint or only the final one", "final")
    splits: list[str] | None = doc("dataset splits to dump (null: the task's eval splits)", None)
    max_examples: int | None = doc("cap on examples per split (null: all)", None)
    permutations: int | None = doc("permutation-null shuffles (null: mi.permutations)", None)
    sequence_kernel: bool = doc("also estimate the sequence-kernel MI (mean of per-step kernels)", True)

    def __post_init__(self) -> None:
        if self.horizon is not None and self.horizon < 1:
            raise ValueError(f"multitoken.horizon must be >= 1, got {self.horizon}")
        if self.permutations is not None and self.permutations < 0:
            raise ValueError(f"multitoken.permutations must be >= 0, got {self.permutations}")
        at_least(self, 1, "max_examples")
        require(self.splits != [], "splits", "must name at least one split (null: the task's eval splits)")


@dataclass(frozen=True)
class CapacitySettings:
    """Model-capacity sweep: MI curves and ridge position across model depths (docs/capacity.md)."""

    enabled: bool | Literal["auto"] = doc("build the capacity table and figures; auto: when runs have >1 depth", "auto")
    site: Literal["resid_post", "final_norm"] = doc("site whose layers the figures compare", "resid_post")


@dataclass(frozen=True)
class ClusterSettings:
    """Cluster jobs: what a partition accepts and where compute nodes find models offline (docs/cluster.md)."""

    max_job_runtime: int = doc(
        "minutes: the longest cluster job (partition time limit); training chains are split into jobs "
        "under it, retries scale runtime up to it, and a single job over it is a plan-time error", 1440,
    )
    gpu_request: Literal["gpus", "gres"] = doc(
        "how GPU jobs ask SLURM for GPUs: gpus (sbatch --gpus=[model:]N) or gres (sbatch --gres=gpu:[model:]N)", "gpus"
    )
    gpu_model: str | None = doc("GPU type to request (e.g. a100), null: any", None)
    hf_home: str | None = doc(
        "shared Hugging Face cache (HF_HOME) that `inforidge fetch` fills and every job reads; "
        "null: the environment's HF_HOME (or ~/.cache/huggingface)", None,
    )
    offline: bool = doc("cluster jobs run with HF_HUB_OFFLINE=1 and HF_DATASETS_OFFLINE=1 (fetch first)", True)

    def __post_init__(self) -> None:
        if self.max_job_runtime < 1:
            raise ValueError(f"cluster.max_job_runtime must be >= 1 minute, got {self.max_job_runtime}")


@dataclass(frozen=True)
class Config:
    """The whole experiment."""

    device: Device = doc("auto: CUDA when present, else CPU", "auto")
    tasks: dict[str, TaskConfig] = doc("named tasks", factory=dict)
    runs: dict[str, RunConfig] = doc("named runs", factory=dict)
    activations: ActivationsConfig = doc("activation dumping", factory=ActivationsConfig)
    mi: MIConfig = doc("mutual information estimation", factory=MIConfig)
    probes: ProbesConfig = doc("functional probes", factory=ProbesConfig)
    readouts: ReadoutsConfig = doc("read-outs of the activation dumps that need no kernel (linear probe)",
                                   factory=ReadoutsConfig)
    figures: FiguresConfig = doc("figures", factory=FiguresConfig)
    multitoken: MultitokenConfig = doc("multi-token generation stage", factory=MultitokenConfig)
    capacity: CapacitySettings = doc("model-capacity (depth) sweep outputs", factory=CapacitySettings)
    cluster: ClusterSettings = doc("cluster job limits, GPU requests and the offline model cache", factory=ClusterSettings)

    def __post_init__(self) -> None:
        if not self.runs:
            raise ValueError("runs: at least one run is required")
        for name, run in self.runs.items():
            if run.task not in self.tasks:
                raise ValueError(f"runs.{name}.task: unknown task {run.task!r} (tasks: {sorted(self.tasks)})")
            try:
                run.check_resources()
            except ValueError as err:
                raise ValueError(f"runs.{name}: {err}") from None
        self._check_sample_sizes()
        self._check_context()
        self._check_chains()

    def _check_chains(self) -> None:
        """``source: run`` names a configured run, and following those links never comes back (no cycle)."""
        for name, run in self.runs.items():
            seen = [name]
            while run.model.source == "run":
                key = f"runs.{seen[-1]}.model.run"
                require(run.model.run in self.runs, key,
                        f"unknown run {run.model.run!r} (runs: {sorted(self.runs)})")
                require(run.model.run not in seen, key,
                        f"runs start from each other in a cycle: {' -> '.join([*seen, run.model.run])}")
                seen.append(run.model.run)
                run = self.runs[run.model.run]

    def _check_context(self) -> None:
        """A scratch model's context holds the arithmetic prompt and its targets (one word-level token each)."""
        for name, run in self.runs.items():
            task = self.tasks[run.task]
            if run.model.source != "scratch" or task.kind != "arithmetic":
                continue
            needed = task.elements + (task.continuation.horizon if task.continuation else 1)
            require(run.model.n_positions >= needed, f"runs.{name}.model.n_positions",
                    f"{run.model.n_positions} positions cannot hold task {run.task}'s {task.elements}-word prompt "
                    f"and its target tokens ({needed} tokens)")

    def _check_sample_sizes(self) -> None:
        """mi.n_samples fits every split it subsamples (the estimator would silently use fewer)."""
        # Imported here: inforidge.tasks imports this module.
        from inforidge.tasks import build_task

        for name, run in self.runs.items():
            for split in build_task(self.tasks[run.task]).eval_splits.values():
                self._check_fits(run.task, split, self.activations.max_examples, "activations.max_examples")
        mt = self.multitoken
        if mt.enabled and mt.task in self.tasks:
            for split in mt.splits or build_task(self.tasks[mt.task]).eval_splits.values():
                self._check_fits(mt.task, split, mt.max_examples, "multitoken.max_examples")

    def _check_fits(self, task: str, split: str, cap: int | None, cap_key: str) -> None:
        size = self.tasks[task].sizes.get(split)
        if size is None or self.mi.n_samples is None:
            return
        held = size if cap is None else min(size, cap)
        require(self.mi.n_samples <= held, "mi.n_samples",
                f"{self.mi.n_samples} is more than split {split} of task {task} holds: {held} examples "
                f"(tasks.{task}.sizes.{split} = {size}, {cap_key} = {cap}); lower it, or null for all examples")


def validate_config(data: dict[str, Any]) -> Config:
    """Validate a raw config mapping; raises ConfigError naming the key path."""
    return build(Config, data, "")


def load_config(path: str | Path) -> Config:
    """Read and validate a YAML config file."""
    with open(path) as fh:
        data = yaml.safe_load(fh) or {}
    try:
        return validate_config(data)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def as_dict(section: Any) -> dict[str, Any]:
    """Plain-dict form of a config section (what rules pass through ``params:``)."""
    return asdict(section)


def runs_from_params(data: dict[str, Any]) -> dict[str, RunConfig]:
    """The typed runs from a rule's ``runs`` param (run settings as dicts, resources left out)."""
    return convert(dict[str, RunConfig], data, "runs")
