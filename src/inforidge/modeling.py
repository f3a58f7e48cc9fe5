"""Building and loading causal LMs and their tokenizers.

Scratch models are built from a Hugging Face config of the chosen family; pretrained
ones load by hub id or local path with ``AutoModelForCausalLM``. Either way the result
is saved with ``save_pretrained`` as checkpoint step 0, so later stages only ever
load local checkpoints.
"""

from __future__ import annotations

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GPT2Config,
    LlamaConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    Qwen2Config,
)

from inforidge.config import ModelConfig
from inforidge.tokenization import build_word_tokenizer


def resolve_device(device: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device: 'cuda' requested but no CUDA device is available")
    return torch.device(device)


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


def initial_model(cfg: ModelConfig, vocabulary: list[str], seed: int) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """The step-0 model and tokenizer of a run (scratch-built or pretrained)."""
    if cfg.source == "scratch":
        tokenizer = build_word_tokenizer(vocabulary)
        return build_scratch_model(cfg, tokenizer, seed), tokenizer
    return load_model(cfg.name_or_path)


def load_model(path: str, device: str | torch.device = "cpu") -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a causal LM and its tokenizer by hub id or local path (eval mode)."""
    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        # GPT-2 and Llama ship without a pad token; padding is masked out anyway.
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    model = AutoModelForCausalLM.from_pretrained(path)
    return model.to(device).eval(), tokenizer
