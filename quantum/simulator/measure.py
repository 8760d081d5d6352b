"""Sampling of circuits with measurement gates, and the result container.

Bit strings are little-endian in the keys: the first measurement key is the
rightmost character (so ``measure_all`` in qubit order reads like the state
index in binary, as MindQuantum >= 0.10).
"""

from __future__ import annotations

from collections import Counter

import numpy as np


class MeasureResult:
    """Counts of sampled bit strings.

    Attributes:
        keys: measurement keys in the order of the circuit's measure gates.
        samples: ``(shots, len(keys))`` int array, column ``j`` the outcome of ``keys[j]``.
        data: ``{bit_string: count}``, bit string little-endian in ``keys``.
        shots: the number of shots.
    """

    def __init__(self, keys: list[str], samples: np.ndarray):
        self.keys = list(keys)
        self.samples = np.asarray(samples, dtype=np.int64).reshape(-1, len(self.keys))
        self.shots = self.samples.shape[0]
        strings = ["".join(str(b) for b in row[::-1]) for row in self.samples]
        self.data = dict(sorted(Counter(strings).items()))

    @property
    def bit_string_data(self) -> dict[str, int]:
        """Same as :attr:`data`."""
        return self.data

    def __repr__(self) -> str:
        return f"MeasureResult(shots={self.shots}, keys={self.keys}, data={self.data})"


def sample_indices(probs: np.ndarray, shots: int, rng: np.random.Generator) -> np.ndarray:
    """``shots`` basis-state indices drawn from ``probs`` (renormalised)."""
    p = np.asarray(probs, dtype=np.float64)
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    return np.searchsorted(cdf, rng.random(shots), side="right").clip(0, p.shape[0] - 1)
