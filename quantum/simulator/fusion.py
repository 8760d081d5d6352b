"""Gate fusion: merge runs of fixed ops on a few qubits into one dense op.

A state-vector gate is limited by memory bandwidth: each op reads and writes
the whole state. Merging ops that together touch at most ``max_qubits``
qubits into one ``2**m x 2**m`` matrix (qulacs' and Aer's "fusion") trades
passes over memory for a little arithmetic.

Algorithm (greedy, order-preserving): walk the ops; ``last[q]`` is the latest
block touching qubit ``q``. A new op with qubit set ``S`` joins the latest of
the blocks ``last[S]`` when the union still fits (an op on qubits no block
touched yet may join the newest block); otherwise it opens a new block.
Either way, earlier candidate blocks that nothing later touches ("free")
are absorbed when they fit. Moving ops across blocks on disjoint
qubits is exact (they commute). Only fixed ops are fused: the caller cuts
the op list at parameterized ops and measurements.
"""

from __future__ import annotations

import numpy as np

from ..kernels import cpu_gates as cg
from .ops import DENSE, DIAG, PERM, XSWAP, Op, classify_matrix


class _Block:
    __slots__ = ("ops", "qubits", "alive")

    def __init__(self, ops, qubits):
        self.ops = list(ops)
        self.qubits = set(qubits)
        self.alive = True


def fuse_ops(ops: list[Op], max_qubits: int = 3) -> list[Op]:
    """Fuse fixed ``ops`` into blocks of at most ``max_qubits`` qubits.

    Args:
        ops: fixed ops (no ``param``), in application order.
        max_qubits: the largest fused block (2-4 is useful; 1 merges only same-qubit runs).

    Returns:
        An equivalent op list; single-op blocks keep their specialised kind.
    """
    return [_block_op(g) for g in group_ops(ops, max_qubits)]


def group_ops(ops: list[Op], max_qubits: int) -> list[list[Op]]:
    """Consecutive groups of ``ops`` (reordered only across disjoint qubits) touching at
    most ``max_qubits`` qubits each (a wider op forms its own group)."""
    blocks: list[_Block] = []
    last: dict[int, int] = {}
    for op in ops:
        s = set(op.qubits)
        cands = sorted({last[q] for q in s if q in last})
        free = [c for c in cands if all(last[q] == c for q in blocks[c].qubits)]
        if not cands:  # fresh qubits: any block may take the op; try the newest live one
            live = [i for i in range(len(blocks) - 1, -1, -1) if blocks[i].alive][:1]
            cands_try = live
        else:
            cands_try = cands[-1:]
        if cands_try and len(blocks[cands_try[0]].qubits | s) <= max_qubits:
            b = cands_try[0]
            host = blocks[b]
            host.ops.append(op)
            host.qubits |= s
            _absorb(blocks, last, b, [c for c in free if c != b], max_qubits)
        else:
            blocks.append(_Block([op], s))
            b = len(blocks) - 1
            _absorb(blocks, last, b, free, max_qubits)
        for q in s:
            last[q] = b
    return [bl.ops for bl in blocks if bl.alive]


def _absorb(blocks, last, b, free, max_qubits):
    host = blocks[b]
    pre = []
    for c in free:
        if c == b or not blocks[c].alive:
            continue
        if len(host.qubits | blocks[c].qubits) <= max_qubits:
            pre.extend(blocks[c].ops)
            host.qubits |= blocks[c].qubits
            blocks[c].alive = False
            for q in blocks[c].qubits:
                last[q] = b
    host.ops[:0] = pre


def _block_op(group: list[Op]) -> Op:
    if len(group) == 1:
        return group[0]
    qubits = sorted(set().union(*(op.qubits for op in group)))
    pos = {q: i for i, q in enumerate(qubits)}
    dim = 1 << len(qubits)
    u = np.eye(dim, dtype=np.complex128)
    for op in group:
        local = Op(op.kind, [pos[int(t)] for t in op.targets], tuple(pos[c] for c in op.ctrls),
                   mat=op.mat, perm=op.perm)
        for col in range(dim):
            v = np.ascontiguousarray(u[:, col])
            apply_fixed_small(v, local)
            u[:, col] = v
    return classify_matrix(u, qubits, (), name="+".join(o.name for o in group))


def apply_fixed_small(v: np.ndarray, op: Op) -> None:
    """Apply a fixed op to a small numpy vector with the serial kernels."""
    if op.kind == XSWAP:
        cg.xswap_ser(v, int(op.targets[0]), op.cmask, op.spos)
    elif op.kind == DIAG:
        cg.diag_ser(v, op.targets, op.cmask, op.mat, False)
    elif op.kind == PERM:
        cg.perm_ser(v, op.targets, op.cmask, op.spos, op.perm, op.mat, False)
    elif op.kind == DENSE:
        cg.densek_ser(v, op.targets, op.cmask, op.spos, op.mat, False)
