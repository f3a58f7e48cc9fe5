"""Building and loading causal LMs and their tokenizers.

Scratch models are built from a Hugging Face config of the chosen family; pretrained
ones load by hub id or local path with ``AutoModelForCausalLM``. Either way the result
is saved with ``save_pretrained`` as checkpoint step 0, so later stages only ever
load local checkpoints. Training-time wrappers live here too: gradient checkpointing
and LoRA adapters (peft), which are merged back into plain weights before saving.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GPT2Config,
    LlamaConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    PreTrainedTokenizerFast,
    Qwen2Config,
)

from inforidge.config import LoraSettings, ModelConfig, TrainingConfig
from inforidge.core.hub import hub_source
from inforidge.models.checkpoint_files import read_source
from inforidge.models.tokenization import build_word_tokenizer


def build_scratch_model(cfg: ModelConfig, tokenizer: PreTrainedTokenizerBase, seed: int) -> PreTrainedModel:
    """A randomly initialised model of ``cfg.architecture`` sized by ``cfg``."""
    torch.manual_seed(seed)
    vocab = len(tokenizer)
    special = dict(pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.eos_token_id)
    if cfg.architecture == "gpt2":
        hf = GPT2Config(vocab_size=vocab, n_layer=cfg.n_layer, n_embd=cfg.n_embd, n_head=cfg.n_head,
                        n_positions=cfg.n_positions, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, **special)
    else:
        family = LlamaConfig if cfg.architecture == "llama" else Qwen2Config
        hf = family(vocab_size=vocab, num_hidden_layers=cfg.n_layer, hidden_size=cfg.n_embd,
                    num_attention_heads=cfg.n_head, num_key_value_heads=cfg.n_head,
                    intermediate_size=4 * cfg.n_embd, max_position_embeddings=cfg.n_positions,
                    tie_word_embeddings=True, **special)
    model = AutoModelForCausalLM.from_config(hf)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


def initial_model(
    cfg: ModelConfig, vocabulary: list[str], seed: int, start: str | Path | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """The step-0 model and tokenizer of a run (scratch-built, pretrained, or ``start``: the
    checkpoint of another run that a ``source: run`` run continues from)."""
    if cfg.source == "scratch":
        tokenizer = build_word_tokenizer(vocabulary)
        return build_scratch_model(cfg, tokenizer, seed), tokenizer
    if cfg.source == "run":
        if start is None:
            raise ValueError(f"model.source 'run': the checkpoint of run {cfg.run!r} step {cfg.step} was not given")
        return load_model(str(start), dtype=cfg.dtype, **checkpoint_options(cfg))
    return load_model(cfg.name_or_path, revision=cfg.revision, dtype=cfg.dtype, **checkpoint_options(cfg))


def checkpoint_options(cfg: ModelConfig) -> dict:
    """Loading options that hold for every checkpoint of a run, not only the hub download.

    revision and dtype matter only for the step-0 load: later checkpoints are local and
    keep the dtype they were saved in.
    """
    return {"trust_remote_code": cfg.trust_remote_code, "attn_implementation": cfg.attn_implementation}


def load_model(
    path: str, device: str | torch.device = "cpu", *, revision: str | None = None, dtype: str = "auto",
    trust_remote_code: bool = False, attn_implementation: str | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a causal LM and its tokenizer by hub id or local path (eval mode).

    ``revision`` selects a hub branch, tag or commit (a local path has none);
    ``dtype`` "auto" keeps the stored dtype. A pointer checkpoint (an external series step,
    ``checkpoint_files.SOURCE_FILE``) keeps its tokenizer; the weights load from where it points.
    """
    tokenizer = load_tokenizer(path, revision=revision, trust_remote_code=trust_remote_code)
    pointer = read_source(Path(path))
    if pointer is not None:
        path, revision = pointer["path"], pointer["revision"]
        trust_remote_code = trust_remote_code or pointer.get("trust_remote_code", False)
    if tokenizer.pad_token is None:
        # GPT-2 and Llama ship without a pad token; padding is masked out anyway.
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    extra = {"attn_implementation": attn_implementation} if attn_implementation else {}
    with hub_source("model", path, revision):
        model = AutoModelForCausalLM.from_pretrained(path, revision=revision, dtype=dtype,
                                                     trust_remote_code=trust_remote_code, **extra)
    return model.to(device).eval(), tokenizer


# Class names transformers 4 / 5 record for a tokenizer built directly from `tokenizers`.
GENERIC_TOKENIZERS = ("PreTrainedTokenizerFast", "TokenizersBackend")


def load_tokenizer(path: str, revision: str | None = None, trust_remote_code: bool = False) -> PreTrainedTokenizerBase:
    """The tokenizer saved with a checkpoint, or a hub tokenizer.

    Our word-level tokenizers are saved as plain ``PreTrainedTokenizerFast``; AutoTokenizer
    would pick the model family's class instead (Qwen2's splits numbers into digits and
    re-tokenizes every prompt), so a saved generic fast tokenizer is loaded as itself.
    """
    config_file = Path(path) / "tokenizer_config.json"
    if config_file.is_file() and json.loads(config_file.read_text()).get("tokenizer_class") in GENERIC_TOKENIZERS:
        return PreTrainedTokenizerFast.from_pretrained(path)
    with hub_source("tokenizer of model", path, revision):
        return AutoTokenizer.from_pretrained(path, revision=revision, trust_remote_code=trust_remote_code)


def wants_gradient_checkpointing(cfg: TrainingConfig, model_cfg: ModelConfig, device: torch.device) -> bool:
    """``auto``: on for pretrained models on CUDA (where activation memory binds), else off."""
    if cfg.gradient_checkpointing == "auto":
        return model_cfg.source == "pretrained" and device.type == "cuda"
    return cfg.gradient_checkpointing


def enable_gradient_checkpointing(model: PreTrainedModel) -> None:
    """Recompute block activations in the backward pass instead of storing them.

    Non-reentrant checkpointing works when the inputs need no gradient (frozen
    embeddings under LoRA) and restores the RNG, so dropout recomputes identically.
    """
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.config.use_cache = False  # the KV cache is useless in training and clashes with checkpointing


def add_lora(model: PreTrainedModel, cfg: LoraSettings, seed: int):
    """Wrap ``model`` with fresh LoRA adapters (only they train); init is seeded by ``seed``."""
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)  # adapter init must not depend on whatever ran before
    target = cfg.target_modules if isinstance(cfg.target_modules, str) else list(cfg.target_modules)
    lora = LoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout, target_modules=target,
                      task_type="CAUSAL_LM")
    return get_peft_model(model, lora)


def adapter_state(model) -> dict[str, torch.Tensor]:
    """The unmerged adapter weights of a peft model (what a resumed segment reloads)."""
    from peft import get_peft_model_state_dict

    return {k: v.detach().cpu().clone() for k, v in get_peft_model_state_dict(model).items()}


def load_adapter_state(model, state: dict[str, torch.Tensor]) -> None:
    """Load adapter weights saved by ``adapter_state``; every adapter tensor must be present."""
    from peft import set_peft_model_state_dict

    result = set_peft_model_state_dict(model, state)
    missing = [k for k in result.missing_keys if "lora_" in k]
    if missing:
        raise ValueError(f"trainer state lacks adapter weights {missing[:3]} (LoRA settings changed?)")


def merge_adapters(model) -> PreTrainedModel:
    """Fold LoRA updates into the base weights; the result loads without peft."""
    return model.merge_and_unload()
