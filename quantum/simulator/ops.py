"""Compile gates into kernel-ready operations ("ops").

An :class:`Op` is what the kernels consume: the target qubits (``targets[0]``
the least significant bit of the local basis), the control mask, the sorted
positions of targets and controls, and the gate's action in the cheapest
form that represents it exactly:

* ``XSWAP``: the X matrix (X, CNOT, Toffoli, any multi-controlled X);
* ``DIAG``: a diagonal (Z, S, T, RZ, PhaseShift, Rzz, CZ, GlobalPhase...);
* ``PERM``: a phased permutation (Y, SWAP, ISWAP...);
* ``DENSE``: anything else, ``2**k x 2**k``.

Parameterized gates become ops with a :class:`ParamForm` that computes the
matrix and its derivatives from the gate angles ``theta``:

* ``"phase"``: ``M(t) = diag(exp(i t lam))`` (RZ, PhaseShift, Rzz, GlobalPhase);
* ``"rot"``: ``M(t) = cos(t/2) I - i sin(t/2) P`` with ``P**2 = I`` (RX, RY, Rxx...);
* ``"generic"``: the gate's own ``matrix_from_values`` / ``diff_matrices_from_values``.

Each internal angle of a parameterized gate is one "slot": ``theta_s =
const_s + sum_p coeff_{s,p} value_p`` (the gate's ``params[i]``
ParameterResolver), collected into a :class:`SlotTable` so that a gradient with
respect to the slots maps to parameters by ``g_p = sum_s coeff_{s,p} g_s``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

XSWAP, DIAG, PERM, DENSE = 0, 1, 2, 3
_X = np.array([[0, 1], [1, 0]], dtype=np.complex128)
_TOL = 1e-10


def _gate_classes():
    try:
        from .. import gates

        return gates.MeasureGate, gates.BarrierGate
    except (ImportError, AttributeError):  # pragma: no cover - gates package absent
        return (), ()


def is_measure(gate) -> bool:
    """True for a measurement gate (``gates.MeasureGate``)."""
    cls = _gate_classes()[0]
    return (bool(cls) and isinstance(gate, cls)) or type(gate).__name__ == "MeasureGate"


def is_barrier(gate) -> bool:
    """True for a barrier (``gates.BarrierGate``), which the simulator skips."""
    cls = _gate_classes()[1]
    return (bool(cls) and isinstance(gate, cls)) or type(gate).__name__ == "BarrierGate"


def is_noise(gate) -> bool:
    """True for a noise channel (issue 7; not simulated by the state vector)."""
    return "Channel" in type(gate).__name__


@dataclass
class ParamForm:
    """How to build a parameterized op's matrix from its angles (see module docstring)."""

    kind: str  # "phase" | "rot" | "generic"
    slots: np.ndarray  # int64 slot index of each angle
    lam: np.ndarray | None = None  # "phase": eigen-phases per diagonal entry
    gen: np.ndarray | None = None  # "rot": the involutory generator P
    gate: object = None  # "generic": the gate itself
    mode: int = 0  # one-qubit "rot" forms: the cheap-kernel code of every M(t)

    def __post_init__(self):
        if self.kind == "rot":
            self._eye = np.eye(self.gen.shape[0], dtype=np.complex128)
            self._mig = -1j * self.gen
            if self.gen.shape[0] == 2:
                from ..kernels.cpu_gates import dense1_mode_of

                self.mode = dense1_mode_of(self.matrix(np.full(int(self.slots.max()) + 1, 0.3)))

    def matrix(self, theta: np.ndarray) -> np.ndarray:
        """Matrix (``DIAG``: the diagonal) at the slot values ``theta`` (all slots)."""
        if self.kind == "rot":
            t = 0.5 * float(theta[self.slots[0]])
            return math.cos(t) * self._eye + math.sin(t) * self._mig
        t = theta[self.slots]
        if self.kind == "phase":
            return np.exp(1j * t[0] * self.lam)
        return np.asarray(self.gate.matrix_from_values(*t), dtype=np.complex128)

    def diff(self, theta: np.ndarray) -> list[np.ndarray]:
        """Derivatives of :meth:`matrix` with respect to each of the op's angles."""
        if self.kind == "rot":
            t = 0.5 * float(theta[self.slots[0]])
            return [(-0.5 * math.sin(t)) * self._eye + (0.5 * math.cos(t)) * self._mig]
        t = theta[self.slots]
        if self.kind == "phase":
            return [1j * self.lam * np.exp(1j * t[0] * self.lam)]
        return [np.asarray(d, dtype=np.complex128) for d in self.gate.diff_matrices_from_values(*t)]


@dataclass
class Op:
    """One kernel call: see the module docstring for the kinds."""

    kind: int
    targets: np.ndarray  # int64, targets[0] = least significant local bit
    ctrls: tuple[int, ...]
    mat: np.ndarray | None = None  # DENSE: (d, d); DIAG: (d,); PERM: phases (d,)
    perm: np.ndarray | None = None  # PERM: local destination of each local index
    param: ParamForm | None = None
    name: str = ""
    cmask: int = field(init=False)
    spos: np.ndarray = field(init=False)
    mode: int = field(init=False)

    def __post_init__(self):
        self.mode = 0
        if self.kind == DENSE and self.mat is not None and self.mat.shape == (2, 2):
            from ..kernels.cpu_gates import dense1_mode_of

            self.mode = dense1_mode_of(self.mat)
        self.targets = np.asarray(self.targets, dtype=np.int64)
        self.cmask = int(sum(1 << c for c in self.ctrls))
        self.spos = np.array(sorted(list(self.targets) + list(self.ctrls)), dtype=np.int64)

    @property
    def qubits(self) -> frozenset[int]:
        """All qubits the op touches (targets and controls)."""
        return frozenset(int(q) for q in self.targets) | frozenset(self.ctrls)

    def full_matrix(self) -> np.ndarray:
        """Dense uncontrolled target matrix of a fixed op, ``(2**k, 2**k)``."""
        if self.kind == DENSE:
            return self.mat
        if self.kind == DIAG:
            return np.diag(self.mat)
        if self.kind == XSWAP:
            return _X.copy()
        m = np.zeros((self.mat.shape[0],) * 2, dtype=np.complex128)
        m[self.perm, np.arange(self.mat.shape[0])] = self.mat
        return m


def classify_matrix(m: np.ndarray, targets, ctrls, name: str = "") -> Op:
    """Fixed op of the cheapest kind that represents ``m`` exactly."""
    m = np.asarray(m, dtype=np.complex128)
    d = m.shape[0]
    off = m - np.diag(np.diag(m))
    if not np.any(np.abs(off) > 0):
        return Op(DIAG, targets, ctrls, mat=np.ascontiguousarray(np.diag(m)), name=name)
    if d == 2 and np.array_equal(m, _X):
        return Op(XSWAP, targets, ctrls, name=name)
    nz = np.abs(m) > 0
    if np.all(nz.sum(axis=0) == 1) and np.all(nz.sum(axis=1) == 1):
        perm = np.argmax(nz, axis=0).astype(np.int64)
        phase = m[perm, np.arange(d)].copy()
        return Op(PERM, targets, ctrls, mat=phase, perm=perm, name=name)
    return Op(DENSE, targets, ctrls, mat=np.ascontiguousarray(m), name=name)


def _gate_label(gate, index: int | None) -> str:
    where = f" (gate {index} of the circuit)" if index is not None else ""
    return f"{getattr(gate, 'name', type(gate).__name__)}{where}"


def check_qubits(gate, n_qubits: int, index: int | None = None) -> tuple[list[int], list[int]]:
    """Validate the gate's qubits against an ``n_qubits`` register.

    Raises:
        ValueError: a qubit outside ``[0, n_qubits)``, a repeated qubit, or a
            target that is also a control (the message names gate and qubit).
    """
    obj = [int(q) for q in gate.obj_qubits]
    ctrl = [int(q) for q in (gate.ctrl_qubits or [])]
    label = _gate_label(gate, index)
    if not obj:
        raise ValueError(f"Gate {label} has no target qubit; call .on(qubits) first.")
    for q in obj + ctrl:
        if q < 0 or q >= n_qubits:
            raise ValueError(
                f"Gate {label} acts on qubit {q}, but the simulator has {n_qubits} qubits "
                f"(valid: 0..{n_qubits - 1})."
            )
    if len(set(obj)) != len(obj):
        raise ValueError(f"Gate {label} repeats a target qubit: {obj}.")
    both = set(obj) & set(ctrl)
    if both:
        raise ValueError(f"Gate {label}: qubit {sorted(both)[0]} is both a target and a control.")
    return obj, ctrl


def _check_shape_unitary(m: np.ndarray, k: int, label: str) -> None:
    if m.shape != (1 << k, 1 << k):
        raise ValueError(f"Gate {label}: matrix of shape {m.shape} does not act on {k} qubit(s).")
    err = np.max(np.abs(m.conj().T @ m - np.eye(m.shape[0])))
    if err > 1e-8:
        raise ValueError(f"Gate {label}: matrix is not unitary (max |M^dag M - I| = {err:.2e}).")


def _detect_form(gate, k: int) -> tuple[str, np.ndarray | None, np.ndarray | None]:
    """Find the cheapest exact parameterisation of a one-angle gate."""
    try:
        ms = {t: np.asarray(gate.matrix_from_values(t), dtype=np.complex128)
              for t in (0.0, 0.3, 1.7, -2.9, np.pi)}
    except Exception:  # noqa: BLE001  (gates with several angles or odd signatures)
        return "generic", None, None
    dim = 1 << k
    if all(np.allclose(m, np.diag(np.diag(m)), atol=_TOL, rtol=0) for m in ms.values()):
        lam = np.angle(np.diag(ms[0.3])) / 0.3
        if all(np.allclose(np.diag(m), np.exp(1j * t * lam), atol=_TOL, rtol=0)
               for t, m in ms.items()):
            return "phase", lam, None
    gen = 1j * ms[np.pi]
    ok = np.allclose(gen @ gen, np.eye(dim), atol=_TOL, rtol=0)
    if ok and all(np.allclose(m, np.cos(t / 2) * np.eye(dim) - 1j * np.sin(t / 2) * gen,
                              atol=_TOL, rtol=0) for t, m in ms.items()):
        return "rot", None, gen
    return "generic", None, None


class SlotTable:
    """Angles of all parameterized ops: ``theta = const + coeff @ values``.

    ``names`` are the parameter names in order; ``coeff`` is ``(n_slots, n_names)``.
    """

    def __init__(self, names: list[str]):
        self.names = list(names)
        self.index = {p: i for i, p in enumerate(self.names)}
        self.const: list[float] = []
        self.rows: list[dict[int, float]] = []

    def add(self, pr, label: str) -> int:
        """Register one ParameterResolver angle; returns its slot index."""
        row: dict[int, float] = {}
        for name, coeff in pr.items():
            if name not in self.index:
                self.index[name] = len(self.names)
                self.names.append(name)
            row[self.index[name]] = row.get(self.index[name], 0.0) + complex(coeff).real
        self.const.append(complex(pr.const).real)
        self.rows.append(row)
        return len(self.rows) - 1

    def matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """``(const[n_slots], coeff[n_slots, n_names])``."""
        c = np.zeros((len(self.rows), len(self.names)))
        for s, row in enumerate(self.rows):
            for j, v in row.items():
                c[s, j] = v
        return np.asarray(self.const, dtype=float), c


def compile_gate(gate, n_qubits: int, pr=None, slots: SlotTable | None = None,
                 index: int | None = None) -> Op | None:
    """Turn one gate into an :class:`Op` (``None`` for a barrier).

    Args:
        gate: a gate with ``obj_qubits``, ``ctrl_qubits``, ``matrix`` (see the interface).
        n_qubits: the register width, for range checks.
        pr: parameter values (dict or ParameterResolver) binding a parameterized gate to a
            fixed op; ignored when ``slots`` is given.
        slots: keep the gate parameterized, registering its angles in this table.
        index: position of the gate in its circuit, for error messages.

    Raises:
        ValueError: bad qubits, a non-unitary matrix, a missing parameter value,
            or a measurement/noise gate (they are not unitary ops).
    """
    label = _gate_label(gate, index)
    if is_barrier(gate):
        return None
    if is_measure(gate):
        raise ValueError(f"Gate {label} is a measurement; use Simulator.sampling for circuits "
                         "with measurements.")
    if is_noise(gate):
        raise ValueError(f"Gate {label} is a noise channel; the state-vector simulator does not "
                         "apply channels (use the density-matrix backend).")
    obj, ctrl = check_qubits(gate, n_qubits, index)
    k = len(obj)
    if not getattr(gate, "parameterized", False):
        m = np.asarray(gate.matrix(), dtype=np.complex128)
        _check_shape_unitary(m, k, label)
        return classify_matrix(m, obj, ctrl, name=gate.name)
    if slots is None:
        values = [_combine(p, pr, label) for p in gate.params]
        m = np.asarray(gate.matrix_from_values(*values), dtype=np.complex128)
        _check_shape_unitary(m, k, label)
        return classify_matrix(m, obj, ctrl, name=gate.name)
    sl = np.array([slots.add(p, label) for p in gate.params], dtype=np.int64)
    kind, lam, gen = ("generic", None, None) if len(sl) != 1 else _detect_form(gate, k)
    form = ParamForm(kind, sl, lam=lam, gen=gen, gate=gate)
    op_kind = DIAG if kind == "phase" else DENSE
    return Op(op_kind, obj, ctrl, param=form, name=gate.name)


def _combine(pr, values, label: str) -> float:
    """Value of one angle; a clear error naming a missing parameter."""
    if pr.is_const() if hasattr(pr, "is_const") else not list(pr.keys()):
        return complex(pr.const).real
    if values is None:
        raise ValueError(f"Gate {label} needs parameter(s) {sorted(pr.keys())} but no values "
                         "were given (pass pr=...).")
    vals = dict(values.items()) if hasattr(values, "items") else values
    missing = [p for p in pr.keys() if p not in vals]
    if missing:
        raise ValueError(f"Gate {label}: no value for parameter '{missing[0]}'.")
    return complex(pr.const).real + sum(complex(c).real * float(np.real(vals[p]))
                                        for p, c in pr.items())
