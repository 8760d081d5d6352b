"""Array backends: one interface over the numba CPU kernels and the numba.cuda kernels.

A backend owns the array module (``xp``: numpy, or cupy on a GPU) and the
kernel set. The simulator, the adjoint gradient and the fusion pass only talk
to this interface, so the CUDA kernels run under the CUDA simulator on numpy
arrays in tests, and a density-matrix backend (issue 7) can plug in later.

Methods (``v``, ``lam``, ``psi``: state vectors of shape ``(2**n,)``):

* ``apply(v, op, mat, adj)``: apply an :class:`~quantum.simulator.ops.Op` in place,
  with ``mat`` the op's matrix (``DIAG``: its diagonal) or ``None`` for a fixed op;
* ``inner(lam, psi, op, dmat)``: ``<lam| C(dmat) |psi>`` (zero outside controls);
* ``apply_ham(psi, out, ham)`` / ``expect(bra, ket, ham)``: grouped Pauli sums;
* ``vdot(a, b)``, ``zeros(n)``, ``asarray``, ``to_numpy``.
"""

from __future__ import annotations

import numpy as np

from ..kernels import cpu_adjoint as ca
from ..kernels import cpu_expect as ce
from ..kernels import cpu_gates as cg
from .ops import DENSE, DIAG, PERM, XSWAP, Op

#: Hamiltonians on states up to this many amplitudes keep a tabulated diagonal
#: (``PauliSum.split``; 16 bytes per amplitude, as much as one adjoint state)
SPLIT_MAX_AMP = 1 << 20


class CpuBackend:
    """numba kernels on numpy arrays; parallel kernels from ``cg.PAR_THRESHOLD`` amplitudes."""

    name = "cpu"
    xp = np

    def __init__(self, dtype=np.complex128, parallel: bool = True):
        self.dtype = np.dtype(dtype)
        self.parallel = parallel

    def serial(self) -> CpuBackend:
        """A copy that never uses the parallel kernels (for threads over a batch)."""
        return CpuBackend(self.dtype, parallel=False)

    def _par(self, v) -> bool:
        return self.parallel and v.shape[0] >= cg.PAR_THRESHOLD

    def zeros(self, n_amp: int) -> np.ndarray:
        return np.zeros(n_amp, dtype=self.dtype)

    def asarray(self, a) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=self.dtype)

    def to_numpy(self, a) -> np.ndarray:
        return np.asarray(a)

    def apply(self, v: np.ndarray, op: Op, mat: np.ndarray | None = None, adj: bool = False):
        par = self._par(v)
        m = op.mat if mat is None else mat
        if op.kind == XSWAP and mat is None:
            (cg.xswap_par if par else cg.xswap_ser)(v, int(op.targets[0]), op.cmask, op.spos)
        elif op.kind == DIAG:
            (cg.diag_par if par else cg.diag_ser)(v, op.targets, op.cmask,
                                                  m.astype(v.dtype, copy=False), adj)
        elif op.kind == PERM and mat is None:
            (cg.perm_par if par else cg.perm_ser)(v, op.targets, op.cmask, op.spos, op.perm,
                                                  m.astype(v.dtype, copy=False), adj)
        else:
            m = op.full_matrix() if (mat is None and op.kind != DENSE) else m
            m = m.astype(v.dtype, copy=False)
            k = op.targets.shape[0]
            if k == 1:
                if mat is None:
                    mode = op.mode
                elif op.param is not None and op.param.kind == "rot":
                    mode = op.param.mode
                else:
                    mode = cg.dense1_mode_of(m)
                (cg.dense1m_par if par else cg.dense1m_ser)(v, int(op.targets[0]), op.cmask,
                                                            op.spos, m, adj, mode)
            elif k == 2:
                (cg.dense2_par if par else cg.dense2_ser)(v, int(op.targets[0]),
                                                          int(op.targets[1]), op.cmask,
                                                          op.spos, m, adj)
            else:
                (cg.densek_par if par else cg.densek_ser)(v, op.targets, op.cmask, op.spos, m,
                                                          adj)

    def step(self, psi: np.ndarray, lam: np.ndarray, op: Op, mat: np.ndarray,
             dmat: np.ndarray) -> complex | None:
        """Fused reverse-sweep step (see :mod:`quantum.kernels.cpu_adjoint`), or ``None``
        when the op has no fused kernel (the caller then runs apply/inner/apply)."""
        par = self._par(psi)
        dt = psi.dtype
        if op.kind == DIAG:
            return (ca.step_diag_par if par else ca.step_diag_ser)(
                psi, lam, op.targets, op.cmask, mat.astype(dt, copy=False),
                dmat.astype(dt, copy=False))
        if op.kind == DENSE and op.targets.shape[0] == 1:
            return (ca.step1_par if par else ca.step1_ser)(
                psi, lam, int(op.targets[0]), op.cmask, op.spos, mat.astype(dt, copy=False),
                dmat.astype(dt, copy=False))
        return None

    def inner(self, lam: np.ndarray, psi: np.ndarray, op: Op, dmat: np.ndarray) -> complex:
        par = self._par(lam)
        d = dmat.astype(lam.dtype, copy=False)
        if op.kind == DIAG:
            return (ce.inner_diag_par if par else ce.inner_diag_ser)(lam, psi, op.targets,
                                                                     op.cmask, d)
        return (ce.inner_dense_par if par else ce.inner_dense_ser)(lam, psi, op.targets,
                                                                   op.cmask, op.spos, d)

    def apply_ham(self, psi: np.ndarray, out: np.ndarray, ham) -> None:
        if ham.sparse is not None:
            out[:] = ham.sparse @ psi
            return
        par = self._par(psi)
        sp = ham.split(psi.shape[0]) if psi.shape[0] <= SPLIT_MAX_AMP else None
        if sp is not None:
            diag, cflag, csum, g_first = sp
            dt = psi.dtype
            (ce.apply_pauli_sum_split_par if par else ce.apply_pauli_sum_split_ser)(
                psi, out, diag.astype(dt, copy=False), ham.xg, ham.start, ham.zy,
                ham.coef.astype(dt), cflag, csum.astype(dt), g_first)
            return
        (ce.apply_pauli_sum_par if par else ce.apply_pauli_sum_ser)(
            psi, out, ham.xg, ham.start, ham.zy, ham.coef.astype(psi.dtype))

    def expect(self, bra: np.ndarray, ket: np.ndarray, ham) -> complex:
        if ham.sparse is not None:
            return complex(np.vdot(bra, ham.sparse @ ket))
        par = self._par(ket)
        return (ce.expect_pauli_sum_par if par else ce.expect_pauli_sum_ser)(
            bra, ket, ham.xg, ham.start, ham.zy, ham.coef.astype(ket.dtype))

    def vdot(self, a: np.ndarray, b: np.ndarray) -> complex:
        return (ce.vdot_par if self._par(a) else ce.vdot_ser)(a, b)


def make_backend(name, dtype) -> object:
    """Backend for a simulator name ("cpu"/"mqvector", "gpu"/"mqvector_gpu"/"cuda").

    A backend object (e.g. ``CudaBackend(dtype, xp=numpy)``) is returned as is.
    """
    if not isinstance(name, str):
        return name
    key = name.lower()
    if key in ("cpu", "mqvector"):
        return CpuBackend(dtype)
    if key in ("gpu", "mqvector_gpu", "cuda"):
        from .cuda_backend import CudaBackend

        return CudaBackend(dtype)
    raise ValueError(f"Unknown simulator backend '{name}'; choose 'cpu' (alias 'mqvector') or "
                     "'gpu' (alias 'mqvector_gpu').")
