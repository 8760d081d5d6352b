"""A compiled circuit: the op list a backend runs, with its parameter slots.

``Program.bound(circ, n, pr)`` binds every parameter (for ``apply_circuit``);
``Program.parametric(circ, n)`` keeps parameterized gates symbolic (for the
adjoint gradient), with ``encoder``/``ansatz`` names in MindQuantum's order.
Fixed ops between parameterized ones are fused (see :mod:`.fusion`) when
``fusion`` is on.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .fusion import fuse_ops
from .ops import Op, SlotTable, compile_gate, is_barrier, is_measure

#: default largest fused block, in qubits
FUSION_MAX_QUBITS = 3
#: how many bound programs ``bound_cached`` keeps
CACHE_SIZE = 16
_CACHE: OrderedDict = OrderedDict()


def _fuse_segments(ops: list[Op], max_qubits: int) -> list[Op]:
    out: list[Op] = []
    seg: list[Op] = []
    for op in ops:
        if op.param is None:
            seg.append(op)
            continue
        out.extend(fuse_ops(seg, max_qubits) if seg else [])
        seg = []
        out.append(op)
    out.extend(fuse_ops(seg, max_qubits) if seg else [])
    return out


class Program:
    """Ops plus the slot table mapping parameter values to gate angles."""

    def __init__(self, ops: list[Op], slots: SlotTable | None):
        self.ops = ops
        self.slots = slots
        self._blocked = None  # CPU cache-blocked plan of a bound program (set by Simulator)
        self._flat = None  # FlatProgram (False: not encodable), set by its users
        self._flat_hams = None  # (ids, FlatHams, hams) of the last Hamiltonians (gradient)
        self._fplan = None  # (n_qubits, cache-blocked forward plan), see gradient.forward
        self._splan = None  # (n_qubits, cache-blocked reverse-sweep plan)
        if slots is not None:
            self.const, self.coeff = slots.matrix()

    @classmethod
    def bound(cls, circ, n_qubits: int, pr=None, fusion: bool = True,
              max_qubits: int = FUSION_MAX_QUBITS) -> Program:
        """All gates with their parameters bound to ``pr``."""
        ops = []
        for i, g in enumerate(circ):
            if is_measure(g):
                raise ValueError(f"Gate {i} of the circuit is a measurement "
                                 f"({getattr(g, 'name', 'Measure')}); use sampling().")
            op = compile_gate(g, n_qubits, pr=pr, index=i)
            if op is not None:
                ops.append(op)
        if fusion:
            ops = fuse_ops(ops, max_qubits)
        return cls(ops, None)

    @classmethod
    def bound_cached(cls, circ, n_qubits: int, pr=None, fusion: bool = True,
                     max_qubits: int = FUSION_MAX_QUBITS) -> Program:
        """:meth:`bound` through a small LRU cache.

        The key is the identity of every gate, the angle expressions of the parameterized
        ones and the values of ``pr``; the cache holds the gates, so identities stay unique.
        """
        gl = list(circ)
        key = (n_qubits, fusion, max_qubits, tuple(map(id, gl)), _param_key(gl),
               _values_key(pr))
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit[1]
        prog = cls.bound(gl, n_qubits, pr, fusion, max_qubits)
        _CACHE[key] = (gl, prog)
        if len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
        return prog

    @classmethod
    def parametric(cls, circ, n_qubits: int, names: list[str], fusion: bool = True,
                   max_qubits: int = FUSION_MAX_QUBITS) -> Program:
        """Parameterized gates kept symbolic; ``names`` fixes the parameter order."""
        slots = SlotTable(names)
        ops = []
        for i, g in enumerate(circ):
            if is_barrier(g):
                continue
            if is_measure(g):
                raise ValueError(f"Gate {i} of the circuit is a measurement; gradients of "
                                 "circuits with measurements are not defined.")
            if getattr(g, "parameterized", False):
                ops.append(compile_gate(g, n_qubits, slots=slots, index=i))
            else:
                ops.append(compile_gate(g, n_qubits, index=i))
        if fusion:
            ops = _fuse_segments(ops, max_qubits)
        return cls(ops, slots)

    def theta(self, values: np.ndarray) -> np.ndarray:
        """Slot angles for parameter values ordered as ``slots.names``."""
        return self.const + self.coeff @ values

    def matrices(self, theta: np.ndarray) -> list[np.ndarray | None]:
        """The matrix of every op at ``theta`` (``None`` for fixed ops)."""
        return [None if op.param is None else op.param.matrix(theta) for op in self.ops]


def _param_key(gl) -> tuple:
    out = []
    for g in gl:
        if getattr(g, "parameterized", False):
            for p in g.params:
                out.append((complex(p.const), tuple(sorted((k, complex(c)) for k, c in p.items()))))
    return tuple(out)


def _values_key(pr) -> tuple | None:
    if pr is None:
        return None
    items = pr.items() if hasattr(pr, "items") else pr
    try:
        return tuple(sorted((str(k), complex(v)) for k, v in items))
    except TypeError:
        return (id(pr),)
