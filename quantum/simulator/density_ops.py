"""Circuits compiled for the density-matrix backend: unitary ops and channel ops.

A :class:`DensityProgram` is the list of items a density matrix runs through:
unitary gates as :class:`~quantum.simulator.ops.Op` (the state-vector compiler's
ops, reused: the same qubit checks, slot table and parameter forms) and noise
channels as :class:`ChannelOp`. With ``rho`` flattened row-major (see
:mod:`quantum.kernels.density_kernels`), a gate ``U`` on targets ``t`` is

* one pass of ``U (x) conj(U)`` on bits ``[t, t + n]`` for a one-qubit gate
  without controls, or of ``d (x) conj(d)`` for a diagonal gate without controls;
* otherwise ``U`` on the row bits ``t + n`` then ``conj(U)`` on the column bits
  ``t`` (each with its controls).

Channels: ``DepolarizingChannel`` on any number of qubits runs the dedicated
:func:`~quantum.kernels.density_kernels.depolarize` kernel (MindQuantum 0.12
hangs here); every other channel on up to :data:`SUPEROP_MAX_QUBITS` qubits
(bit/phase flips, Pauli, amplitude and phase damping, small Kraus channels) is
one pass of its superoperator ``sum_i K_i (x) conj(K_i)``; wider Kraus channels
are summed term by term. The adjoint channel (Heisenberg picture, for
gradients) ``O -> sum_i K_i^dagger O K_i`` is the conjugate-transposed
superoperator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import get_num_threads as _nth

from ..kernels import density_kernels as dk
from .ops import DIAG, Op, SlotTable, compile_gate, is_barrier, is_measure, is_noise

#: channels on at most this many qubits run as one superoperator pass
SUPEROP_MAX_QUBITS = 3


def _i64(a) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.int64).reshape(-1))


def _c128(a) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.complex128))


@dataclass
class ChannelOp:
    """A noise channel placed on ``targets`` of an ``n``-qubit density matrix."""

    name: str
    targets: list[int]
    n_qubits: int
    kind: str  # "depol" | "super" | "kraus"
    p: float = 0.0
    sup: np.ndarray | None = None
    kraus: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self):
        t = np.asarray(self.targets, dtype=np.int64)
        self.tq_col = _i64(t)
        self.tq_row = _i64(t + self.n_qubits)
        self.tq = _i64(np.concatenate([t, t + self.n_qubits]))
        self.spos = _i64(np.sort(self.tq))
        if self.sup is not None:
            self.sup_adj = _c128(self.sup.conj().T)

    @classmethod
    def from_channel(cls, ch, n_qubits: int, index: int | None = None) -> ChannelOp:
        """Compile a :class:`~quantum.gates.NoiseChannel` (checks its qubits)."""
        obj = [int(q) for q in ch.obj_qubits]
        where = f" (gate {index} of the circuit)" if index is not None else ""
        name = getattr(ch, "name", type(ch).__name__)
        if not obj:
            raise ValueError(f"Channel {name}{where} has no target qubit; call .on(qubits).")
        for q in obj:
            if q < 0 or q >= n_qubits:
                raise ValueError(f"Channel {name}{where} acts on qubit {q}, but the simulator "
                                 f"has {n_qubits} qubits (valid: 0..{n_qubits - 1}).")
        if len(set(obj)) != len(obj):
            raise ValueError(f"Channel {name}{where} repeats a target qubit: {obj}.")
        if type(ch).__name__ == "DepolarizingChannel":
            return cls(name, obj, n_qubits, "depol", p=float(ch.p))
        ks = [_c128(k) for k in ch.kraus_operators()]
        if len(obj) <= SUPEROP_MAX_QUBITS:
            sup = _c128(sum(np.kron(k, k.conj()) for k in ks))
            return cls(name, obj, n_qubits, "super", sup=sup)
        return cls(name, obj, n_qubits, "kraus", kraus=ks)

    def apply(self, v: np.ndarray, adjoint: bool = False) -> np.ndarray:
        """Apply the channel (``adjoint``: its Heisenberg adjoint) to flattened ``v``.

        Returns the result: ``v`` itself (changed in place) except for the
        term-by-term Kraus path, which returns a new array.
        """
        if self.kind == "depol":
            dk.depolarize(v, self.tq_col, self.tq_row, self.spos, self.p, _nth())
            return v
        if self.kind == "super":
            sup = self.sup_adj if adjoint else self.sup
            dk.apply_dense(v, self.tq, self.spos, 0, sup, _nth())
            return v
        out = np.zeros_like(v)
        srow, scol = _i64(np.sort(self.tq_row)), _i64(np.sort(self.tq_col))
        for k in self.kraus:
            m = k.conj().T if adjoint else k
            w = v.copy()
            dk.apply_dense(w, self.tq_row, srow, 0, _c128(m), _nth())
            dk.apply_dense(w, self.tq_col, scol, 0, _c128(m.conj()), _nth())
            out += w
        return out


class GateOnRho:
    """Row/column placement of one unitary :class:`Op` on an ``n``-qubit density matrix."""

    __slots__ = ("op", "n", "diag", "k", "ctrl", "tq_row", "tq_col", "tq_both", "sp_row",
                 "sp_col", "sp_both", "cm_row", "cm_col", "single_pass")

    def __init__(self, op: Op, n_qubits: int):
        self.op = op
        self.n = n = n_qubits
        t = np.asarray(op.targets, dtype=np.int64)
        c = np.asarray(op.ctrls, dtype=np.int64)
        self.diag = op.kind == DIAG
        self.k = t.shape[0]
        self.ctrl = bool(len(op.ctrls))
        self.tq_row, self.tq_col = _i64(t + n), _i64(t)
        self.tq_both = _i64(np.concatenate([t, t + n]))
        self.sp_row = _i64(np.sort(np.concatenate([t, c]) + n))
        self.sp_col = _i64(np.sort(np.concatenate([t, c])))
        self.sp_both = _i64(np.sort(self.tq_both))
        self.cm_col = int(op.cmask)
        self.cm_row = int(op.cmask) << n
        self.single_pass = not self.ctrl and (self.diag or self.k == 1)

    def fixed_matrix(self) -> np.ndarray:
        """The op's matrix (``DIAG``: its diagonal) when it is not parameterized."""
        if self.diag:
            return _c128(self.op.mat)
        return _c128(self.op.full_matrix())

    def apply(self, v: np.ndarray, mat: np.ndarray, adjoint: bool = False) -> None:
        """``rho <- U rho U^dagger`` (``adjoint``: ``U^dagger rho U``) with ``U`` from ``mat``."""
        if self.diag:
            d = np.conj(mat) if adjoint else mat
            if self.single_pass:
                dk.apply_diag(v, self.tq_both, 0, _c128(np.kron(d, np.conj(d))), _nth())
            else:
                dk.apply_diag(v, self.tq_row, self.cm_row, _c128(d), _nth())
                dk.apply_diag(v, self.tq_col, self.cm_col, _c128(np.conj(d)), _nth())
            return
        u = mat.conj().T if adjoint else mat
        if self.single_pass:
            dk.apply_dense(v, self.tq_both, self.sp_both, 0, _c128(np.kron(u, u.conj())),
                           _nth())
            return
        dk.apply_dense(v, self.tq_row, self.sp_row, self.cm_row, _c128(u), _nth())
        dk.apply_dense(v, self.tq_col, self.sp_col, self.cm_col, _c128(u.conj()), _nth())

    def trace_rows(self, o: np.ndarray, v: np.ndarray, m: np.ndarray) -> complex:
        """``Tr(O^dagger P_c M_rows rho)``: ``M`` (dense local matrix) on the row bits."""
        return complex(dk.trace_dense(o, v, self.tq_row, self.sp_row, self.cm_row, _c128(m),
                                      _nth()))


@dataclass
class DensityProgram:
    """Items of a circuit for the density backend, with the slot table of its angles.

    ``items[i]`` is a :class:`GateOnRho` or a :class:`ChannelOp`; ``mats[i]`` the fixed
    matrix of a fixed gate (``None`` for parameterized gates and channels).
    """

    n_qubits: int
    items: list
    mats: list
    slots: SlotTable

    @classmethod
    def build(cls, circ, n_qubits: int, names: list[str] | None = None, pr=None
              ) -> DensityProgram:
        """Compile ``circ``: parameterized gates bound to ``pr`` when given, else symbolic.

        Raises:
            ValueError: a measure gate (use ``sampling``), bad qubits, a missing parameter.
        """
        slots = SlotTable(list(names or []))
        items, mats = [], []
        for i, g in enumerate(circ):
            if is_barrier(g):
                continue
            if is_measure(g):
                raise ValueError(f"Gate {i} of the circuit is a measurement "
                                 f"({getattr(g, 'name', 'Measure')}); use sampling().")
            if is_noise(g):
                items.append(ChannelOp.from_channel(g, n_qubits, i))
                mats.append(None)
                continue
            if getattr(g, "parameterized", False) and pr is None:
                op = compile_gate(g, n_qubits, slots=slots, index=i)
            else:
                op = compile_gate(g, n_qubits, pr=pr, index=i)
            item = GateOnRho(op, n_qubits)
            items.append(item)
            mats.append(None if op.param is not None else item.fixed_matrix())
        return cls(n_qubits, items, mats, slots)

    @property
    def const_coeff(self) -> tuple[np.ndarray, np.ndarray]:
        """``(const[n_slots], coeff[n_slots, n_names])`` of the slot table."""
        return self.slots.matrix()

    def matrices(self, theta: np.ndarray | None) -> list[np.ndarray | None]:
        """Matrix of every gate at slot angles ``theta`` (``None`` for channels)."""
        out = []
        for item, m in zip(self.items, self.mats, strict=True):
            if isinstance(item, GateOnRho) and item.op.param is not None:
                m = _c128(item.op.param.matrix(theta))
            out.append(m)
        return out

    def run(self, v: np.ndarray, mats: list, start: int = 0, stop: int | None = None
            ) -> np.ndarray:
        """Run items ``start:stop`` on flattened ``v``; returns the (possibly new) array."""
        stop = len(self.items) if stop is None else stop
        for i in range(start, stop):
            item = self.items[i]
            if isinstance(item, ChannelOp):
                v = item.apply(v)
            else:
                item.apply(v, mats[i])
        return v
