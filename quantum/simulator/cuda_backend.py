"""GPU backend: the numba.cuda kernels of :mod:`quantum.kernels.cuda_gates`.

``CudaBackend(dtype)`` runs on cupy arrays and needs cupy plus a CUDA device;
``CudaBackend(dtype, xp=numpy)`` runs the same kernels on numpy arrays, which
is how the tests drive them through numba's CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1``). Pass either to ``Simulator(backend, n)``.
"""

from __future__ import annotations

import numpy as np

from .ops import DENSE, DIAG, PERM, XSWAP, Op


def _require_gpu():
    try:
        import cupy
    except ImportError as exc:
        raise RuntimeError("Simulator('gpu') needs cupy (pip install 'sponge-quantum[gpu]') "
                           "and a CUDA device; use Simulator('cpu', ...) instead.") from exc
    from numba import cuda

    if not cuda.is_available() or cupy.cuda.runtime.getDeviceCount() == 0:
        raise RuntimeError("Simulator('gpu'): no CUDA device is visible (numba.cuda."
                           "is_available() is False); use Simulator('cpu', ...) instead.")
    return cupy


class CudaBackend:
    """numba.cuda kernels on ``xp`` arrays (cupy by default)."""

    name = "gpu"

    def __init__(self, dtype=np.complex128, xp=None):
        self.dtype = np.dtype(dtype)
        self.xp = _require_gpu() if xp is None else xp
        from ..kernels import cuda_gates

        self.k = cuda_gates

    def zeros(self, n_amp: int):
        return self.xp.zeros(n_amp, dtype=self.dtype)

    def asarray(self, a):
        return self.xp.ascontiguousarray(self.xp.asarray(a, dtype=self.dtype))

    def to_numpy(self, a) -> np.ndarray:
        return a.get() if hasattr(a, "get") else np.asarray(a)

    def _dev(self, a, dtype=None):
        return self.xp.asarray(np.ascontiguousarray(a, dtype=dtype))

    def apply(self, v, op: Op, mat=None, adj: bool = False) -> None:
        k, xp = self.k, self.xp
        m = op.mat if mat is None else mat
        tg = self._dev(op.targets, np.int64)
        sp = self._dev(op.spos, np.int64)
        nwork = v.shape[0] >> op.spos.shape[0]
        grid = k.blocks(nwork)
        if op.kind == XSWAP and mat is None:
            k.xswap[grid, k.THREADS](v, int(op.targets[0]), op.cmask, sp)
        elif op.kind == DIAG:
            k.diag[k.blocks(v.shape[0]), k.THREADS](v, tg, op.cmask,
                                                     self._dev(m, self.dtype), adj)
        elif op.kind == PERM and mat is None:
            k.perm[grid, k.THREADS](v, tg, op.cmask, sp, self._dev(op.perm, np.int64),
                                    self._dev(m, self.dtype), adj)
        else:
            m = op.full_matrix() if (mat is None and op.kind != DENSE) else m
            md = xp.asarray(np.ascontiguousarray(m, dtype=self.dtype))
            if op.targets.shape[0] == 1:
                k.dense1[grid, k.THREADS](v, int(op.targets[0]), op.cmask, sp, md, adj)
            elif op.targets.shape[0] <= k.MAX_DENSE_K:
                k.densek[grid, k.THREADS](v, tg, op.cmask, sp, md, adj)
            else:
                raise ValueError(f"Gate {op.name}: the GPU kernels take at most "
                                 f"{k.MAX_DENSE_K} target qubits.")

    def inner(self, lam, psi, op: Op, dmat) -> complex:
        k = self.k
        tg = self._dev(op.targets, np.int64)
        d = self._dev(dmat, self.dtype)
        if op.kind == DIAG:
            out = self.zeros(lam.shape[0])
            k.inner_diag[k.blocks(lam.shape[0]), k.THREADS](lam, psi, tg, op.cmask, d, out)
        else:
            nwork = lam.shape[0] >> op.spos.shape[0]
            out = self.zeros(nwork)
            k.inner_dense[k.blocks(nwork), k.THREADS](lam, psi, tg, op.cmask,
                                                       self._dev(op.spos, np.int64), d, out)
        return complex(out.sum())

    def _ham(self, ham):
        return (self._dev(ham.xg, np.int64), self._dev(ham.start, np.int64),
                self._dev(ham.zy, np.int64), self._dev(ham.coef, self.dtype))

    def apply_ham(self, psi, out, ham) -> None:
        if ham.sparse is not None:
            out[:] = self.asarray(ham.sparse @ self.to_numpy(psi))
            return
        k = self.k
        k.apply_pauli_sum[k.blocks(psi.shape[0]), k.THREADS](psi, out, *self._ham(ham))

    def expect(self, bra, ket, ham) -> complex:
        if ham.sparse is not None:
            return complex(np.vdot(self.to_numpy(bra), ham.sparse @ self.to_numpy(ket)))
        k = self.k
        out = self.zeros(ket.shape[0])
        k.expect_pauli_sum[k.blocks(ket.shape[0]), k.THREADS](bra, ket, *self._ham(ham), out)
        return complex(out.sum())

    def vdot(self, a, b) -> complex:
        k = self.k
        out = self.zeros(a.shape[0])
        k.vdot_terms[k.blocks(a.shape[0]), k.THREADS](a, b, out)
        return complex(out.sum())
