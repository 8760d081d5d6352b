"""Dense matrices of placed gates and of whole circuits (reference path for tests).

Two independent constructions, checked against each other in the tests:

- :func:`gate_unitary`: the full ``(2**n, 2**n)`` matrix of one placed gate,
  built from Kronecker products of 2x2 blocks:
  ``I + sum_{a,b} (U - I)[a, b] * kron_q(op_q)`` with ``op_q = |1><1|`` on a
  control, ``|a_j><b_j|`` on target ``obj_qubits[j]`` and ``I`` elsewhere.
- :func:`apply_gate_dense`: applies a gate to the columns of a matrix by tensor
  reshaping (no full gate matrix); :func:`circuit_matrix` chains it.

Qubit 0 is the least significant bit of the index: ``kron(op_{n-1}, ..., op_0)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..gates import BarrierGate, BasicGate, MeasureGate, QuantumGate

__all__ = ["gate_unitary", "apply_gate_dense", "circuit_matrix", "MAX_DENSE_QUBITS"]

MAX_DENSE_QUBITS = 12


def _check_width(gate: BasicGate, n_qubits: int) -> None:
    for q in gate.obj_qubits + gate.ctrl_qubits:
        if q >= n_qubits:
            raise ValueError(
                f"Gate {gate}: qubit index {q} out of range for {n_qubits} qubit(s)"
            )


def gate_unitary(gate: QuantumGate, n_qubits: int, pr: Any = None) -> np.ndarray:
    """Full matrix of a placed gate on ``n_qubits`` qubits, by Kronecker products.

    Args:
        gate: a placed gate with ``matrix``.
        n_qubits: register width (<= 10 recommended; memory is ``16 * 4**n`` bytes).
        pr: parameter values for parameterized gates.

    Returns:
        ``(2**n, 2**n)`` complex128.

    Raises:
        ValueError: a qubit index is out of range.
    """
    _check_width(gate, n_qubits)
    u = gate.matrix(pr)
    k = len(gate.obj_qubits)
    delta = u - np.eye(2**k)
    one = np.array([[0, 0], [0, 1]], dtype=np.complex128)
    eye = np.eye(2, dtype=np.complex128)
    full = np.eye(2**n_qubits, dtype=np.complex128)
    for a in range(2**k):
        for b in range(2**k):
            if delta[a, b] == 0:
                continue
            ops = [eye] * n_qubits
            for c in gate.ctrl_qubits:
                ops[c] = one
            for j, q in enumerate(gate.obj_qubits):
                unit = np.zeros((2, 2), dtype=np.complex128)
                unit[(a >> j) & 1, (b >> j) & 1] = 1.0
                ops[q] = unit
            term = np.ones((1, 1), dtype=np.complex128)
            for op in reversed(ops):  # kron(op_{n-1}, ..., op_0)
                term = np.kron(term, op)
            full += delta[a, b] * term
    return full


def apply_gate_dense(
    psi: np.ndarray, gate: QuantumGate, n_qubits: int, pr: Any = None
) -> np.ndarray:
    """Apply a placed gate to ``psi`` in place and return it.

    Args:
        psi: C-contiguous complex128, shape ``(2**n,)`` or ``(2**n, m)`` (m columns).
        gate: a placed gate with ``matrix``.
        n_qubits: register width ``n``.
        pr: parameter values for parameterized gates.
    """
    _check_width(gate, n_qubits)
    u = gate.matrix(pr)
    n = n_qubits
    k = len(gate.obj_qubits)
    t = psi.reshape((2,) * n + (-1,))
    index: list[Any] = [slice(None)] * (n + 1)
    ctrl_axes = {n - 1 - c for c in gate.ctrl_qubits}
    for ax in ctrl_axes:
        index[ax] = 1
    sub = t[tuple(index)]  # a view: control axes fixed to |1>
    remaining = [ax for ax in range(n + 1) if ax not in ctrl_axes]
    pos = {ax: i for i, ax in enumerate(remaining)}
    obj_axes = [pos[n - 1 - q] for q in reversed(gate.obj_qubits)]  # most significant first
    moved = np.moveaxis(sub, obj_axes, list(range(k)))
    shape = moved.shape
    res = (u @ moved.reshape(2**k, -1)).reshape(shape)
    sub[...] = np.moveaxis(res, list(range(k)), obj_axes)
    return psi


def circuit_matrix(circuit: Any, pr: Any = None, n_qubits: int | None = None) -> np.ndarray:
    """Unitary of a circuit, ``(2**n, 2**n)`` complex128 (barriers skipped).

    Args:
        circuit: iterable of placed gates.
        pr: parameter values.
        n_qubits: register width; defaults to ``circuit.n_qubits``.

    Raises:
        ValueError: a measurement in the circuit, too many qubits (> 12), or a
            qubit out of range.
    """
    n = circuit.n_qubits if n_qubits is None else int(n_qubits)
    if n > MAX_DENSE_QUBITS:
        raise ValueError(f"circuit matrix limited to {MAX_DENSE_QUBITS} qubits, asked for {n}")
    m = np.eye(2**n, dtype=np.complex128)
    for g in circuit:
        if isinstance(g, BarrierGate):
            continue
        if isinstance(g, MeasureGate) or not isinstance(g, QuantumGate):
            raise ValueError(f"Circuit with non-unitary element {g} has no matrix")
        apply_gate_dense(m, g, n, pr)
    return m
