"""Cache-blocked reverse sweep of the adjoint gradient (numba, parallel over chunks).

The reverse sweep (see :mod:`quantum.simulator.gradient`) walks the ops backwards,
un-applying each from the state ``psi`` and the adjoint state ``lam`` and, for a
parameterized op, adding ``<lam| D |psi>``. For a run of ops whose qubits fit in
the inner set of a chunk (as in :mod:`.cpu_block`) the whole run is done chunk
by chunk: ``psi`` and ``lam`` are gathered and scattered once per run, and each
chunk's share of every inner product goes into a per-chunk row that is summed
at the end. Ops on disjoint qubits commute with each other and with each
other's derivatives, so the inner products do not depend on the reordering.

Encoding: as :func:`.cpu_block.run_blocked`, ops in sweep order (reverse
application order), plus ``doff`` (offset of the derivative in ``cpool``) and
``gidx`` (the output column of a parameterized op, -1 for a fixed op).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .cpu_adjoint import step1_ser, step_diag_ser
from .cpu_block import apply_encoded
from .cpu_expect import inner_dense_ser
from .cpu_gates import _insert_zeros

_DIAG = 1


@njit(cache=True, fastmath=True, nogil=True, parallel=True)
def sweep_blocked(psi, lam, qpos, qoff, kind, nt, tg, cm, nsp, sp, moff, doff, poff, mode,
                  gidx, cpool, ipool, n_out):
    """Reverse-sweep the encoded ops over ``psi`` and ``lam`` in place.

    Returns:
        ``(n_out,)`` complex: the inner product ``<lam| D |psi>`` of each parameterized op.
    """
    bamp = qoff.shape[0]
    nchunk = psi.shape[0] // bamp
    nops = kind.shape[0]
    part = np.zeros((nchunk, n_out), dtype=np.complex128)
    for c in prange(nchunk):
        base = _insert_zeros(np.int64(c), qpos)
        bp = np.empty(bamp, dtype=psi.dtype)
        bl = np.empty(bamp, dtype=lam.dtype)
        for j in range(bamp):
            bp[j] = psi[base + qoff[j]]
            bl[j] = lam[base + qoff[j]]
        for o in range(nops):
            k = nt[o]
            t = tg[o, :k]
            s = sp[o, :nsp[o]]
            d = 1 << k
            m0 = moff[o]
            d0 = doff[o]
            if gidx[o] < 0:
                apply_encoded(bp, kind[o], k, t, cm[o], s, cpool, m0, ipool, poff[o], mode[o],
                              True)
                apply_encoded(bl, kind[o], k, t, cm[o], s, cpool, m0, ipool, poff[o], mode[o],
                              True)
            elif kind[o] == _DIAG:
                part[c, gidx[o]] += step_diag_ser(bp, bl, t, cm[o], cpool[m0:m0 + d],
                                                  cpool[d0:d0 + d])
            elif k == 1:
                part[c, gidx[o]] += step1_ser(bp, bl, t[0], cm[o], s,
                                              cpool[m0:m0 + 4].reshape((2, 2)),
                                              cpool[d0:d0 + 4].reshape((2, 2)))
            else:
                apply_encoded(bp, kind[o], k, t, cm[o], s, cpool, m0, ipool, poff[o], mode[o],
                              True)
                part[c, gidx[o]] += inner_dense_ser(bl, bp, t, cm[o], s,
                                                    cpool[d0:d0 + d * d].reshape((d, d)))
                apply_encoded(bl, kind[o], k, t, cm[o], s, cpool, m0, ipool, poff[o], mode[o],
                              True)
        for j in range(bamp):
            psi[base + qoff[j]] = bp[j]
            lam[base + qoff[j]] = bl[j]
    out = np.zeros(n_out, dtype=np.complex128)
    for c in range(nchunk):
        for j in range(n_out):
            out[j] += part[c, j]
    return out
