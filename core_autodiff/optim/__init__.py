"""Optimizers: pure (init, update) transforms and stateful wrappers."""

from .optimizer import SGD, Adam, Optimizer
from .transforms import (
    GradientTransformation,
    adam,
    chain,
    clip,
    clip_by_global_norm,
    cosine_decay,
    exponential_decay,
    global_norm,
    sgd,
)

__all__ = [
    "SGD", "Adam", "GradientTransformation", "Optimizer", "adam", "chain", "clip",
    "clip_by_global_norm", "cosine_decay", "exponential_decay", "global_norm", "sgd",
]
