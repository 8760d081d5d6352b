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


def measure_plan(circuit, n_qubits: int) -> tuple[list, list, list[str], list[int], bool]:
    """Parse the measure gates of ``circuit`` for ``sampling`` (every backend).

    Returns ``(gates, meas, keys, qubits, terminal)``: the gates without barriers,
    ``(position, gate)`` of each measure gate, their keys and qubits, and whether every
    measurement is terminal (no later gate touches a measured qubit), so that one
    state can be sampled ``shots`` times instead of running each shot.

    Raises:
        ValueError: no measure gate, or a measured qubit outside the register.
    """
    from .ops import is_barrier, is_measure

    gates = [g for g in circuit if not is_barrier(g)]
    meas = [(i, g) for i, g in enumerate(gates) if is_measure(g)]
    if not meas:
        raise ValueError("sampling: the circuit has no measure gate.")
    keys = [getattr(g, "key", f"m{i}") for i, g in meas]
    qubits = [int(g.obj_qubits[0]) for _, g in meas]
    for q, k in zip(qubits, keys, strict=True):
        if q >= n_qubits:
            raise ValueError(f"Measure {k} on qubit {q}, but the simulator has "
                             f"{n_qubits} qubits.")
    touched = {int(q) for g in gates[meas[0][0]:] if not is_measure(g)
               for q in list(g.obj_qubits) + list(getattr(g, "ctrl_qubits", None) or [])}
    return gates, meas, keys, qubits, not (touched & set(qubits))
