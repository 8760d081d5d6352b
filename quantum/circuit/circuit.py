"""Circuit: an ordered list of placed gates.

``Circuit`` composes with ``+=`` / ``+`` (gates, circuits, lists of gates) and
``*`` (repetition), reports its parameters by kind (encoder / ansatz, order of
first appearance), binds values (``apply_value``), takes its dagger, gives its
dense matrix (<= 12 qubits), depth, summary, a text drawing and OpenQASM 2.0.

Example:
    >>> from quantum import Circuit, gates
    >>> c = Circuit([gates.H.on(0), gates.RX("a").on(1), gates.X.on(1, 0)])
    >>> c.params_name, c.n_qubits
    (['a'], 2)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from .. import gates as G
from ..gates import BarrierGate, BasicGate, MeasureGate, NoiseChannel, ParameterGate
from ..parameterresolver import ParameterResolver
from .matrix import circuit_matrix, gate_unitary

__all__ = ["Circuit"]


def _check_gate(gate: Any) -> BasicGate:
    if not isinstance(gate, BasicGate):
        raise TypeError(f"Circuit element must be a gate, got {type(gate).__name__}: {gate!r}")
    if not gate.obj_qubits:
        raise ValueError(f"Gate {gate.name} is not placed on qubits: use {gate.name}.on(qubit)")
    return gate


class Circuit:
    """An ordered list of placed gates.

    Args:
        gates: None, a gate, or an iterable of gates / circuits.
    """

    def __init__(self, gates: BasicGate | Iterable[BasicGate] | None = None) -> None:
        self._gates: list[BasicGate] = []
        if gates is not None:
            self.extend(gates)

    # ------------------------------------------------------------ list-like
    def append(self, gate: BasicGate) -> Circuit:
        """Append one placed gate; returns self."""
        self._gates.append(_check_gate(gate))
        return self

    def extend(self, gates: BasicGate | Iterable[BasicGate]) -> Circuit:
        """Append gates (a gate, a circuit or an iterable); returns self."""
        if isinstance(gates, BasicGate):
            return self.append(gates)
        if not isinstance(gates, Iterable):
            raise TypeError(f"Cannot add {type(gates).__name__} to a Circuit")
        for g in gates:
            if isinstance(g, Circuit):
                self.extend(g)
            else:
                self.append(g)
        return self

    def insert(self, index: int, gate: BasicGate) -> Circuit:
        """Insert a gate before ``index``; returns self."""
        self._gates.insert(index, _check_gate(gate))
        return self

    def pop(self, index: int = -1) -> BasicGate:
        """Remove and return the gate at ``index``."""
        return self._gates.pop(index)

    def __len__(self) -> int:
        return len(self._gates)

    def __iter__(self) -> Iterator[BasicGate]:
        return iter(self._gates)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Circuit(self._gates[index])
        return self._gates[index]

    def __setitem__(self, index: int, gate: BasicGate) -> None:
        self._gates[index] = _check_gate(gate)

    def __delitem__(self, index: int | slice) -> None:
        del self._gates[index]

    def __iadd__(self, other: Any) -> Circuit:
        return self.extend(other)

    def __add__(self, other: Any) -> Circuit:
        return Circuit(self._gates).extend(other)

    def __radd__(self, other: Any) -> Circuit:
        return Circuit(other).extend(self)

    def __mul__(self, times: int) -> Circuit:
        if isinstance(times, bool) or not isinstance(times, int | np.integer) or times < 0:
            raise TypeError(f"A circuit can be repeated a non-negative int times, got {times!r}")
        out = Circuit()
        for _ in range(int(times)):
            out.extend(self._gates)
        return out

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Circuit):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def copy(self) -> Circuit:
        """Copy with copied gates (parameters copied too)."""
        return Circuit(g._copy() for g in self._gates)

    # -------------------------------------------------------------- qubits
    @property
    def n_qubits(self) -> int:
        """1 + the largest qubit index used (0 for an empty circuit)."""
        return max((max(g.obj_qubits + g.ctrl_qubits) + 1 for g in self._gates), default=0)

    @property
    def has_measure_gate(self) -> bool:
        """True when a Measure gate is in the circuit."""
        return any(isinstance(g, MeasureGate) for g in self._gates)

    @property
    def is_noise_circuit(self) -> bool:
        """True when the circuit holds a noise channel."""
        return any(isinstance(g, NoiseChannel) for g in self._gates)

    def depth(self, with_single: bool = True, with_barrier: bool = True) -> int:
        """Number of layers when gates are packed as early as possible.

        A gate occupies its targets and controls. With ``with_single=False``
        one-qubit uncontrolled gates are ignored; with ``with_barrier=True`` a
        barrier aligns its qubits (without adding a layer).
        """
        front: dict[int, int] = {}
        for g in self._gates:
            qs = g.obj_qubits + g.ctrl_qubits
            level = max((front.get(q, 0) for q in qs), default=0)
            if isinstance(g, BarrierGate):
                if with_barrier:
                    for q in qs:
                        front[q] = level
                continue
            if not with_single and len(qs) == 1:
                continue
            for q in qs:
                front[q] = level + 1
        return max(front.values(), default=0)

    # ---------------------------------------------------------- parameters
    def _param_gates(self) -> Iterator[ParameterGate]:
        return (g for g in self._gates if isinstance(g, ParameterGate))

    def _names(self, kind: str) -> list[str]:
        encoder: dict[str, bool] = {}  # name -> is encoder, in order of first appearance
        for g in self._param_gates():
            for p in g.params:
                enc = p._encoder
                for name in p._data:
                    is_enc = name in enc
                    seen = encoder.setdefault(name, is_enc)
                    if seen != is_enc:
                        raise ValueError(
                            f"Parameter {name!r} is tagged both encoder and ansatz in this circuit "
                            f"(gate {g})"
                        )
        if kind == "all":
            return list(encoder)
        want = kind == "encoder"
        return [n for n, e in encoder.items() if e == want]

    @property
    def params_name(self) -> list[str]:
        """All parameter names, in order of first appearance."""
        return self._names("all")

    @property
    def encoder_params_name(self) -> list[str]:
        """Encoder parameter names, in order of first appearance."""
        return self._names("encoder")

    @property
    def ansatz_params_name(self) -> list[str]:
        """Ansatz parameter names, in order of first appearance."""
        return self._names("ansatz")

    @property
    def requires_grad_params_name(self) -> list[str]:
        """Names whose gradient is wanted (all gates must agree for it to count)."""
        no_grad: set[str] = set()
        for g in self._param_gates():
            for p in g.params:
                no_grad |= p.no_grad_parameters
        return [n for n in self.params_name if n not in no_grad]

    @property
    def parameterized(self) -> bool:
        """True when some gate depends on a named parameter."""
        return any(g.parameterized for g in self._param_gates())

    def parameter_resolver(self) -> ParameterResolver:
        """A ParameterResolver holding every parameter (coefficient 1) with its flags."""
        pr = ParameterResolver({n: 1.0 for n in self.params_name})
        pr.as_encoder(self.encoder_params_name)
        no_grad = [n for n in self.params_name if n not in self.requires_grad_params_name]
        pr.no_grad_part(*no_grad)
        return pr

    def as_encoder(self) -> Circuit:
        """Tag every parameter as encoder, in place; returns self."""
        for g in self._param_gates():
            g.as_encoder()
        return self

    def as_ansatz(self) -> Circuit:
        """Tag every parameter as ansatz, in place; returns self."""
        for g in self._param_gates():
            g.as_ansatz()
        return self

    def requires_grad(self) -> Circuit:
        """Mark every parameter as requiring a gradient, in place; returns self."""
        for g in self._param_gates():
            g.requires_grad()
        return self

    def no_grad(self) -> Circuit:
        """Mark every parameter as not requiring a gradient, in place; returns self."""
        for g in self._param_gates():
            g.no_grad()
        return self

    def apply_value(self, values: Mapping[str, Any] | ParameterResolver) -> Circuit:
        """New circuit with the given parameters replaced by their values.

        Parameters not in ``values`` stay symbolic.
        """
        if isinstance(values, ParameterResolver):
            values = dict(values.items())
        out = Circuit()
        for g in self._gates:
            new = g._copy()
            if isinstance(new, ParameterGate):
                new.params = [p.subs(values) for p in new.params]
            out.append(new)
        return out

    # ---------------------------------------------------------- transforms
    def dagger(self) -> Circuit:
        """The inverse circuit: reversed order, each gate daggered.

        Raises:
            ValueError: the circuit holds a measurement.
        """
        out = Circuit()
        for g in reversed(self._gates):
            if isinstance(g, BarrierGate):
                out.append(g._copy())
            elif isinstance(g, MeasureGate | NoiseChannel):
                raise ValueError(f"Cannot take the dagger of a circuit with non-unitary {g}")
            else:
                out.append(g.hermitian())
        return out

    hermitian = dagger

    def remove_barrier(self) -> Circuit:
        """New circuit without barriers."""
        return Circuit(g for g in self._gates if not isinstance(g, BarrierGate))

    def remove_noise(self) -> Circuit:
        """New circuit without noise channels."""
        return Circuit(g for g in self._gates if not isinstance(g, NoiseChannel))

    def remove_measure(self) -> Circuit:
        """New circuit without measurements."""
        return Circuit(g for g in self._gates if not isinstance(g, MeasureGate))

    def matrix(
        self, pr: Any = None, n_qubits: int | None = None, method: str = "tensor"
    ) -> np.ndarray:
        """Dense unitary ``(2**n, 2**n)`` complex128 (n <= 12), qubit 0 least significant.

        Args:
            pr: parameter values.
            n_qubits: register width (default ``self.n_qubits``).
            method: ``"tensor"`` applies each gate to the columns by tensor
                reshaping (fast); ``"kron"`` multiplies the Kronecker-built full
                matrix of each gate (n <= 10; an independent reference).
        """
        if method == "tensor":
            return circuit_matrix(self, pr, n_qubits)
        if method != "kron":
            raise ValueError(f"method must be 'tensor' or 'kron', got {method!r}")
        n = self.n_qubits if n_qubits is None else int(n_qubits)
        if n > 10:
            raise ValueError(f"kron-built circuit matrix limited to 10 qubits, asked for {n}")
        out = np.eye(2**n, dtype=np.complex128)
        for g in self._gates:
            if isinstance(g, BarrierGate):
                continue
            if not hasattr(g, "matrix"):
                raise ValueError(f"Circuit with non-unitary element {g} has no matrix")
            out = gate_unitary(g, n, pr) @ out
        return out

    def get_qs(
        self,
        backend: str = "mqvector",
        pr: Any = None,
        ket: bool = False,
        seed: int | None = None,
        dtype: Any = None,
    ) -> np.ndarray | str:
        """Final state of the circuit from |0...0> (MindQuantum's ``circ.get_qs``).

        Computed with the dense reference path (tensor application of each gate
        matrix, ``O(2**n)`` memory); ``backend`` and ``seed`` are accepted for
        MindQuantum compatibility. Use ``quantum.Simulator`` for speed.

        Args:
            pr: parameter values.
            ket: return a ket string (one line per non-zero amplitude) instead.
            dtype: numpy complex dtype of the result (default complex128).

        Raises:
            ValueError: the circuit holds a measurement or a noise channel.
        """
        from .matrix import apply_gate_dense

        n = max(self.n_qubits, 1)
        psi = np.zeros(2**n, dtype=np.complex128)
        psi[0] = 1.0
        for g in self._gates:
            if isinstance(g, BarrierGate):
                continue
            if not hasattr(g, "matrix"):
                raise ValueError(f"get_qs: circuit holds non-unitary {g}; use a Simulator")
            apply_gate_dense(psi, g, n, pr)
        if dtype is not None:
            psi = psi.astype(dtype)
        if not ket:
            return psi
        lines = []
        for i in np.flatnonzero(np.abs(psi) > 1e-8):
            a = psi[i]
            if abs(a.imag) < 1e-8:
                amp = f"{a.real:.8g}"
            elif abs(a.real) < 1e-8:
                amp = f"{a.imag:.8g}j"
            else:
                amp = f"({a.real:.8g}{a.imag:+.8g}j)"
            lines.append(f"{amp}¦{i:0{n}b}⟩")
        return "\n".join(lines)

    # ------------------------------------------------------------- display
    def summary(self, show: bool = True) -> str:
        """Text summary: gate count, parameters by kind, gates by name.

        Args:
            show: print it as well.
        """
        counts = Counter(g.name for g in self._gates)
        lines = [
            "Circuit summary",
            f"  total gates : {len(self)}",
            f"  qubits      : {self.n_qubits}",
            f"  depth       : {self.depth()}",
            f"  parameters  : {len(self.params_name)}",
            f"  encoder     : {', '.join(self.encoder_params_name) or '-'}",
            f"  ansatz      : {', '.join(self.ansatz_params_name) or '-'}",
            "  gates       : " + ", ".join(f"{k} x{v}" for k, v in counts.most_common()),
        ]
        text = "\n".join(lines)
        if show:
            print(text)
        return text

    def draw(self, unicode: bool = True) -> str:
        """Text drawing, one wire per qubit (``unicode=False`` for plain ASCII)."""
        from .draw import draw_circuit

        return draw_circuit(self, unicode=unicode)

    def __str__(self) -> str:
        return self.draw()

    def __repr__(self) -> str:
        return self.draw()

    def to_qasm(self, pr: Any = None, precision: int = 17) -> str:
        """OpenQASM 2.0 text of this circuit (see :mod:`quantum.io.qasm`)."""
        from ..io.qasm import OpenQASM

        return OpenQASM().to_string(self, pr=pr, precision=precision)

    to_openqasm = to_qasm

    @staticmethod
    def from_qasm(text: str) -> Circuit:
        """Circuit from OpenQASM 2.0 text."""
        from ..io.qasm import OpenQASM

        return OpenQASM().from_string(text)

    from_openqasm = from_qasm

    # ------------------------------------------------------------ builders
    def _add(self, gate: BasicGate, obj: Any, ctrl: Any = None) -> Circuit:
        return self.append(gate.on(obj, ctrl))

    def h(self, obj: Any, ctrl: Any = None) -> Circuit:
        """Append H."""
        return self._add(G.H, obj, ctrl)

    def x(self, obj: Any, ctrl: Any = None) -> Circuit:
        """Append X (CNOT when ``ctrl`` is given)."""
        return self._add(G.X, obj, ctrl)

    def y(self, obj: Any, ctrl: Any = None) -> Circuit:
        """Append Y."""
        return self._add(G.Y, obj, ctrl)

    def z(self, obj: Any, ctrl: Any = None) -> Circuit:
        """Append Z."""
        return self._add(G.Z, obj, ctrl)

    def s(self, obj: Any, ctrl: Any = None, hermitian: bool = False) -> Circuit:
        """Append S (S† with ``hermitian=True``)."""
        return self._add(G.Sdag if hermitian else G.S, obj, ctrl)

    def t(self, obj: Any, ctrl: Any = None, hermitian: bool = False) -> Circuit:
        """Append T (T† with ``hermitian=True``)."""
        return self._add(G.Tdag if hermitian else G.T, obj, ctrl)

    def sx(self, obj: Any, ctrl: Any = None, hermitian: bool = False) -> Circuit:
        """Append SX (SX† with ``hermitian=True``)."""
        return self._add(G.SXdag if hermitian else G.SX, obj, ctrl)

    def swap(self, obj: Any, ctrl: Any = None) -> Circuit:
        """Append SWAP on two qubits."""
        return self._add(G.SWAP, obj, ctrl)

    def iswap(self, obj: Any, ctrl: Any = None) -> Circuit:
        """Append ISWAP on two qubits."""
        return self._add(G.ISWAP, obj, ctrl)

    def rx(self, pr: Any, obj: Any, ctrl: Any = None) -> Circuit:
        """Append RX(pr)."""
        return self._add(G.RX(pr), obj, ctrl)

    def ry(self, pr: Any, obj: Any, ctrl: Any = None) -> Circuit:
        """Append RY(pr)."""
        return self._add(G.RY(pr), obj, ctrl)

    def rz(self, pr: Any, obj: Any, ctrl: Any = None) -> Circuit:
        """Append RZ(pr)."""
        return self._add(G.RZ(pr), obj, ctrl)

    def rxx(self, pr: Any, obj: Any, ctrl: Any = None) -> Circuit:
        """Append Rxx(pr)."""
        return self._add(G.Rxx(pr), obj, ctrl)

    def ryy(self, pr: Any, obj: Any, ctrl: Any = None) -> Circuit:
        """Append Ryy(pr)."""
        return self._add(G.Ryy(pr), obj, ctrl)

    def rzz(self, pr: Any, obj: Any, ctrl: Any = None) -> Circuit:
        """Append Rzz(pr)."""
        return self._add(G.Rzz(pr), obj, ctrl)

    def rxy(self, pr: Any, obj: Any, ctrl: Any = None) -> Circuit:
        """Append Rxy(pr)."""
        return self._add(G.Rxy(pr), obj, ctrl)

    def rxz(self, pr: Any, obj: Any, ctrl: Any = None) -> Circuit:
        """Append Rxz(pr)."""
        return self._add(G.Rxz(pr), obj, ctrl)

    def ryz(self, pr: Any, obj: Any, ctrl: Any = None) -> Circuit:
        """Append Ryz(pr)."""
        return self._add(G.Ryz(pr), obj, ctrl)

    def phase_shift(self, pr: Any, obj: Any, ctrl: Any = None) -> Circuit:
        """Append PhaseShift(pr)."""
        return self._add(G.PhaseShift(pr), obj, ctrl)

    def global_phase(self, pr: Any, obj: Any, ctrl: Any = None) -> Circuit:
        """Append GlobalPhase(pr)."""
        return self._add(G.GlobalPhase(pr), obj, ctrl)

    def u3(self, theta: Any, phi: Any, lamda: Any, obj: Any, ctrl: Any = None) -> Circuit:
        """Append U3(theta, phi, lamda)."""
        return self._add(G.U3(theta, phi, lamda), obj, ctrl)

    def fsim(self, theta: Any, phi: Any, obj: Any, ctrl: Any = None) -> Circuit:
        """Append FSim(theta, phi)."""
        return self._add(G.FSim(theta, phi), obj, ctrl)

    def givens(self, pr: Any, obj: Any, ctrl: Any = None) -> Circuit:
        """Append Givens(pr)."""
        return self._add(G.Givens(pr), obj, ctrl)

    def swap_alpha(self, pr: Any, obj: Any, ctrl: Any = None) -> Circuit:
        """Append SWAPalpha(pr)."""
        return self._add(G.SWAPalpha(pr), obj, ctrl)

    def barrier(self, obj: Any = None) -> Circuit:
        """Append a barrier on ``obj`` (default: every qubit used so far)."""
        if obj is None:
            obj = list(range(self.n_qubits))
            if not obj:
                return self
        return self.append(G.BARRIER.on(obj))

    def measure(self, key_or_qubit: str | int, obj: int | None = None) -> Circuit:
        """Append a measurement: ``measure(q)`` (key ``"q{q}"``) or ``measure(key, q)``."""
        if obj is None:
            if not isinstance(key_or_qubit, int | np.integer):
                raise TypeError("measure(q) needs a qubit index, or measure(key, q)")
            return self.append(G.Measure().on(int(key_or_qubit)))
        return self.append(G.Measure(str(key_or_qubit)).on(obj))

    def measure_all(self) -> Circuit:
        """Measure every qubit (keys ``q0, q1, ...``)."""
        for q in range(self.n_qubits):
            self.measure(q)
        return self

    def un(self, gate: BasicGate, maps_obj: Any, maps_ctrl: Any = None) -> Circuit:
        """Append ``UN(gate, maps_obj, maps_ctrl)``."""
        from .builders import UN

        return self.extend(UN(gate, maps_obj, maps_ctrl))
