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
are summed term by term. Consecutive channels on the same one or two qubits are
fused into one superoperator (one pass, one gradient checkpoint). The adjoint
channel (Heisenberg picture, for gradients) ``O -> sum_i K_i^dagger O K_i`` is the
conjugate-transposed superoperator.
"""

from __future__ import annotations

from collections import OrderedDict
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


def kron(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.kron`` of two square matrices or two vectors, without its generic overhead."""
    if a.ndim == 1:
        return (a[:, None] * b[None, :]).reshape(-1)
    da, db = a.shape[0], b.shape[0]
    return (a[:, None, :, None] * b[None, :, None, :]).reshape(da * db, da * db)


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
            sup = _c128(sum(kron(k, k.conj()) for k in ks))
            return cls(name, obj, n_qubits, "super", sup=sup)
        return cls(name, obj, n_qubits, "kraus", kraus=ks)

    def superop(self) -> np.ndarray | None:
        """The ``(4**k, 4**k)`` superoperator (local index ``c + 2**k r``), or ``None`` when
        wider than :data:`SUPEROP_MAX_QUBITS`."""
        if self.kind == "super":
            return self.sup
        k = len(self.targets)
        if self.kind != "depol" or k > SUPEROP_MAX_QUBITS:
            return None
        d = 1 << k
        sup = (1.0 - self.p) * np.eye(d * d, dtype=np.complex128)
        diag = np.arange(d) * (d + 1)  # flat (r, c) index of r == c
        sup[np.ix_(diag, diag)] += self.p / d
        return sup

    def fuse_after(self, prev: ChannelOp) -> ChannelOp | None:
        """One channel doing ``prev`` then ``self`` (same targets, superoperators of at most
        two qubits), or ``None``."""
        if prev.targets != self.targets or len(self.targets) > 2:
            return None
        a, b = prev.superop(), self.superop()
        if a is None or b is None:
            return None
        return ChannelOp(f"{prev.name}*{self.name}", list(self.targets), self.n_qubits,
                         "super", sup=_c128(b @ a))

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
                 "sp_col", "sp_both", "cm_row", "cm_col", "single_pass", "_fixed")

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

    def prepare(self, mat: np.ndarray) -> tuple[np.ndarray, ...]:
        """Kernel operands of ``rho -> U rho U^dagger`` for ``U`` given by ``mat``
        (``DIAG``: the diagonal): one array for a single pass, else (rows, columns)."""
        if self.diag:
            dc = np.conj(mat)
            if self.single_pass:
                return (_c128(kron(mat, dc)),)
            return _c128(mat), _c128(dc)
        if self.single_pass:
            return (_c128(kron(mat, mat.conj())),)
        return _c128(mat), _c128(mat.conj())

    def prepare_fixed(self) -> None:
        """Cache the operands of a fixed gate and of its inverse."""
        fwd = self.prepare(self.fixed_matrix())
        self._fixed = (fwd, self._adjoint(fwd))

    def _adjoint(self, prep: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        if self.diag:
            return tuple(np.conj(a) for a in prep)
        return tuple(_c128(a.conj().T) for a in prep)

    def operands(self, mat: np.ndarray | None, adjoint: bool = False) -> tuple[np.ndarray, ...]:
        """Kernel operands of ``U`` (``adjoint``: ``U^dagger``); ``mat`` ``None`` for a fixed
        gate (operands cached at build time)."""
        if mat is None:
            return self._fixed[1 if adjoint else 0]
        prep = self.prepare(mat)
        return self._adjoint(prep) if adjoint else prep

    def apply(self, v: np.ndarray, mat: np.ndarray | None, adjoint: bool = False) -> None:
        """``rho <- U rho U^dagger`` (``adjoint``: ``U^dagger rho U``); ``mat`` the matrix of a
        parameterized gate, ``None`` for a fixed gate."""
        self.run(v, self.operands(mat, adjoint))

    def run(self, v: np.ndarray, prep: tuple[np.ndarray, ...]) -> None:
        """Apply operands from :meth:`operands` to flattened ``v`` in place."""
        nth = _nth()
        if self.diag:
            if self.single_pass:
                dk.apply_diag(v, self.tq_both, 0, prep[0], nth)
            else:
                dk.apply_diag(v, self.tq_row, self.cm_row, prep[0], nth)
                dk.apply_diag(v, self.tq_col, self.cm_col, prep[1], nth)
            return
        if self.single_pass:
            dk.apply_dense(v, self.tq_both, self.sp_both, 0, prep[0], nth)
            return
        dk.apply_dense(v, self.tq_row, self.sp_row, self.cm_row, prep[0], nth)
        dk.apply_dense(v, self.tq_col, self.sp_col, self.cm_col, prep[1], nth)

    def adjoint_step(self, rho: np.ndarray, o: np.ndarray, mat: np.ndarray,
                     dmat: np.ndarray) -> complex | None:
        """Fused reverse step (uncontrolled one-qubit gate): un-apply ``U`` from ``rho`` and
        ``o`` and return ``Tr(O^dagger D rho)`` after; ``None`` when there is no fused form."""
        if not self.single_pass or self.k != 1:
            return None
        if self.diag:
            dc = np.conj(mat)
            return complex(dk.adjoint_step1_diag(
                rho, o, int(self.tq_col[0]), int(self.tq_row[0]), self.sp_both,
                _c128(kron(dc, mat)), _c128(np.diag(dmat)), _nth()))
        ud = mat.conj().T
        return complex(dk.adjoint_step1(rho, o, int(self.tq_col[0]), int(self.tq_row[0]),
                                        self.sp_both, _c128(kron(ud, ud.conj())), _c128(dmat),
                                        _nth()))

    def trace_rows(self, o: np.ndarray, v: np.ndarray, m: np.ndarray) -> complex:
        """``Tr(O^dagger P_c M_rows rho)``: ``M`` (dense local matrix) on the row bits."""
        return complex(dk.trace_dense(o, v, self.tq_row, self.sp_row, self.cm_row, _c128(m),
                                      _nth()))


#: how many compiled programs :meth:`DensityProgram.cached` keeps
CACHE_SIZE = 16
_CACHE: OrderedDict = OrderedDict()


@dataclass
class DensityProgram:
    """Items of a circuit for the density backend, with the slot table of its angles.

    ``items[i]`` is a :class:`GateOnRho` (fixed gates carry their kernel operands,
    parameterized gates their :class:`~quantum.simulator.ops.ParamForm`) or a
    :class:`ChannelOp`. Parameter values map to gate angles by ``theta = const + coeff @
    values`` with ``values`` ordered as ``slots.names``.
    """

    n_qubits: int
    items: list
    slots: SlotTable

    def __post_init__(self):
        self.const, self.coeff = self.slots.matrix()

    @classmethod
    def build(cls, circ, n_qubits: int, names: list[str] | None = None) -> DensityProgram:
        """Compile ``circ`` with parameterized gates kept symbolic; ``names`` fixes the order
        of the first parameters (others follow in order of appearance).

        Raises:
            ValueError: a measure gate (use ``sampling``), bad qubits or matrices.
        """
        slots = SlotTable(list(names or []))
        items = []
        for i, g in enumerate(circ):
            if is_barrier(g):
                continue
            if is_measure(g):
                raise ValueError(f"Gate {i} of the circuit is a measurement "
                                 f"({getattr(g, 'name', 'Measure')}); use sampling().")
            if is_noise(g):
                ch = ChannelOp.from_channel(g, n_qubits, i)
                fused = ch.fuse_after(items[-1]) if items and isinstance(items[-1],
                                                                         ChannelOp) else None
                if fused is not None:
                    items[-1] = fused
                else:
                    items.append(ch)
                continue
            if getattr(g, "parameterized", False):
                item = GateOnRho(compile_gate(g, n_qubits, slots=slots, index=i), n_qubits)
            else:
                item = GateOnRho(compile_gate(g, n_qubits, index=i), n_qubits)
                item.prepare_fixed()
            items.append(item)
        return cls(n_qubits, items, slots)

    @classmethod
    def cached(cls, circ, n_qubits: int) -> DensityProgram:
        """:meth:`build` (no fixed names) through a small LRU cache keyed on the identity of
        every gate and the angle expressions; the cache holds the gates, so ids stay unique."""
        gl = list(circ)
        key = (n_qubits, tuple(map(id, gl)), _param_key(gl))
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit[1]
        prog = cls.build(gl, n_qubits)
        _CACHE[key] = (gl, prog)
        if len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
        return prog

    def values_from(self, pr) -> np.ndarray:
        """Parameter values ordered as ``slots.names`` from a dict or ParameterResolver.

        Raises:
            ValueError: naming a parameter without a value.
        """
        if not self.slots.names:
            return np.zeros(0)
        vals = dict(pr.items()) if pr is not None and hasattr(pr, "items") else (pr or {})
        out = np.zeros(len(self.slots.names))
        for j, p in enumerate(self.slots.names):
            if p not in vals:
                raise ValueError(f"No value for parameter '{p}' of the circuit (pass pr=...).")
            out[j] = float(np.real(vals[p]))
        return out

    def theta(self, values: np.ndarray) -> np.ndarray:
        """Slot angles for parameter values ordered as ``slots.names``."""
        return self.const + self.coeff @ values

    def matrices(self, theta: np.ndarray) -> list[np.ndarray | None]:
        """Matrix of every parameterized gate at slot angles ``theta`` (``None`` elsewhere)."""
        return [_c128(it.op.param.matrix(theta))
                if isinstance(it, GateOnRho) and it.op.param is not None else None
                for it in self.items]

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

    def run_values(self, v: np.ndarray, pr) -> np.ndarray:
        """Run the whole program with parameter values ``pr`` (dict or ParameterResolver)."""
        return self.run(v, self.matrices(self.theta(self.values_from(pr))))


def _param_key(gl) -> tuple:
    out = []
    for g in gl:
        if getattr(g, "parameterized", False):
            for p in g.params:
                out.append((complex(p.const), tuple(sorted((k, complex(c)) for k, c in p.items()))))
    return tuple(out)
