"""Noise channels: completely positive trace-preserving maps given by Kraus operators.

``channel.kraus_operators()`` returns ``[K_i]``, each ``(2**k, 2**k)``
complex128 in the basis where ``obj_qubits[0]`` is the least significant bit,
with ``sum_i K_i^dagger K_i = I``; the channel maps
``rho -> sum_i K_i rho K_i^dagger``. Kraus operators are MindQuantum's:

- ``BitFlipChannel(p)``: sqrt(1-p) I, sqrt(p) X (likewise PhaseFlip with Z,
  BitPhaseFlip with Y);
- ``DepolarizingChannel(p, n_qubits=1)``: rho -> (1-p) rho + p I/2**n, i.e.
  sqrt(1 - p + p/4**n) I and sqrt(p/4**n) P for the other Pauli strings P;
- ``PauliChannel(px, py, pz)``;
- ``AmplitudeDampingChannel(gamma)``, ``PhaseDampingChannel(gamma)``;
- ``ThermalRelaxationChannel(t1, t2, gate_time)``: amplitude damping and dephasing
  over a gate time (``rho_11 -> e^{-t/T1} rho_11``, ``rho_01 -> e^{-t/T2} rho_01``);
- ``KrausChannel(name, kraus_ops)``: user Kraus operators (checked complete).

Channels have no ``matrix`` and cannot be controlled; simulators recognise
them with ``isinstance(g, NoiseChannel)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .basic import BasicGate, check_qubits
from .parametric import pauli_string_matrix

__all__ = [
    "NoiseChannel", "PauliChannel", "BitFlipChannel", "PhaseFlipChannel", "BitPhaseFlipChannel",
    "DepolarizingChannel", "AmplitudeDampingChannel", "PhaseDampingChannel", "KrausChannel",
    "ThermalRelaxationChannel",
]


def _prob(name: str, what: str, p: Any) -> float:
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: {what} must be a number, got {p!r}") from None
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: {what} must lie in [0, 1], got {p}")
    return p


class NoiseChannel(BasicGate):
    """Base class: a CPTP map on ``n_qubits`` target qubits."""

    def kraus_operators(self) -> list[np.ndarray]:  # pragma: no cover - abstract
        """Kraus operators ``[K_i]``, each ``(2**k, 2**k)`` complex128."""
        raise NotImplementedError

    def on(self, obj_qubits: int | Iterable[int], ctrl_qubits: Any = None) -> NoiseChannel:
        """Place on target qubits; channels cannot be controlled."""
        if ctrl_qubits is not None and ctrl_qubits != []:
            raise ValueError(f"Noise channel {self.name} cannot have control qubits")
        obj, _ = check_qubits(self.name, self.n_qubits, obj_qubits, None)
        new = self._copy()
        new.obj_qubits = obj
        return new

    def superoperator(self) -> np.ndarray:
        """``sum_i K_i (x) conj(K_i)``: acts on row-major vectorised density matrices."""
        return sum(np.kron(k, k.conj()) for k in self.kraus_operators())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BasicGate):
            return NotImplemented
        return (
            self._same_placement(other)
            and isinstance(other, NoiseChannel)
            and np.allclose(self.superoperator(), other.superoperator(), atol=1e-12)
        )

    __hash__ = None  # type: ignore[assignment]


class PauliChannel(NoiseChannel):
    """rho -> (1-px-py-pz) rho + px X rho X + py Y rho Y + pz Z rho Z."""

    def __init__(self, px: float, py: float, pz: float) -> None:
        super().__init__("PC", 1)
        self.px = _prob("PauliChannel", "px", px)
        self.py = _prob("PauliChannel", "py", py)
        self.pz = _prob("PauliChannel", "pz", pz)
        if self.px + self.py + self.pz > 1.0 + 1e-12:
            raise ValueError(
                f"PauliChannel: px + py + pz must be <= 1, got {self.px + self.py + self.pz}"
            )

    def kraus_operators(self) -> list[np.ndarray]:
        p0 = max(0.0, 1.0 - self.px - self.py - self.pz)
        return [
            np.sqrt(p0) * pauli_string_matrix("I"),
            np.sqrt(self.px) * pauli_string_matrix("X"),
            np.sqrt(self.py) * pauli_string_matrix("Y"),
            np.sqrt(self.pz) * pauli_string_matrix("Z"),
        ]

    def label(self) -> str:
        return f"PC({self.px:.4g}, {self.py:.4g}, {self.pz:.4g})"


class _OnePauli(NoiseChannel):
    _short = ""
    _pauli = "X"

    def __init__(self, p: float) -> None:
        super().__init__(self._short, 1)
        self.p = _prob(type(self).__name__, "p", p)

    def kraus_operators(self) -> list[np.ndarray]:
        return [
            np.sqrt(1 - self.p) * pauli_string_matrix("I"),
            np.sqrt(self.p) * pauli_string_matrix(self._pauli),
        ]

    def label(self) -> str:
        return f"{self._short}({self.p:.4g})"


class BitFlipChannel(_OnePauli):
    """rho -> (1-p) rho + p X rho X."""

    _short, _pauli = "BFC", "X"


class PhaseFlipChannel(_OnePauli):
    """rho -> (1-p) rho + p Z rho Z."""

    _short, _pauli = "PFC", "Z"


class BitPhaseFlipChannel(_OnePauli):
    """rho -> (1-p) rho + p Y rho Y."""

    _short, _pauli = "BPFC", "Y"


class DepolarizingChannel(NoiseChannel):
    """rho -> (1-p) rho + p I / 2**n on ``n_qubits`` qubits (MindQuantum's definition).

    As in MindQuantum, ``1 < p <= 4**n / (4**n - 1)`` is accepted too (no longer a
    depolarizing channel; at the upper end the uniform Pauli error channel). The
    density backend applies it without building the ``4**n`` Kraus operators.
    """

    def __init__(self, p: float, n_qubits: int = 1) -> None:
        if int(n_qubits) < 1:
            raise ValueError(f"DepolarizingChannel: n_qubits must be >= 1, got {n_qubits}")
        super().__init__("DC", int(n_qubits))
        try:
            p = float(p)
        except (TypeError, ValueError):
            raise TypeError(f"DepolarizingChannel: p must be a number, got {p!r}") from None
        top = 4.0**self.n_qubits / (4.0**self.n_qubits - 1)
        if not 0.0 <= p <= top + 1e-12:
            raise ValueError(f"DepolarizingChannel: p must lie in [0, 4**n/(4**n-1) = {top:.6g}]"
                             f" for n = {self.n_qubits} qubit(s), got {p}")
        self.p = p

    def kraus_operators(self) -> list[np.ndarray]:
        n = self.n_qubits
        if n > 6:
            raise ValueError(f"DepolarizingChannel on {n} qubits: its 4**{n} Kraus operators "
                             "are too many to build (the density backend does not need them)")
        w = self.p / 4**n
        ops = []
        for letters in itertools.product("IXYZ", repeat=n):
            s = "".join(letters)
            coeff = np.sqrt(1 - self.p + w) if set(s) == {"I"} else np.sqrt(w)
            ops.append(coeff * pauli_string_matrix(s))
        return ops

    def label(self) -> str:
        return f"DC({self.p:.4g})"


class AmplitudeDampingChannel(NoiseChannel):
    """K0 = [[1, 0], [0, sqrt(1-g)]], K1 = [[0, sqrt(g)], [0, 0]]."""

    def __init__(self, gamma: float) -> None:
        super().__init__("ADC", 1)
        self.gamma = _prob("AmplitudeDampingChannel", "gamma", gamma)

    def kraus_operators(self) -> list[np.ndarray]:
        g = self.gamma
        return [
            np.array([[1, 0], [0, np.sqrt(1 - g)]], dtype=np.complex128),
            np.array([[0, np.sqrt(g)], [0, 0]], dtype=np.complex128),
        ]

    def label(self) -> str:
        return f"ADC({self.gamma:.4g})"


class PhaseDampingChannel(NoiseChannel):
    """K0 = [[1, 0], [0, sqrt(1-g)]], K1 = [[0, 0], [0, sqrt(g)]]."""

    def __init__(self, gamma: float) -> None:
        super().__init__("PDC", 1)
        self.gamma = _prob("PhaseDampingChannel", "gamma", gamma)

    def kraus_operators(self) -> list[np.ndarray]:
        g = self.gamma
        return [
            np.array([[1, 0], [0, np.sqrt(1 - g)]], dtype=np.complex128),
            np.array([[0, 0], [0, np.sqrt(g)]], dtype=np.complex128),
        ]

    def label(self) -> str:
        return f"PDC({self.gamma:.4g})"


class ThermalRelaxationChannel(NoiseChannel):
    """Thermal relaxation over ``gate_time``: ``rho_11 -> e^{-tg/T1} rho_11`` (the rest to
    ``|0>``) and ``rho_01 -> e^{-tg/T2} rho_01`` (MindQuantum's ``ThermalRelaxationChannel``).

    Kraus operators from the eigen-decomposition of the Choi matrix. Completely positive
    only for ``T2 <= 2 T1``.

    Raises:
        ValueError: non-positive times or ``t2 > 2 t1`` (values named).
    """

    def __init__(self, t1: float, t2: float, gate_time: float) -> None:
        super().__init__("TRC", 1)
        vals = {}
        for what, v in (("t1", t1), ("t2", t2), ("gate_time", gate_time)):
            try:
                vals[what] = float(v)
            except (TypeError, ValueError):
                raise TypeError(f"ThermalRelaxationChannel: {what} must be a number, "
                                f"got {v!r}") from None
        if vals["t1"] <= 0 or vals["t2"] <= 0 or vals["gate_time"] < 0:
            raise ValueError(f"ThermalRelaxationChannel: need t1 > 0, t2 > 0, gate_time >= 0, "
                             f"got t1={t1}, t2={t2}, gate_time={gate_time}")
        if vals["t2"] > 2 * vals["t1"] * (1 + 1e-12):
            raise ValueError(f"ThermalRelaxationChannel: t2 = {t2} > 2 t1 = {2 * vals['t1']} "
                             "is not a physical (completely positive) channel")
        self.t1, self.t2, self.gate_time = vals["t1"], vals["t2"], vals["gate_time"]

    def kraus_operators(self) -> list[np.ndarray]:
        e1 = np.exp(-self.gate_time / self.t1)
        e2 = np.exp(-self.gate_time / self.t2)
        # Choi matrix C[(i, a), (j, b)] = E(|i><j|)[a, b]
        c = np.zeros((2, 2, 2, 2), dtype=np.complex128)
        c[0, 0, 0, 0] = 1.0
        c[1, 0, 1, 0] = 1.0 - e1
        c[1, 1, 1, 1] = e1
        c[0, 0, 1, 1] = c[1, 1, 0, 0] = e2
        w, v = np.linalg.eigh(c.reshape(4, 4))
        return [np.sqrt(lam) * v[:, k].reshape(2, 2).T.astype(np.complex128)
                for k, lam in enumerate(w) if lam > 1e-15]

    def label(self) -> str:
        return f"TRC(t1={self.t1:.6g}, t2={self.t2:.6g}, tg={self.gate_time:.6g})"


class KrausChannel(NoiseChannel):
    """User channel from Kraus operators (checked: same ``2**k`` shape, complete).

    Raises:
        ValueError: naming the channel when shapes differ or
            ``sum_i K_i^dagger K_i != I`` (max deviation reported).
    """

    def __init__(self, name: str, kraus_op: Sequence[Any]) -> None:
        ops = [np.asarray(k, dtype=np.complex128) for k in kraus_op]
        if not ops:
            raise ValueError(f"KrausChannel {name}: needs at least one Kraus operator")
        dim = ops[0].shape[0]
        for i, k in enumerate(ops):
            if k.shape != (dim, dim) or dim < 2 or dim & (dim - 1):
                raise ValueError(
                    f"KrausChannel {name}: operator {i} has shape {k.shape}; all must be "
                    "(2**k, 2**k) and equal"
                )
        err = float(np.max(np.abs(sum(k.conj().T @ k for k in ops) - np.eye(dim))))
        if err > 1e-8:
            raise ValueError(
                f"KrausChannel {name}: Kraus operators are not complete "
                f"(max |sum K^dagger K - I| = {err:.3g})"
            )
        super().__init__(name, dim.bit_length() - 1)
        self._ops = ops

    def kraus_operators(self) -> list[np.ndarray]:
        return [k.copy() for k in self._ops]
