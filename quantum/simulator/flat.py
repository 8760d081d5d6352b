"""Flat programs: a :class:`~quantum.simulator.program.Program` encoded as arrays for the
one-call kernels of :mod:`quantum.kernels.cpu_program`.

Small states spend most of their time in Python dispatch (about 2 us per kernel call
against well under 1 us of arithmetic per gate below ~14 qubits). A :class:`FlatProgram`
runs the whole forward pass, or the whole adjoint value-and-gradient (forward, ``H|psi>``,
reverse sweep), in one compiled call; parameterized ops are bound by slot index inside
the kernel. Ops the encoding does not cover (parameterized gates of the "generic" form or
with several angles) make :meth:`FlatProgram.build` return ``None`` and the caller keeps
the op-by-op path.
"""

from __future__ import annotations

import numpy as np

from ..kernels import cpu_program as cp
from .ops import DENSE, DIAG, PERM, XSWAP, Op
from .pauli import PauliSum

#: one-call kernels are used below this many qubits (from there on a kernel call costs
#: much more than its dispatch and the cache-blocked / parallel paths win)
MAX_QUBITS = 16


class FlatProgram:
    """Array encoding of an op list (see :mod:`quantum.kernels.cpu_program`)."""

    def __init__(self, ops: list[Op]):
        n = len(ops)
        wt = max([len(op.targets) for op in ops] + [1])
        ws = max([len(op.spos) for op in ops] + [1])
        self.n_ops = n
        self.kind = np.zeros(n, dtype=np.int64)
        self.nt = np.zeros(n, dtype=np.int64)
        self.tg = np.zeros((n, wt), dtype=np.int64)
        self.cm = np.zeros(n, dtype=np.int64)
        self.nsp = np.zeros(n, dtype=np.int64)
        self.sp = np.zeros((n, ws), dtype=np.int64)
        self.moff = np.zeros(n, dtype=np.int64)
        self.poff = np.zeros(n, dtype=np.int64)
        self.mode = np.zeros(n, dtype=np.int64)
        self.ptype = np.zeros(n, dtype=np.int64)
        self.pslot = np.zeros(n, dtype=np.int64)
        self.goff = np.zeros(n, dtype=np.int64)
        self.doff = np.zeros(n, dtype=np.int64)
        cpool: list[np.ndarray] = []
        ipool: list[np.ndarray] = []
        clen = ilen = 0

        def put(vals) -> int:
            nonlocal clen
            vals = np.ravel(np.asarray(vals, dtype=np.complex128))
            cpool.append(vals)
            clen += vals.shape[0]
            return clen - vals.shape[0]

        for i, op in enumerate(ops):
            k = len(op.targets)
            d = 1 << k
            self.kind[i] = op.kind
            self.nt[i] = k
            self.tg[i, :k] = op.targets
            self.cm[i] = op.cmask
            self.nsp[i] = len(op.spos)
            self.sp[i, :len(op.spos)] = op.spos
            self.mode[i] = op.mode
            form = op.param
            if form is None:
                if op.kind == XSWAP:
                    continue
                self.moff[i] = put(op.mat)
                if op.kind == PERM:
                    self.poff[i] = ilen
                    ipool.append(np.asarray(op.perm, dtype=np.int64))
                    ilen += op.perm.shape[0]
                continue
            self.pslot[i] = int(form.slots[0])
            if form.kind == "rot":
                self.ptype[i] = 1
                self.mode[i] = form.mode
                self.goff[i] = put(form.gen)
                self.moff[i] = put(np.zeros(d * d))
                self.doff[i] = put(np.zeros(d * d))
            else:  # "phase"
                self.ptype[i] = 2
                self.goff[i] = put(np.asarray(form.lam, dtype=float))
                self.moff[i] = put(np.zeros(d))
                self.doff[i] = put(np.zeros(d))
        self.cpool = np.concatenate(cpool) if cpool else np.zeros(1, dtype=np.complex128)
        self.ipool = np.concatenate(ipool) if ipool else np.zeros(1, dtype=np.int64)

    @staticmethod
    def supports(ops: list[Op]) -> bool:
        """True when every op has an encoding (fixed, or a one-angle "rot"/"phase" form)."""
        for op in ops:
            if op.kind not in (XSWAP, DIAG, PERM, DENSE):
                return False
            p = op.param
            if p is not None and (p.kind not in ("rot", "phase") or len(p.slots) != 1):
                return False
        return True

    @classmethod
    def build(cls, ops: list[Op]) -> FlatProgram | None:
        """The encoding of ``ops``, or ``None`` if some op has none."""
        return cls(ops) if cls.supports(ops) else None

    def _args(self):
        return (self.kind, self.nt, self.tg, self.cm, self.nsp, self.sp, self.moff, self.poff,
                self.mode)

    def run(self, v: np.ndarray) -> None:
        """Apply the (fixed) ops to ``v`` in place; ``v`` complex128 ``(2**n,)``."""
        cp.run_program(v, *self._args(), self.cpool, self.ipool)

    def value_grad(self, psi0: np.ndarray, theta: np.ndarray, n_slots: int,
                   hams: FlatHams) -> tuple[np.ndarray, np.ndarray]:
        """``(f[H], gs[H, n_slots])``: values ``<psi|H_h|psi>`` and slot gradients
        ``<H_h psi| dG_s |psi_{s-1}>`` (complex; the caller takes ``2 Re``)."""
        psi = np.array(psi0, dtype=np.complex128)
        return cp.value_grad_program(psi, *self._args(), self.cpool.copy(), self.ipool,
                                     np.ascontiguousarray(theta, dtype=float), self.ptype,
                                     self.pslot, self.goff, self.doff, int(n_slots), hams.xg,
                                     hams.start, hams.zy, hams.coef, hams.g0, hams.diag,
                                     hams.cflag, hams.csum, hams.gf)


class FlatHams:
    """Several grouped Pauli sums concatenated for :func:`cpu_program.value_grad_program`."""

    def __init__(self, hams: list[PauliSum], n_amp: int):
        xg, start, zy, coef, g0 = [], [0], [], [], [0]
        cflag, csum, gf = [], [], []
        self.diag = np.zeros((len(hams), n_amp), dtype=np.complex128)
        nt = 0
        for i, h in enumerate(hams):
            diag, cf, cs, g_first = h.split(n_amp)
            if g_first:
                self.diag[i] = diag
            cflag.append(cf)
            csum.append(cs)
            gf.append(g_first)
            xg.append(np.asarray(h.xg, dtype=np.int64))
            start.extend((np.asarray(h.start[1:], dtype=np.int64) + nt).tolist())
            zy.append(np.asarray(h.zy, dtype=np.int64))
            coef.append(np.asarray(h.coef, dtype=np.complex128))
            nt += len(h.zy)
            g0.append(g0[-1] + len(h.xg))
        self.xg = np.concatenate(xg) if xg else np.zeros(0, dtype=np.int64)
        self.start = np.array(start, dtype=np.int64)
        self.zy = np.concatenate(zy) if zy else np.zeros(0, dtype=np.int64)
        self.coef = np.concatenate(coef) if coef else np.zeros(0, dtype=np.complex128)
        self.g0 = np.array(g0, dtype=np.int64)
        self.cflag = np.concatenate(cflag) if cflag else np.zeros(0, dtype=np.bool_)
        self.csum = np.concatenate(csum) if csum else np.zeros(0, dtype=np.complex128)
        self.gf = np.array(gf, dtype=np.int64)

    @staticmethod
    def supports(hams: list[PauliSum]) -> bool:
        """Hermitian term-by-term Pauli sums only (sparse ones keep the op-by-op path)."""
        return all(h.sparse is None and h.hermitian for h in hams)
