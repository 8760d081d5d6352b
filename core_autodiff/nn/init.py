"""Weight initializers: functions ``(shape, rng, dtype) -> numpy array``.

Fan-in/fan-out follow the (in_features, out_features) layout of ``Linear``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def _fans(shape: Sequence[int]) -> tuple[int, int]:
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[0] * receptive, shape[1] * receptive


def zeros(shape, rng=None, dtype: Any = np.float64) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


def ones(shape, rng=None, dtype: Any = np.float64) -> np.ndarray:
    return np.ones(shape, dtype=dtype)


def normal(shape, rng: np.random.Generator, dtype: Any = np.float64, std: float = 1.0):
    return (std * rng.standard_normal(shape)).astype(dtype)


def uniform(shape, rng: np.random.Generator, dtype: Any = np.float64, limit: float = 1.0):
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def xavier_uniform(shape, rng: np.random.Generator, dtype: Any = np.float64, gain: float = 1.0):
    """Glorot & Bengio (2010): U(-a, a), a = gain sqrt(6 / (fan_in + fan_out))."""
    fi, fo = _fans(shape)
    return uniform(shape, rng, dtype, gain * np.sqrt(6.0 / (fi + fo)))


def xavier_normal(shape, rng: np.random.Generator, dtype: Any = np.float64, gain: float = 1.0):
    fi, fo = _fans(shape)
    return normal(shape, rng, dtype, gain * np.sqrt(2.0 / (fi + fo)))


def he_uniform(shape, rng: np.random.Generator, dtype: Any = np.float64):
    """He et al. (2015) for ReLU-like activations: U(-a, a), a = sqrt(6 / fan_in)."""
    fi, _ = _fans(shape)
    return uniform(shape, rng, dtype, np.sqrt(6.0 / fi))


def he_normal(shape, rng: np.random.Generator, dtype: Any = np.float64):
    fi, _ = _fans(shape)
    return normal(shape, rng, dtype, np.sqrt(2.0 / fi))


def lecun_normal(shape, rng: np.random.Generator, dtype: Any = np.float64):
    fi, _ = _fans(shape)
    return normal(shape, rng, dtype, np.sqrt(1.0 / fi))


INITIALIZERS = {
    "zeros": zeros, "ones": ones, "xavier_uniform": xavier_uniform,
    "glorot_uniform": xavier_uniform, "xavier_normal": xavier_normal,
    "he_uniform": he_uniform, "he_normal": he_normal, "lecun_normal": lecun_normal,
}


def get(name_or_fn: Any):
    """An initializer by name (see ``INITIALIZERS``) or the callable itself."""
    if callable(name_or_fn):
        return name_or_fn
    try:
        return INITIALIZERS[name_or_fn]
    except KeyError:
        raise ValueError(
            f"unknown initializer {name_or_fn!r}; expected one of {sorted(INITIALIZERS)}"
        ) from None
