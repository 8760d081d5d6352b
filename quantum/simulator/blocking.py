"""Group a fixed op list into cache-blocked runs (see :mod:`quantum.kernels.cpu_block`).

``plan_blocks(ops, n_qubits, block_qubits)`` walks the ops with the same
commuting-aware grouping as fusion (ops on disjoint qubits may be reordered),
but with a budget of ``block_qubits`` qubits per group and no matrix
products: each group of two or more ops becomes a :class:`BlockRun` executed
chunk by chunk; wide ops run alone with the ordinary kernels.
"""

from __future__ import annotations

from contextlib import contextmanager

import numba
import numpy as np

from ..kernels.cpu_block import run_blocked
from ..kernels.cpu_block_adjoint import sweep_blocked
from ..kernels.cpu_gates import PAR_THRESHOLD
from ..kernels.cpu_soa import linperm_tables, run_blocked_soa, soa_kind
from ..kernels.cpu_soa_adjoint import sweep_blocked_soa
from .fusion import group_ops
from .ops import DENSE, DIAG, PERM, XSWAP, Op

#: default inner-qubit count of a chunk (2**14 amplitudes = 256 KiB in complex128)
BLOCK_QUBITS = 14
#: states below this many qubits are not blocked (they already sit in cache)
MIN_QUBITS = 16
#: a run of several chunks is split between threads from this many amplitude-ops
#: (about 1 ms of work: far above the cost of waking a second thread)
PAR_WORK = 1 << 21
#: stretches of at least this many X/CNOT ops in a split-buffer run are merged into one
#: gather pass (each alone costs about a third of the merged pass)
MERGE_X = 3


class BlockRun:
    """A run of fixed ops executed chunk by chunk over the inner qubits ``qpos``.

    ``derivs[i]`` (optional): the derivative matrix of op ``i`` (``None`` for a fixed op);
    then the run can also be reverse-swept with :meth:`sweep` (ops in sweep order).
    """

    def __init__(self, ops: list[Op], n_qubits: int, block_qubits: int, derivs=None):
        used = sorted(set().union(*(op.qubits for op in ops)))
        fill = [q for q in range(n_qubits) if q not in used]
        qpos = sorted(used + fill[:max(0, block_qubits - len(used))])
        self.ops = ops
        self.qpos = np.array(qpos, dtype=np.int64)
        loc = {q: i for i, q in enumerate(qpos)}
        b = len(qpos)
        lidx = np.arange(1 << b, dtype=np.int64)
        self.qoff = np.zeros(1 << b, dtype=np.int64)
        for i, q in enumerate(qpos):
            self.qoff |= ((lidx >> i) & 1) << q
        n = len(ops)
        wt = max(len(op.targets) for op in ops)
        ws = max(len(op.spos) for op in ops)
        self.kind = np.zeros(n, dtype=np.int64)
        self.nt = np.zeros(n, dtype=np.int64)
        self.tg = np.zeros((n, wt), dtype=np.int64)
        self.cm = np.zeros(n, dtype=np.int64)
        self.nsp = np.zeros(n, dtype=np.int64)
        self.sp = np.zeros((n, ws), dtype=np.int64)
        self.moff = np.zeros(n, dtype=np.int64)
        self.poff = np.zeros(n, dtype=np.int64)
        self.mode = np.array([op.mode for op in ops], dtype=np.int64)
        self.doff = np.zeros(n, dtype=np.int64)
        self.gidx = np.full(n, -1, dtype=np.int64)
        cpool, ipool = [], []
        clen = ilen = 0
        for i, op in enumerate(ops):
            self.kind[i] = op.kind
            self.nt[i] = len(op.targets)
            self.tg[i, :len(op.targets)] = [loc[int(t)] for t in op.targets]
            self.cm[i] = sum(1 << loc[c] for c in op.ctrls)
            sp = sorted(loc[int(q)] for q in op.spos)
            self.nsp[i] = len(sp)
            self.sp[i, :len(sp)] = sp
            if op.kind == XSWAP:
                continue
            vals = np.ravel(op.mat) if op.kind != DENSE else op.mat.reshape(-1)
            self.moff[i] = clen
            cpool.append(vals)
            clen += vals.shape[0]
            if op.kind == PERM:
                self.poff[i] = ilen
                ipool.append(op.perm)
                ilen += op.perm.shape[0]
            if derivs is not None and derivs[i] is not None:
                dv = np.ravel(derivs[i])
                self.doff[i] = clen
                cpool.append(dv)
                clen += dv.shape[0]
                self.gidx[i] = i
        self.cpool = (np.concatenate(cpool) if cpool else np.zeros(1)).astype(np.complex128)
        self.ipool = np.concatenate(ipool) if ipool else np.zeros(1, dtype=np.int64)
        self.name = f"block[{len(ops)} ops on {len(used)} qubits]"
        self.derivs = derivs
        self.soa = all(_soa_ok(op) for op in ops)
        if self.soa:
            self.tq = np.ascontiguousarray(self.tg[:, 0])
            self.par = np.zeros((n, 8))
            for i, op in enumerate(ops):
                if op.kind == XSWAP:
                    continue
                m = op.mat
                if derivs is not None:  # a sweep un-applies: keep G^dag
                    m = m.conj().T if op.kind == DENSE else m.conj()
                self.par[i, :2 * m.size] = _ri(m)
            # cheaper exact forms of one-qubit dense matrices (RX, RY) for the forward run
            self.skind = np.array([soa_kind(op.kind, op.mat) for op in ops], dtype=np.int64)
            self._merge_x_runs()
            if derivs is not None:
                self.dpar = np.zeros((n, 8))
                for i, dm in enumerate(derivs):
                    if dm is not None:
                        self.dpar[i, :2 * np.size(dm)] = _ri(dm)

    def set_op(self, j: int, m: np.ndarray, dm: np.ndarray | None = None) -> None:
        """Replace the matrix (DIAG: diagonal) of op ``j``, and its derivative ``dm`` if the
        run was built with one, by new values of the same kind and shape."""
        m = np.asarray(m)
        self.cpool[self.moff[j]:self.moff[j] + m.size] = np.ravel(m)
        if dm is not None:
            self.cpool[self.doff[j]:self.doff[j] + np.size(dm)] = np.ravel(dm)
        if self.soa:
            mm = m
            if self.derivs is not None:
                mm = m.conj().T if self.kind[j] == DENSE else m.conj()
            self.par[j, :2 * mm.size] = _ri(mm)
            self.skind[j] = soa_kind(int(self.kind[j]), m)
            f = self.fidx[j]
            self.fkind[f] = self.skind[j]
            self.fpar[f] = self.par[j]
            if dm is not None:
                self.dpar[j, :2 * np.size(dm)] = _ri(dm)

    def _merge_x_runs(self) -> None:
        """Forward-run arrays (``f*``) where every stretch of ``MERGE_X`` or more X ops with
        at most one control (affine index maps over GF(2)) becomes one gather op."""
        b = len(self.qpos)
        rows, groups, tabs = [], [], []
        i, n = 0, len(self.ops)
        while i < n:
            j = i
            while (j < n and self.kind[j] == XSWAP
                   and bin(int(self.cm[j])).count("1") <= 1):
                j += 1
            if j - i >= MERGE_X:
                tab, lh = linperm_tables([(int(self.tq[k]), int(self.cm[k]))
                                          for k in range(i, j)], b)
                rows.append((6, len(tabs), 0, None))
                tabs.append(tab)
                groups.append(range(i, j))
                i = j
                continue
            rows.append((int(self.skind[i]), int(self.tq[i]), int(self.cm[i]), i))
            groups.append(range(i, i + 1))
            i += 1
        self.fkind = np.array([r[0] for r in rows], dtype=np.int64)
        self.ftq = np.array([r[1] for r in rows], dtype=np.int64)
        self.fcm = np.array([r[2] for r in rows], dtype=np.int64)
        self.fpar = np.zeros((len(rows), 8))
        self.fidx = np.zeros(n, dtype=np.int64)
        for f, (r, g) in enumerate(zip(rows, groups, strict=True)):
            self.fidx[list(g)] = f
            if r[3] is not None:
                self.fpar[f] = self.par[r[3]]
        self.ltab = np.stack(tabs) if tabs else np.zeros((1, 2, 1), dtype=np.int64)
        self.lh = b // 2

    def run(self, v: np.ndarray) -> None:
        """Apply every op of the run to ``v`` in place."""
        with _threads_for(v, len(self.ops), v.shape[0] // self.qoff.shape[0]):
            self._run(v)

    def _run(self, v: np.ndarray) -> None:
        if self.soa and self.derivs is None and v.dtype == np.complex128:
            run_blocked_soa(v, self.qpos, self.qoff, self.fkind, self.ftq, self.fcm, self.fpar,
                            self.ltab, self.lh)
            return
        run_blocked(v, self.qpos, self.qoff, self.kind, self.nt, self.tg, self.cm, self.nsp,
                    self.sp, self.moff, self.poff, self.mode,
                    self.cpool.astype(v.dtype, copy=False), self.ipool)


    def sweep(self, psi: np.ndarray, lam: np.ndarray) -> np.ndarray:
        """Reverse-sweep ``psi`` and ``lam`` through the run; ``<lam|D|psi>`` per op."""
        with _threads_for(psi, 2 * len(self.ops), psi.shape[0] // self.qoff.shape[0]):
            return self._sweep(psi, lam)

    def _sweep(self, psi: np.ndarray, lam: np.ndarray) -> np.ndarray:
        if self.soa and self.derivs is not None and psi.dtype == np.complex128:
            return sweep_blocked_soa(psi, lam, self.qpos, self.qoff, self.kind, self.tq,
                                     self.cm, self.par, self.dpar, self.gidx, len(self.ops))
        return sweep_blocked(psi, lam, self.qpos, self.qoff, self.kind, self.nt, self.tg,
                             self.cm, self.nsp, self.sp, self.moff, self.doff, self.poff,
                             self.mode, self.gidx, self.cpool.astype(psi.dtype, copy=False),
                             self.ipool, len(self.ops))


def _ri(m) -> np.ndarray:
    """Interleaved (re, im) floats of the row-major entries of ``m``."""
    return np.ascontiguousarray(m, dtype=np.complex128).reshape(-1).view(np.float64)


def _soa_ok(op: Op) -> bool:
    """Ops of :func:`quantum.kernels.cpu_soa.run_blocked_soa`: X with any controls,
    uncontrolled one-qubit dense and diagonal ops."""
    if len(op.targets) != 1:
        return False
    return op.kind == XSWAP or (op.kind in (DENSE, DIAG) and not op.ctrls)


@contextmanager
def _threads_for(v: np.ndarray, n_ops: int = 1, n_chunks: int = 1):
    """One numba thread below ``cpu_gates.PAR_THRESHOLD`` amplitudes, else unchanged; a run
    of at least two chunks with ``PAR_WORK`` amplitude-ops in all also keeps the threads
    (each chunk is then a long serial task)."""
    if v.shape[0] >= PAR_THRESHOLD or (n_chunks >= 2 and n_ops * v.shape[0] >= PAR_WORK):
        yield
        return
    old = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(old)


def plan_blocks(ops: list[Op], n_qubits: int, block_qubits: int = BLOCK_QUBITS) -> list:
    """Ops and :class:`BlockRun` s equivalent to ``ops`` (fixed ops only)."""
    if n_qubits < MIN_QUBITS:
        return list(ops)
    b = min(block_qubits, n_qubits)
    out = []
    for group in group_ops(ops, b):
        if len(group) == 1 or any(len(op.targets) > 4 for op in group):
            out.extend(group)
        else:
            out.append(BlockRun(group, n_qubits, b))
    return out
