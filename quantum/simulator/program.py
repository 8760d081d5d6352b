"""A compiled circuit: the op list a backend runs, with its parameter slots.

``Program.bound(circ, n, pr)`` binds every parameter (for ``apply_circuit``);
``Program.parametric(circ, n)`` keeps parameterized gates symbolic (for the
adjoint gradient), with ``encoder``/``ansatz`` names in MindQuantum's order.
Fixed ops between parameterized ones are fused (see :mod:`.fusion`) when
``fusion`` is on.
"""

from __future__ import annotations

import numpy as np

from .fusion import fuse_ops
from .ops import Op, SlotTable, compile_gate, is_barrier, is_measure

#: default largest fused block, in qubits
FUSION_MAX_QUBITS = 3


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
