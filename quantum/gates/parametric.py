"""Parameterized gates: rotations, phases, U3, FSim, Givens, SWAPalpha, GlobalPhase.

Every parameterized gate holds ``params``: one :class:`ParameterResolver` per
internal angle (1 for RX..., 3 for U3, 2 for FSim) and provides

- ``matrix_from_values(*theta)``: the target matrix at numeric angles;
- ``diff_matrices_from_values(*theta)``: ``[dM/dtheta_i]``;
- ``matrix(pr)``: evaluates the angles with ``pr`` then builds the matrix.

By the chain rule ``dM/dp = sum_i dM/dtheta_i * params[i][p]``. Matrices are
MindQuantum's (RX(t) = exp(-i t X / 2), PhaseShift = diag(1, e^{it}),
GlobalPhase = e^{-it} I, U3 = Qiskit's U3, ...). In two-qubit Pauli
rotations ``Rxy`` the first letter acts on ``obj_qubits[0]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..parameterresolver import ParameterResolver
from .basic import BasicGate, QuantumGate

__all__ = [
    "ParameterGate", "PauliRotation",
    "RX", "RY", "RZ", "Rxx", "Ryy", "Rzz", "Rxy", "Rxz", "Ryz",
    "PhaseShift", "GlobalPhase", "U3", "FSim", "Givens", "SWAPalpha",
]

_PAULI = {
    "I": np.eye(2, dtype=np.complex128),
    "X": np.array([[0, 1], [1, 0]], dtype=np.complex128),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
    "Z": np.array([[1, 0], [0, -1]], dtype=np.complex128),
}


def pauli_string_matrix(paulis: str) -> np.ndarray:
    """Matrix of a Pauli string; ``paulis[i]`` acts on the i-th (least significant first) qubit."""
    m = np.ones((1, 1), dtype=np.complex128)
    for p in paulis:
        m = np.kron(_PAULI[p], m)
    return m


class ParameterGate(QuantumGate):
    """Base of gates whose matrix depends on ``n_params`` angles.

    Args:
        *params: one angle per internal parameter: a name ``"a"``, a number,
            a dict ``{"a": 2}`` or a ParameterResolver (copied).
    """

    n_params: int = 1
    gate_n_qubits: int = 1

    def __init__(self, *params: Any, name: str | None = None) -> None:
        super().__init__(name or type(self).__name__, self.gate_n_qubits)
        if len(params) != self.n_params:
            raise ValueError(
                f"Gate {self.name} takes {self.n_params} parameter(s), got {len(params)}"
            )
        self.params: list[ParameterResolver] = [ParameterResolver(p) for p in params]

    def _copy(self) -> ParameterGate:
        new = super()._copy()
        new.params = [p.copy() for p in self.params]
        return new

    # ------------------------------------------------------------ parameters
    @property
    def coeff(self) -> ParameterResolver:
        """The angle of a one-parameter gate (MindQuantum's ``gate.coeff``)."""
        return self.params[0]

    @property
    def parameterized(self) -> bool:  # type: ignore[override]
        """True when an angle depends on a named parameter."""
        return any(not p.is_const() for p in self.params)

    @property
    def params_name(self) -> list[str]:
        """Parameter names in order of first appearance."""
        names: list[str] = []
        for p in self.params:
            names.extend(k for k in p.keys() if k not in names)
        return names

    def as_encoder(self) -> ParameterGate:
        """Tag all parameters as encoder parameters, in place; returns self."""
        for p in self.params:
            p.as_encoder()
        return self

    def as_ansatz(self) -> ParameterGate:
        """Tag all parameters as ansatz parameters, in place; returns self."""
        for p in self.params:
            p.as_ansatz()
        return self

    def requires_grad(self) -> ParameterGate:
        """Mark all parameters as requiring gradients, in place; returns self."""
        for p in self.params:
            p.requires_grad()
        return self

    def no_grad(self) -> ParameterGate:
        """Mark all parameters as not requiring gradients, in place; returns self."""
        for p in self.params:
            p.no_grad()
        return self

    def angle_values(self, pr: Mapping[str, Any] | ParameterResolver | None = None) -> list:
        """Numeric angles ``theta_i = params[i].combination(pr)``.

        Raises:
            ValueError: naming the gate and the parameter without a value.
        """
        out = []
        for p in self.params:
            if p.is_const():
                out.append(p.const)
                continue
            try:
                out.append(p.combination(pr))
            except ValueError as err:
                raise ValueError(f"Gate {self}: {err}") from None
        return out

    # --------------------------------------------------------------- matrices
    def matrix_from_values(self, *theta: float) -> np.ndarray:  # pragma: no cover - abstract
        """Target matrix at numeric angles."""
        raise NotImplementedError

    def diff_matrices_from_values(self, *theta: float) -> list[np.ndarray]:  # pragma: no cover
        """``[dM/dtheta_i]`` at numeric angles."""
        raise NotImplementedError

    def matrix(self, pr: Mapping[str, Any] | ParameterResolver | None = None) -> np.ndarray:
        """Target matrix with angles evaluated from ``pr``; ``(2**k, 2**k)`` complex128."""
        return self.matrix_from_values(*self.angle_values(pr))

    def diff_matrix(self, pr: Mapping[str, Any] | ParameterResolver | None, about_what: str):
        """``dM/dp`` for the named parameter ``about_what`` (chain rule over the angles)."""
        theta = self.angle_values(pr)
        dms = self.diff_matrices_from_values(*theta)
        out = np.zeros_like(dms[0])
        for dm, p in zip(dms, self.params, strict=True):
            if about_what in p:
                out = out + p[about_what] * dm
        return out

    def _hermitian_params(self) -> list[ParameterResolver]:
        return [-p for p in self.params]

    def hermitian(self) -> ParameterGate:
        """The dagger: the same gate with negated angles (U3, FSim: see their classes)."""
        new = self._copy()
        new.params = self._hermitian_params()
        return new

    def label(self) -> str:
        return f"{self.name}({', '.join(p.expression() for p in self.params)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BasicGate):
            return NotImplemented
        return (
            self._same_placement(other)
            and isinstance(other, ParameterGate)
            and self.params == other.params
        )

    __hash__ = None  # type: ignore[assignment]


class PauliRotation(ParameterGate):
    """exp(-i theta P / 2) for a Pauli string P (``pauli[i]`` on ``obj_qubits[i]``)."""

    pauli: str = "X"

    def matrix_from_values(self, theta: float) -> np.ndarray:
        p = pauli_string_matrix(self.pauli)
        return np.cos(theta / 2) * np.eye(p.shape[0]) - 1j * np.sin(theta / 2) * p

    def diff_matrices_from_values(self, theta: float) -> list[np.ndarray]:
        p = pauli_string_matrix(self.pauli)
        return [-0.5 * np.sin(theta / 2) * np.eye(p.shape[0]) - 0.5j * np.cos(theta / 2) * p]

    @property
    def is_diagonal(self) -> bool:
        return set(self.pauli) <= {"Z", "I"}


def _rotation(name: str, pauli: str, doc: str) -> type[PauliRotation]:
    attrs = {"pauli": pauli, "gate_n_qubits": len(pauli), "__doc__": doc}
    cls = type(name, (PauliRotation,), attrs)
    cls.__module__ = __name__
    return cls


RX = _rotation("RX", "X", "RX(t) = exp(-i t X / 2).")
RY = _rotation("RY", "Y", "RY(t) = exp(-i t Y / 2).")
RZ = _rotation("RZ", "Z", "RZ(t) = exp(-i t Z / 2).")
Rxx = _rotation("Rxx", "XX", "Rxx(t) = exp(-i t X0 X1 / 2).")
Ryy = _rotation("Ryy", "YY", "Ryy(t) = exp(-i t Y0 Y1 / 2).")
Rzz = _rotation("Rzz", "ZZ", "Rzz(t) = exp(-i t Z0 Z1 / 2).")
Rxy = _rotation("Rxy", "XY", "Rxy(t) = exp(-i t X0 Y1 / 2), X on obj_qubits[0].")
Rxz = _rotation("Rxz", "XZ", "Rxz(t) = exp(-i t X0 Z1 / 2), X on obj_qubits[0].")
Ryz = _rotation("Ryz", "YZ", "Ryz(t) = exp(-i t Y0 Z1 / 2), Y on obj_qubits[0].")


class PhaseShift(ParameterGate):
    """PhaseShift(t) = diag(1, e^{i t})."""

    def matrix_from_values(self, theta: float) -> np.ndarray:
        return np.array([[1, 0], [0, np.exp(1j * theta)]], dtype=np.complex128)

    def diff_matrices_from_values(self, theta: float) -> list[np.ndarray]:
        return [np.array([[0, 0], [0, 1j * np.exp(1j * theta)]], dtype=np.complex128)]

    @property
    def is_diagonal(self) -> bool:
        return True


class GlobalPhase(ParameterGate):
    """GlobalPhase(t) = e^{-i t} I on its target qubit (MindQuantum's sign).

    Uncontrolled it is a global phase; controlled it is a relative phase.
    """

    def matrix_from_values(self, theta: float) -> np.ndarray:
        return np.exp(-1j * theta) * np.eye(2, dtype=np.complex128)

    def diff_matrices_from_values(self, theta: float) -> list[np.ndarray]:
        return [-1j * np.exp(-1j * theta) * np.eye(2, dtype=np.complex128)]

    @property
    def is_diagonal(self) -> bool:
        return True


class U3(ParameterGate):
    """U3(t, p, l) = [[cos(t/2), -e^{il} sin(t/2)], [e^{ip} sin(t/2), e^{i(p+l)} cos(t/2)]].

    Its dagger is U3(-t, -l, -p).
    """

    n_params = 3

    def __init__(self, theta: Any, phi: Any, lamda: Any) -> None:
        super().__init__(theta, phi, lamda)

    @property
    def theta(self) -> ParameterResolver:
        return self.params[0]

    @property
    def phi(self) -> ParameterResolver:
        return self.params[1]

    @property
    def lamda(self) -> ParameterResolver:
        return self.params[2]

    def matrix_from_values(self, theta: float, phi: float, lamda: float) -> np.ndarray:
        c, s = np.cos(theta / 2), np.sin(theta / 2)
        return np.array(
            [
                [c, -np.exp(1j * lamda) * s],
                [np.exp(1j * phi) * s, np.exp(1j * (phi + lamda)) * c],
            ],
            dtype=np.complex128,
        )

    def diff_matrices_from_values(self, theta: float, phi: float, lamda: float) -> list:
        c, s = np.cos(theta / 2), np.sin(theta / 2)
        ep, el, epl = np.exp(1j * phi), np.exp(1j * lamda), np.exp(1j * (phi + lamda))
        d_t = np.array([[-s / 2, -el * c / 2], [ep * c / 2, -epl * s / 2]], dtype=np.complex128)
        d_p = np.array([[0, 0], [1j * ep * s, 1j * epl * c]], dtype=np.complex128)
        d_l = np.array([[0, -1j * el * s], [0, 1j * epl * c]], dtype=np.complex128)
        return [d_t, d_p, d_l]

    def _hermitian_params(self) -> list[ParameterResolver]:
        t, p, l = self.params
        return [-t, -l, -p]


class FSim(ParameterGate):
    """FSim(t, f): [[1,0,0,0],[0,cos t,-i sin t,0],[0,-i sin t,cos t,0],[0,0,0,e^{-i f}]]."""

    n_params = 2
    gate_n_qubits = 2

    def __init__(self, theta: Any, phi: Any) -> None:
        super().__init__(theta, phi)

    @property
    def theta(self) -> ParameterResolver:
        return self.params[0]

    @property
    def phi(self) -> ParameterResolver:
        return self.params[1]

    def matrix_from_values(self, theta: float, phi: float) -> np.ndarray:
        c, s = np.cos(theta), np.sin(theta)
        m = np.zeros((4, 4), dtype=np.complex128)
        m[0, 0] = 1
        m[1, 1] = m[2, 2] = c
        m[1, 2] = m[2, 1] = -1j * s
        m[3, 3] = np.exp(-1j * phi)
        return m

    def diff_matrices_from_values(self, theta: float, phi: float) -> list[np.ndarray]:
        c, s = np.cos(theta), np.sin(theta)
        d_t = np.zeros((4, 4), dtype=np.complex128)
        d_t[1, 1] = d_t[2, 2] = -s
        d_t[1, 2] = d_t[2, 1] = -1j * c
        d_p = np.zeros((4, 4), dtype=np.complex128)
        d_p[3, 3] = -1j * np.exp(-1j * phi)
        return [d_t, d_p]


class Givens(ParameterGate):
    """Givens(t): rotation [[cos t, -sin t], [sin t, cos t]] on the {|01>, |10>} subspace."""

    gate_n_qubits = 2

    def matrix_from_values(self, theta: float) -> np.ndarray:
        c, s = np.cos(theta), np.sin(theta)
        m = np.eye(4, dtype=np.complex128)
        m[1, 1] = m[2, 2] = c
        m[1, 2], m[2, 1] = -s, s
        return m

    def diff_matrices_from_values(self, theta: float) -> list[np.ndarray]:
        c, s = np.cos(theta), np.sin(theta)
        d = np.zeros((4, 4), dtype=np.complex128)
        d[1, 1] = d[2, 2] = -s
        d[1, 2], d[2, 1] = -c, c
        return [d]


class SWAPalpha(ParameterGate):
    """SWAPalpha(a) = SWAP**a: (1 +- e^{i pi a})/2 on the {|01>, |10>} subspace."""

    gate_n_qubits = 2

    def matrix_from_values(self, alpha: float) -> np.ndarray:
        e = np.exp(1j * np.pi * alpha)
        m = np.eye(4, dtype=np.complex128)
        m[1, 1] = m[2, 2] = (1 + e) / 2
        m[1, 2] = m[2, 1] = (1 - e) / 2
        return m

    def diff_matrices_from_values(self, alpha: float) -> list[np.ndarray]:
        de = 1j * np.pi * np.exp(1j * np.pi * alpha)
        d = np.zeros((4, 4), dtype=np.complex128)
        d[1, 1] = d[2, 2] = de / 2
        d[1, 2] = d[2, 1] = -de / 2
        return [d]


def _iter_params(gate: BasicGate) -> Iterable[ParameterResolver]:
    return gate.params if isinstance(gate, ParameterGate) else ()
