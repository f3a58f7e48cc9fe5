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

from inforidge.alphabets import Alphabet, alphabet_size
from inforidge.configschema import ConfigError, at_least, build, doc, positive, require

__all__ = ["Config", "ConfigError", "load_config", "validate_config"]

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


@dataclass(frozen=True)
class TaskConfig:
    """One task: where its examples come from and how many per split."""

    kind: Literal["arithmetic", "clutrr", "ecqa", "text"] = doc("task implementation (see inforidge.tasks, docs/tasks.md)")
    seed: int = doc("seed of the split generator / subsampler", 0)
    sizes: dict[str, int] = doc(
        "examples per split (train, eval_id, eval_ood, probe_ood)",
        factory=lambda: {"train": 4096, "eval_id": 512, "eval_ood": 512, "probe_ood": 512},
    )
    modulus: int = doc("arithmetic: in-distribution modulus K", 13)
    ood_moduli: list[int] = doc(
        "arithmetic: out-of-distribution moduli, drawn uniformly",
        factory=lambda: [k for k in range(5, 26) if k != 13],
    )
    elements: int = doc("arithmetic: prompt length in elements (signal/noise alternate)", 10)
    noise_range: int = doc("arithmetic: noise values are drawn from [0, noise_range)", 100)
    alphabet: Alphabet = doc(
        "arithmetic: how values are written: decimal numbers (the paper) or letters A-Z, a-z, one token each "
        "under every BPE tokenizer (for Qwen2-style digit splitting; docs/tasks.md)", "decimal",
    )
    dataset: str | None = doc(
        "clutrr/ecqa/text: hub dataset id or local .jsonl/.json/.csv/.parquet file or directory "
        "(null: CLUTRR/v1 for clutrr, yangdong/ecqa for ecqa)", None,
    )
    dataset_config: str | None = doc("hub dataset configuration (null: clutrr uses gen_train234_test2to10)", None)
    revision: str | None = doc(
        "hub dataset revision: branch, tag or commit (null: the default; clutrr reads refs/convert/parquet)", None
    )
    max_id_hops: int = doc("clutrr: chains of at most this many hops are in-distribution, longer ones OOD", 3)
    ood_fraction: float = doc("ecqa: fraction of question concepts (q_concept) held out as OOD", 0.2)
    columns: dict[str, str] = doc(
        "text: column mapping; prompt and target required, optional ood (boolean column) or split "
        "(column whose values are split names)", factory=dict,
    )
    answer_map: dict[str, str] = doc(
        "clutrr/text: rename answers before building targets (e.g. merge classes whose first tokens collide)",
        factory=dict,
    )
    continuation: ContinuationConfig | None = doc(
        "arithmetic/text: multi-token reference continuations (null: single-token targets)", None
    )

    def __post_init__(self) -> None:
        if self.kind == "text":
            missing = [k for k in ("prompt", "target") if k not in self.columns]
            if missing or not self.dataset:
                raise ValueError(f"kind 'text' needs dataset and columns.prompt/columns.target (missing: {missing or ['dataset']})")
            unknown = sorted(set(self.columns) - {"prompt", "target", "ood", "split"})
            if unknown:
                raise ValueError(f"columns: unknown role(s) {unknown} (known: prompt, target, ood, split)")
            if "ood" in self.columns and "split" in self.columns:
                raise ValueError("columns: give either ood or split, not both")
        if self.max_id_hops < 1:
            raise ValueError(f"max_id_hops must be >= 1, got {self.max_id_hops}")
        if not 0 < self.ood_fraction < 1:
            raise ValueError(f"ood_fraction must lie in (0, 1), got {self.ood_fraction}")
        if self.modulus in self.ood_moduli:
            raise ValueError(f"ood_moduli must not contain the in-distribution modulus {self.modulus}")
        if self.elements < 2 or self.elements % 2:
            raise ValueError(f"elements must be an even number >= 2, got {self.elements}")
        size, top = alphabet_size(self.alphabet), max(self.noise_range, self.modulus, *self.ood_moduli)
        if self.kind == "arithmetic" and size is not None and top > size:
            raise ValueError(f"alphabet {self.alphabet!r} writes {size} values but noise_range/modulus/ood_moduli "
                             f"need {top}; lower noise_range to <= {size}")
        for split, size in self.sizes.items():
            require(size >= 0, f"sizes.{split}", f"must be >= 0, got {size}")
        at_least(self, 2, "modulus")
        at_least(self, 1, "noise_range")
        for i, k in enumerate(self.ood_moduli):
            require(k >= 2, f"ood_moduli[{i}]", f"must be >= 2, got {k}")


@dataclass(frozen=True)
class ModelConfig:
    """Which model to train: built from config (scratch) or loaded (pretrained)."""

    source: Literal["scratch", "pretrained"] = doc("build a fresh model or load weights", "scratch")
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

    def __post_init__(self) -> None:
        if self.source == "pretrained" and not self.name_or_path:
            raise ValueError("model.name_or_path is required when model.source is 'pretrained'")
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
    activations: StageResources = doc("one activation dump", factory=lambda: StageResources(threads=1, runtime=30))
    mi: StageResources = doc("one MI job (all layers of one dump)", factory=lambda: StageResources(threads=1, runtime=30))
    probes: StageResources = doc("one probe job", factory=lambda: StageResources(threads=1, runtime=30))


@dataclass(frozen=True)
class RunConfig:
    """A named run: model × task × training settings × seed."""

    task: str = doc("name of an entry in `tasks`")
    model: ModelConfig = doc("the model", factory=ModelConfig)
    training: TrainingConfig = doc("training settings", factory=TrainingConfig)
    seed: int = doc("training seed (init, data order)", 0)
    resources: RunResources = doc("cluster resources per stage", factory=RunResources)

    def __post_init__(self) -> None:
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
    target: Literal["second_pass", "lookup"] = doc("how Y (target embedding) is computed", "second_pass")
    dtype: Literal["float16", "float32"] = doc("storage dtype of the NPY shards", "float16")
    batch_size: int = doc("examples per forward pass", 64)
    shard_mb: int = doc("maximum NPY shard size in MiB", 256)
    max_examples: int | None = doc("cap on examples per split (null: all)", None)

    def __post_init__(self) -> None:
        at_least(self, 1, "batch_size", "shard_mb", "max_examples")
        require(bool(self.sites), "sites", "must name at least one site")


@dataclass(frozen=True)
class MIConfig:
    """Matrix-based Rényi mutual information settings (METHOD.md)."""

    kernels: list[Literal["gaussian", "laplacian", "polynomial", "linear"]] = doc(
        "kernel sweep (the paper's ablation); one MI table row set per kernel", factory=lambda: ["gaussian"]
    )
    sigma: float | Literal["median", "silverman"] = doc("kernel bandwidth or a bandwidth rule", 1.0)
    alpha: float = doc("Rényi order; 1 is von Neumann (explicit branch)", 1.0)
    normalize: Literal["l2"] | None = doc("row preprocessing; null disables", "l2")
    base: float = doc("logarithm base (2: bits)", 2.0)
    n_samples: int | None = doc("examples per estimate (null: all)", 256)
    seeds: list[int] = doc("subsample seeds (mean and spread are reported)", factory=lambda: [0, 1, 2])
    permutations: int = doc("permutation-null shuffles per estimate (0 disables correction)", 5)
    increments: bool = doc("also estimate the incremental gain I(ΔZ_l; Y)", True)

    def __post_init__(self) -> None:
        if self.alpha <= 0:
            raise ValueError(f"mi.alpha must be > 0, got {self.alpha}")
        if not self.seeds:
            raise ValueError("mi.seeds must name at least one seed")
        require(bool(self.kernels), "kernels", "must name at least one kernel")
        if not isinstance(self.sigma, str):
            positive(self, "sigma")
        positive(self, "base")
        require(self.base != 1, "base", "must not be 1 (log base 1 is undefined)")
        # An estimate from fewer than two examples has no spread: the Gram matrices are 1 x 1.
        at_least(self, 2, "n_samples")
        at_least(self, 0, "permutations")


ProbeSteps = Literal["all", "final"]


@dataclass(frozen=True)
class ResidualScalingConfig:
    """Per-block residual scales β = exp(θ) fitted with a temperature on ID and on OOD data (weights frozen).

    Each fit frame is split by seed into fit / validation / held-out parts; the fit stops
    early on the validation loss and is scored on the held-out part and the eval splits,
    beside a temperature-only baseline fitted on the same data (docs/probes.md).
    """

    enabled: bool = doc("run this probe", True)
    checkpoints: ProbeSteps = doc("probe every checkpoint or only the final one", "final")
    steps: int = doc("cap on optimizer steps per fit (a fit reaching it unstopped is flagged not converged)", 300)
    lr: float = doc("Adam learning rate for log β and log temperature (docs/probes.md: the sweep)", 0.1)
    batch_size: int = doc("examples per step (256: the whole fit part of 512 rows, full-batch steps)", 256)
    seeds: list[int] = doc("fit seeds: each draws its own fit/validation/held-out partition and data order; bands in figures",
                           factory=lambda: [0, 1, 2])
    eval_every: int = doc("measure the validation loss every this many steps", 10)
    patience: int = doc("stop after this many validation checks without improvement", 5)
    min_delta: float = doc("an improvement is a validation-loss drop of more than this [nats]", 1.0e-3)
    fractions: list[float] = doc("fit, validation, held-out shares of each fit split (sum 1)",
                                 factory=lambda: [0.5, 0.25, 0.25])
    max_fit_examples: int | None = doc("use the first this many rows of each fit split (null: all); equal sizes keep "
                                       "ID and OOD fits comparable", 512)

    def __post_init__(self) -> None:
        at_least(self, 1, "steps", "batch_size", "eval_every", "patience")
        positive(self, "lr")
        require(bool(self.seeds), "seeds", "must name at least one seed")
        require(len(self.fractions) == 3 and min(self.fractions) > 0 and abs(sum(self.fractions) - 1) <= 1e-6,
                "fractions", f"need 3 positive shares (fit, validation, held-out) summing to 1, got {self.fractions}")


@dataclass(frozen=True)
class TunedLensConfig:
    """Tuned lens: per-layer affine translators trained on non-eval data of the frozen checkpoint."""

    enabled: bool = doc("run this probe", True)
    checkpoints: ProbeSteps = doc("probe every checkpoint or only the final one", "final")
    steps: int = doc("Adam steps on the cached last-position states", 250)
    lr: float = doc("Adam learning rate of the translators", 1.0e-3)
    batch_size: int = doc("cached states per step", 256)
    seeds: list[int] = doc("training seeds (batch order); bands in figures", factory=lambda: [0, 1, 2])
    max_train_examples: int | None = doc("cap on training examples (null: all)", 2048)


@dataclass(frozen=True)
class CausalConfig:
    """Block ablation (zero and mean) and last-position activation patching."""

    enabled: bool = doc("run this probe", True)
    checkpoints: ProbeSteps = doc("probe every checkpoint or only the final one", "final")
    batch_size: int = doc("examples per forward pass", 64)
    max_examples: int | None = doc("cap on examples per eval split and on the reference set (null: all)", 512)
    seeds: list[int] = doc("patching pair seeds (which source each target gets); bands in figures",
                           factory=lambda: [0, 1, 2])

    def __post_init__(self) -> None:
        at_least(self, 1, "batch_size")
        require(bool(self.seeds), "seeds", "must name at least one seed")


@dataclass(frozen=True)
class ReadoutProbeConfig:
    """A probe that reads the frozen model (early exit, attention)."""

    enabled: bool = doc("run this probe", True)
    checkpoints: ProbeSteps = doc("probe every checkpoint or only the final one", "all")
    batch_size: int = doc("examples per forward pass", 64)
    max_examples: int | None = doc("cap on examples per eval split (null: all)", None)

    def __post_init__(self) -> None:
        at_least(self, 1, "batch_size", "max_examples")


@dataclass(frozen=True)
class ProbesConfig:
    """Functional probes (METHOD.md, Probes)."""

    residual_scaling: ResidualScalingConfig = doc("residual scaling under distribution shift", factory=ResidualScalingConfig)
    early_exit: ReadoutProbeConfig = doc("logit lens per layer (the paper's Table 1)", factory=ReadoutProbeConfig)
    attention: ReadoutProbeConfig = doc("attention mass on signal vs last token (Table 2)", factory=ReadoutProbeConfig)


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
        self._check_sample_sizes()
        self._check_context()

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
