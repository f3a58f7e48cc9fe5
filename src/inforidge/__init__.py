"""InfoRidge: layer-wise information analysis of transformer language models."""

__version__ = "0.1.0"
