"""Circuit generators for chemistry: Trotterised time evolution, UCCSD, hardware-efficient.

- :class:`TimeEvolution` builds ``exp(-i H t)`` for a Hermitian QubitOperator as a
  product of Pauli-string rotations ``exp(-i c t P)`` (first-order Trotter,
  ``n_steps`` slices). Each rotation is a basis change (``H`` for X,
  ``RX(pi/2)`` for Y), a CNOT ladder onto the last qubit, ``RZ(2 c t)``, and the
  ladder and basis change undone (MindQuantum's construction, so circuits and
  gate counts match). Coefficients may be parameters (UCC amplitudes).
- :func:`uccsd_singlet_generator` is the spin-adapted UCCSD generator
  ``T - T^dagger`` of OpenFermion/MindQuantum (parameters ``s_k``, ``d1_k``, ``d2_k``).
- :class:`UCCSD` combines the Hartree-Fock reference, the Jordan-Wigner image of
  the generator and :class:`TimeEvolution` into ``U(theta) = exp(G(theta))|HF>``
  with amplitudes ``theta`` in the coupled-cluster sign convention, and can
  start from MP2 or CCSD amplitudes (PySCF's, stored with the molecule).
- :class:`HardwareEfficientAnsatz`: layers of single-qubit rotations and entanglers.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import gates
from ..circuit import Circuit
from ..operators import QubitOperator
from ..parameterresolver import ParameterResolver
from .fermion_operator import FermionOperator, normal_ordered
from .transforms import jordan_wigner

__all__ = ["TimeEvolution", "uccsd_singlet_generator", "UCCSD", "HardwareEfficientAnsatz",
           "get_reference_circuit", "uccsd_amplitudes_from_cc"]


def _pauli_rotation(circ: Circuit, term, angle: Any) -> None:
    """Append ``exp(-i angle/2 P)`` for the Pauli string ``term``."""
    qubits = [q for q, _ in term]
    for q, p in term:
        if p == "X":
            circ += gates.H.on(q)
        elif p == "Y":
            circ += gates.RX(np.pi / 2).on(q)
    for a, b in itertools.pairwise(qubits):
        circ += gates.X.on(b, a)
    circ += gates.RZ(angle).on(qubits[-1])
    for a, b in reversed(list(itertools.pairwise(qubits))):
        circ += gates.X.on(b, a)
    for q, p in term:
        if p == "X":
            circ += gates.H.on(q)
        elif p == "Y":
            circ += gates.RX(-np.pi / 2).on(q)


class TimeEvolution:
    """Trotterised ``exp(-i H t)`` of a Hermitian QubitOperator.

    Args:
        ops: Hermitian QubitOperator (real coefficients, numbers or parameters).
        time: evolution time (a number, or a parameter name when the coefficients
            are numbers).
        n_steps: Trotter slices (first order: ``(prod_j exp(-i c_j t P_j / n))^n``).

    Raises:
        ValueError: a complex coefficient (names the term), or parameters in both the
            coefficients and the time.

    Example:
        >>> circ = TimeEvolution(QubitOperator("X0 X1", 0.5), 0.3).circuit
    """

    def __init__(self, ops: QubitOperator, time: Any = 1.0, n_steps: int = 1) -> None:
        if not isinstance(ops, QubitOperator):
            raise TypeError(f"TimeEvolution needs a QubitOperator, got {type(ops).__name__}")
        if int(n_steps) < 1:
            raise ValueError(f"n_steps must be >= 1, got {n_steps}")
        for term, c in ops.terms.items():
            imag = c.imag if isinstance(c, ParameterResolver) else complex(c).imag
            bad = (any(abs(v) > 1e-12 for v in imag.values()) or abs(imag.const) > 1e-12
                   ) if isinstance(imag, ParameterResolver) else abs(imag) > 1e-12
            if bad:
                label = " ".join(f"{p}{q}" for q, p in term) or "I"
                raise ValueError(f"TimeEvolution needs a Hermitian operator: term [{label}] "
                                 f"has the complex coefficient {c}")
        if isinstance(time, str) and ops.parameterized:
            raise ValueError("TimeEvolution: parameters both in the coefficients and in time")
        self.ops = ops
        self.time = time
        self.n_steps = int(n_steps)

    @property
    def circuit(self) -> Circuit:
        """The Trotter circuit."""
        circ = Circuit()
        n = self.n_steps
        for _ in range(n):
            for term, c in self.ops.terms.items():
                c = c.real if isinstance(c, ParameterResolver) else complex(c).real
                if isinstance(self.time, str):
                    angle: Any = ParameterResolver({self.time: 2.0 * c / n})
                else:
                    angle = c * (2.0 * float(self.time) / n)
                if not term:  # identity: global phase e^{-i c t}
                    if isinstance(angle, ParameterResolver) or angle != 0:
                        circ += gates.GlobalPhase(angle * 0.5).on(0)
                    continue
                _pauli_rotation(circ, term, angle)
        return circ


def get_reference_circuit(n_electrons: int) -> Circuit:
    """Hartree-Fock state: X on qubits ``0 .. n_electrons - 1`` (interleaved spin orbitals)."""
    circ = Circuit()
    for q in range(int(n_electrons)):
        circ += gates.X.on(q)
    return circ


def uccsd_singlet_generator(n_qubits: int, n_electrons: int,
                            anti_hermitian: bool = True) -> FermionOperator:
    """Spin-adapted UCCSD generator with parameters ``s_k``, ``d1_k``, ``d2_k``.

    Orbitals are interleaved (``2p`` alpha, ``2p + 1`` beta), the lowest
    ``ceil(n_electrons / 2)`` spatial orbitals occupied. For each spatial
    (virtual, occupied) pair ``k``: singles ``s_k`` (both spins) and the paired double
    ``d1_k``; for each unordered pair of such pairs: ``d2_k`` (all spin combinations),
    as in OpenFermion's ``uccsd_singlet_generator``.

    Raises:
        ValueError: odd ``n_qubits`` or more electrons than spin orbitals.
    """
    if n_qubits % 2 or n_electrons > n_qubits or n_electrons < 0:
        raise ValueError(f"uccsd_singlet_generator: need an even n_qubits >= n_electrons, "
                         f"got n_qubits={n_qubits}, n_electrons={n_electrons}")
    n_spatial = n_qubits // 2
    n_occ = int(np.ceil(n_electrons / 2))
    n_virt = n_spatial - n_occ
    gen = FermionOperator()

    def add(term, coeff):
        nonlocal gen
        gen += FermionOperator(term, coeff)
        if anti_hermitian:
            gen += FermionOperator(term, coeff).hermitian() * -1.0

    pairs = list(itertools.product(range(n_virt), range(n_occ)))
    for k, (p, q) in enumerate(pairs):
        v, o = n_occ + p, q
        s, d = ParameterResolver(f"s_{k}"), ParameterResolver(f"d1_{k}")
        for spin in range(2):
            this, other = spin, 1 - spin
            add(((2 * v + this, 1), (2 * o + this, 0)), s)
            add(((2 * v + this, 1), (2 * o + this, 0), (2 * v + other, 1), (2 * o + other, 0)),
                d)
    for k, ((p, q), (r, s_)) in enumerate(itertools.combinations(pairs, 2)):
        v1, o1, v2, o2 = n_occ + p, q, n_occ + r, s_
        d = ParameterResolver(f"d2_{k}")
        for sa, sb in itertools.product(range(2), repeat=2):
            a1, i1, a2, i2 = 2 * v1 + sa, 2 * o1 + sa, 2 * v2 + sb, 2 * o2 + sb
            if a1 == a2 or i1 == i2:
                continue
            add(((a1, 1), (i1, 0), (a2, 1), (i2, 0)), d)
    return gen


def _cc_operator(t1: np.ndarray | None, t2: np.ndarray, n_qubits: int) -> FermionOperator:
    """Spin-orbital ``T = sum t_ia a^+_a a_i + 1/4 sum t_ijab a^+_a a^+_b a_j a_i`` from
    PySCF closed-shell amplitudes ``t1 (n_occ, n_vir)``, ``t2 (n_occ, n_occ, n_vir, n_vir)``."""
    n_occ, n_vir = t2.shape[0], t2.shape[2]
    op = FermionOperator()
    if t1 is not None:
        for i, a in itertools.product(range(n_occ), range(n_vir)):
            for s in range(2):
                if t1[i, a]:
                    op += FermionOperator(((2 * (a + n_occ) + s, 1), (2 * i + s, 0)), t1[i, a])
    for i, j, a, b in itertools.product(range(n_occ), range(n_occ), range(n_vir), range(n_vir)):
        for si, sj, sa, sb in itertools.product(range(2), repeat=4):
            t = 0.0
            if si == sa and sj == sb:
                t += t2[i, j, a, b]
            if sj == sa and si == sb:
                t -= t2[j, i, a, b]
            if t == 0.0:
                continue
            term = ((2 * (a + n_occ) + sa, 1), (2 * (b + n_occ) + sb, 1), (2 * j + sj, 0),
                    (2 * i + si, 0))
            op += FermionOperator(term, 0.25 * t)
    return op


def uccsd_amplitudes_from_cc(generator: FermionOperator, t1: np.ndarray | None,
                             t2: np.ndarray) -> dict[str, float]:
    """Packed UCCSD amplitudes closest (least squares on the normal-ordered coefficients)
    to the anti-Hermitian part ``T - T^dagger`` of coupled-cluster amplitudes.

    Args:
        generator: the parameterized generator (e.g. :func:`uccsd_singlet_generator`).
        t1: ``(n_occ, n_vir)`` or None (MP2); t2: ``(n_occ, n_occ, n_vir, n_vir)``.

    Returns:
        ``{parameter name: amplitude}``.
    """
    names: list[str] = []
    for c in generator.terms.values():
        for k in getattr(c, "keys", lambda: [])():
            if k not in names:
                names.append(k)
    t = _cc_operator(t1, t2, generator.n_modes)
    target = normal_ordered(t - t.hermitian()).compress(1e-14)
    cols = []
    keys: dict[tuple, int] = {k: i for i, k in enumerate(target.terms)}
    for name in names:
        part = FermionOperator.from_terms(
            {k: complex(c[name]) for k, c in generator.terms.items()
             if isinstance(c, ParameterResolver) and name in c})
        col = {}
        for k, v in normal_ordered(part).compress(1e-14).terms.items():
            if k not in keys:
                keys[k] = len(keys)
            col[keys[k]] = v
        cols.append(col)
    a = np.zeros((len(keys), len(names)), dtype=complex)
    for j, col in enumerate(cols):
        for i, v in col.items():
            a[i, j] = v
    b = np.zeros(len(keys), dtype=complex)
    for k, v in target.terms.items():
        b[keys[k]] = v
    x = np.linalg.lstsq(a, b, rcond=None)[0]
    return {n: float(v.real) for n, v in zip(names, x, strict=True)}


class UCCSD:
    """Unitary coupled cluster singles and doubles on a Hartree-Fock reference.

    ``U(theta)|HF> = exp(G(theta)) |HF>`` with ``G`` from :func:`uccsd_singlet_generator`
    mapped by Jordan-Wigner and Trotterised by :class:`TimeEvolution` (exact for
    ``theta = 0``; one step reproduces MindQuantum's UCCSD circuits).

    Args:
        molecule: a :class:`MolecularData` (gives qubits, electrons and stored amplitudes),
            or None with ``n_qubits`` and ``n_electrons`` given.
        init: ``"zeros"``, ``"mp2"`` or ``"ccsd"``: the :attr:`initial_point`.
        trotter_steps: Trotter slices.

    Attributes:
        circuit: HF reference + ansatz (all parameters ansatz parameters).
        generator: the FermionOperator ``G(theta)``.
        params_name: circuit parameter names; initial_point: ``(n_params,)`` array.

    Raises:
        ValueError: ``init`` unknown, or amplitudes asked for but not stored.
    """

    def __init__(self, molecule: Any = None, n_qubits: int | None = None,
                 n_electrons: int | None = None, init: str = "zeros",
                 trotter_steps: int = 1) -> None:
        if molecule is not None:
            n_qubits, n_electrons = molecule.n_qubits, molecule.n_electrons
        if n_qubits is None or n_electrons is None:
            raise ValueError("UCCSD needs a molecule or both n_qubits and n_electrons")
        self.n_qubits, self.n_electrons = int(n_qubits), int(n_electrons)
        self.generator = uccsd_singlet_generator(self.n_qubits, self.n_electrons)
        qgen = jordan_wigner(self.generator, self.n_qubits)
        # JW(G) = i * sum_k theta_k Q_k with Hermitian Q_k; exp(G) = exp(-i H_eff), H_eff =
        # -imag(JW(G)).
        h_eff = QubitOperator.from_terms({k: -v.imag for k, v in qgen.terms.items()})
        self.ansatz_circuit = TimeEvolution(h_eff, 1.0, trotter_steps).circuit
        self.circuit = get_reference_circuit(self.n_electrons) + self.ansatz_circuit
        self.params_name = self.circuit.params_name
        self.initial_point = np.zeros(len(self.params_name))
        if init == "zeros":
            return
        if init not in ("mp2", "ccsd"):
            raise ValueError(f"UCCSD init must be 'zeros', 'mp2' or 'ccsd', got {init!r}")
        t1 = None if init == "mp2" else getattr(molecule, "ccsd_t1", None)
        t2 = getattr(molecule, f"{init}_t2", None) if molecule is not None else None
        if t2 is None or (init == "ccsd" and t1 is None) or getattr(molecule, "n_core", 0):
            raise ValueError(f"UCCSD(init={init!r}): the molecule carries no {init.upper()} "
                             "amplitudes for these orbitals (load_molecule or from_pyscf "
                             "without an active space provide them)")
        amps = uccsd_amplitudes_from_cc(self.generator, t1, np.asarray(t2))
        self.initial_point = np.array([amps.get(n, 0.0) for n in self.params_name])


class HardwareEfficientAnsatz:
    """Layers of single-qubit rotations and entanglers (MindQuantum's layout).

    ``depth + 1`` rotation layers (each qubit gets every gate of
    ``single_rot_gate_seq``), with an entangling layer between consecutive ones.

    Args:
        n_qubits: register width.
        single_rot_gate_seq: rotation classes, e.g. ``[gates.RY, gates.RZ]``.
        entangle_gate: ``gates.X`` (CNOT), ``gates.Z`` (CZ) or another fixed gate
            applied as ``gate.on(target, control)``.
        entangle_mapping: ``"linear"``, ``"all"`` or a list of ``(control, target)``.
        depth: number of entangling layers.
        prefix: prepended to parameter names ``d{layer}_n{qubit}_{k}``.
    """

    def __init__(self, n_qubits: int, single_rot_gate_seq: Sequence[Any] = (gates.RY,),
                 entangle_gate: Any = gates.X, entangle_mapping: Any = "linear",
                 depth: int = 1, prefix: str = "") -> None:
        if n_qubits < 1 or depth < 0:
            raise ValueError(f"HardwareEfficientAnsatz: n_qubits={n_qubits}, depth={depth}")
        if entangle_mapping == "linear":
            pairs = [(i, i + 1) for i in range(n_qubits - 1)]
        elif entangle_mapping == "all":
            pairs = list(itertools.combinations(range(n_qubits), 2))
        else:
            pairs = [tuple(p) for p in entangle_mapping]
            for c, t in pairs:
                if not (0 <= c < n_qubits and 0 <= t < n_qubits) or c == t:
                    raise ValueError(f"entangle_mapping pair ({c}, {t}) is not valid on "
                                     f"{n_qubits} qubits")
        circ = Circuit()
        for layer in range(depth + 1):
            if layer:
                for c, t in pairs:
                    circ += entangle_gate.on(t, c)
            for q in range(n_qubits):
                for k, g in enumerate(single_rot_gate_seq):
                    circ += g(f"{prefix}d{layer}_n{q}_{k}").on(q)
        self.circuit = circ
        self.n_qubits = n_qubits
