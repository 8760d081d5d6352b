"""Gate protocol: qubit placement, controls, matrices and daggers.

Conventions (MindQuantum's):

- ``gate.on(obj_qubits, ctrl_qubits)`` places a gate on target (object) qubits
  and optional control qubits; it returns a new gate and never mutates.
- ``gate.matrix(pr)`` is the *uncontrolled* target matrix, shape
  ``(2**k, 2**k)`` complex128 with ``k = gate.n_qubits``, in the basis where
  ``obj_qubits[0]`` is the least significant bit. Controls act on |1>.
- ``gate.hermitian()`` is the dagger on the same qubits.

Classes:

- :class:`BasicGate`: name + qubits; no matrix (Measure, Barrier derive from it).
- :class:`QuantumGate`: a unitary gate with ``matrix``.
- :class:`FixedGate`: a gate given by a constant matrix (X, H, S, ... and
  :class:`UnivMathGate`), daggered by a flag.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "BasicGate",
    "QuantumGate",
    "FixedGate",
    "check_qubits",
    "check_unitary",
]


def _as_qubit_list(gate_name: str, qubits: Any, what: str) -> list[int]:
    if qubits is None:
        return []
    if isinstance(qubits, numbers.Integral) and not isinstance(qubits, bool):
        qubits = [qubits]
    elif isinstance(qubits, Iterable) and not isinstance(qubits, str | bytes):
        qubits = list(qubits)
    else:
        raise TypeError(f"Gate {gate_name}: {what} must be an int or a list of int, got {qubits!r}")
    out = []
    for q in qubits:
        if isinstance(q, bool) or not isinstance(q, numbers.Integral):
            raise TypeError(f"Gate {gate_name}: {what} index must be an int, got {q!r}")
        q = int(q)
        if q < 0:
            raise ValueError(f"Gate {gate_name}: {what} index {q} is negative")
        out.append(q)
    return out


def check_qubits(
    gate_name: str, n_qubits: int | None, obj_qubits: Any, ctrl_qubits: Any
) -> tuple[list[int], list[int]]:
    """Validate and normalise a placement.

    Args:
        gate_name: used in error messages.
        n_qubits: number of target qubits the gate needs (None: any number >= 1).
        obj_qubits: int or list of int.
        ctrl_qubits: None, int or list of int.

    Returns:
        ``(obj_qubits, ctrl_qubits)`` as lists of int.

    Raises:
        TypeError: non-integer qubit index.
        ValueError: negative index, wrong number of targets, a duplicated target
            or control, or a qubit that is both target and control.
    """
    obj = _as_qubit_list(gate_name, obj_qubits, "target qubit")
    ctrl = _as_qubit_list(gate_name, ctrl_qubits, "control qubit")
    if not obj:
        raise ValueError(f"Gate {gate_name}: needs at least one target qubit")
    if n_qubits is not None and len(obj) != n_qubits:
        raise ValueError(
            f"Gate {gate_name} acts on {n_qubits} qubit(s), but got {len(obj)} target "
            f"qubit(s) {obj}"
        )
    if len(set(obj)) != len(obj):
        raise ValueError(f"Gate {gate_name}: duplicated target qubits {obj}")
    if len(set(ctrl)) != len(ctrl):
        raise ValueError(f"Gate {gate_name}: duplicated control qubits {ctrl}")
    both = sorted(set(obj) & set(ctrl))
    if both:
        raise ValueError(
            f"Gate {gate_name}: qubit(s) {both} used both as target and as control "
            f"(targets {obj}, controls {ctrl})"
        )
    return obj, ctrl


def check_unitary(name: str, matrix: Any, atol: float = 1e-8) -> np.ndarray:
    """Return ``matrix`` as complex128 after checking it is a unitary on whole qubits.

    Raises:
        ValueError: naming the gate, when the matrix is not square, not of size
            ``2**k``, or not unitary (with the max deviation of ``U^dagger U`` from I).
    """
    m = np.asarray(matrix, dtype=np.complex128)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"Gate {name}: matrix must be square, got shape {m.shape}")
    dim = m.shape[0]
    if dim < 2 or dim & (dim - 1):
        raise ValueError(f"Gate {name}: matrix size must be 2**k (k >= 1), got {dim}")
    if not np.all(np.isfinite(m)):
        raise ValueError(f"Gate {name}: matrix has non-finite entries")
    err = float(np.max(np.abs(m.conj().T @ m - np.eye(dim))))
    if err > atol:
        raise ValueError(
            f"Gate {name}: matrix is not unitary (max |U^dagger U - I| = {err:.3g} > {atol:g})"
        )
    return m


class BasicGate:
    """A named operation placed on qubits; the base of every gate.

    Attributes:
        name: gate name, e.g. ``"RX"``.
        obj_qubits: target qubits (list of int).
        ctrl_qubits: control qubits (list of int).
        n_qubits: number of target qubits of the bare gate (None: any number).
    """

    n_qubits: int | None = 1
    parameterized: bool = False

    def __init__(self, name: str, n_qubits: int | None = 1) -> None:
        self.name = name
        self.n_qubits = n_qubits
        self.obj_qubits: list[int] = []
        self.ctrl_qubits: list[int] = []

    def _copy(self) -> BasicGate:
        new = copy.copy(self)
        new.obj_qubits = list(self.obj_qubits)
        new.ctrl_qubits = list(self.ctrl_qubits)
        return new

    def on(self, obj_qubits: int | Iterable[int], ctrl_qubits: int | Iterable[int] | None = None):
        """Place the gate on ``obj_qubits`` with optional ``ctrl_qubits``; returns a new gate.

        Raises:
            TypeError / ValueError: see :func:`check_qubits`.
        """
        obj, ctrl = check_qubits(self.name, self.n_qubits, obj_qubits, ctrl_qubits)
        new = self._copy()
        new.obj_qubits, new.ctrl_qubits = obj, ctrl
        return new

    @property
    def qubits(self) -> list[int]:
        """Targets then controls."""
        return self.obj_qubits + self.ctrl_qubits

    def label(self) -> str:
        """Short text used in drawings, e.g. ``RX(a)``."""
        return self.name

    def draw_label(self) -> str:
        """Text drawn on the target wires (defaults to :meth:`label`)."""
        return self.label()

    def __str__(self) -> str:
        if not self.obj_qubits:
            return self.label()
        qs = " ".join(str(q) for q in self.obj_qubits)
        if self.ctrl_qubits:
            qs += " <-: " + " ".join(str(q) for q in self.ctrl_qubits)
        lab = self.label()
        if lab.endswith(")"):
            return f"{lab[:-1]}|{qs})"
        return f"{lab}({qs})"

    def __repr__(self) -> str:
        return str(self)

    def _same_placement(self, other: BasicGate) -> bool:
        return (
            type(self) is type(other)
            and self.name == other.name
            and self.obj_qubits == other.obj_qubits
            and sorted(self.ctrl_qubits) == sorted(other.ctrl_qubits)
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BasicGate):
            return NotImplemented
        return self._same_placement(other)

    __hash__ = None  # type: ignore[assignment]


class QuantumGate(BasicGate):
    """A unitary gate: has ``matrix(pr)`` and ``hermitian()``."""

    def matrix(self, pr: Any = None) -> np.ndarray:  # pragma: no cover - abstract
        """Uncontrolled target matrix, ``(2**n_qubits, 2**n_qubits)`` complex128."""
        raise NotImplementedError

    def hermitian(self) -> QuantumGate:  # pragma: no cover - abstract
        """The dagger of this gate, on the same qubits."""
        raise NotImplementedError

    @property
    def is_diagonal(self) -> bool:
        """True when the target matrix is diagonal for every parameter value."""
        return False

    @property
    def is_permutation(self) -> bool:
        """True when the target matrix is a permutation matrix times phases."""
        return False


class FixedGate(QuantumGate):
    """A gate with a constant matrix (``base`` daggered when ``dagger`` is set).

    Args:
        name: gate name.
        matrix: ``(2**k, 2**k)`` unitary.
        self_adjoint: True when the matrix is its own inverse (then the dagger
            keeps the same name).
    """

    def __init__(self, name: str, matrix: Any, self_adjoint: bool = False) -> None:
        m = check_unitary(name, matrix)
        super().__init__(name, int(m.shape[0]).bit_length() - 1)
        self._base = m
        self._base.setflags(write=False)
        self.self_adjoint = self_adjoint
        self.dagger = False

    @property
    def base_name(self) -> str:
        """Name without the dagger mark."""
        return self.name[:-1] if self.dagger and self.name.endswith("†") else self.name

    def matrix(self, pr: Any = None) -> np.ndarray:
        """Uncontrolled target matrix (copy), complex128; ``pr`` is ignored."""
        m = self._base.conj().T if self.dagger else self._base
        return np.array(m, dtype=np.complex128)

    def hermitian(self) -> FixedGate:
        """The dagger: the same gate when self-adjoint, else flagged and renamed ``name†``."""
        new = self._copy()
        if self.self_adjoint:
            return new
        new.dagger = not self.dagger
        new.name = self.base_name + ("†" if new.dagger else "")
        return new

    @property
    def is_diagonal(self) -> bool:
        m = self._base
        return bool(np.all(m == np.diag(np.diag(m))))

    @property
    def is_permutation(self) -> bool:
        nz = self._base != 0
        return bool(np.all(nz.sum(axis=0) == 1) and np.all(nz.sum(axis=1) == 1))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BasicGate):
            return NotImplemented
        return (
            self._same_placement(other)
            and isinstance(other, FixedGate)
            and np.allclose(self.matrix(), other.matrix(), atol=1e-12)
        )

    __hash__ = None  # type: ignore[assignment]
