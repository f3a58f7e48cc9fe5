"""Models and training: building and loading causal LMs and tokenizers, architecture-agnostic
access to their blocks, batching, residual-stream hooks, the LM head, accuracy, the segment
chain of training, checkpoint schedules and checkpoint file names.

May import ``core``, the declarations (``tasks``) and ``config``.
"""
