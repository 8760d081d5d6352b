"""Fused reverse-sweep steps of the adjoint gradient (numba).

One step of the reverse sweep for a gate ``G`` with derivative ``D`` is
``psi <- G^dag psi``; ``g += <lam| D |psi>``; ``lam <- G^dag lam``. Done as
three kernels it reads the state five times; fused here it reads ``psi`` and
``lam`` once each and writes them once, for one-qubit dense gates and for
diagonal gates (any controls: outside the controlled subspace ``G = I`` and
``D = 0``). ``unapply2_*`` un-applies a fixed one-qubit gate from both vectors
in one pass.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .cpu_gates import _insert_zeros

_INL = dict(inline="always", fastmath=True)
_SER = dict(cache=True, fastmath=True, nogil=True)
_PAR = dict(cache=True, fastmath=True, nogil=True, parallel=True)


@njit(**_INL)
def _step1(psi, lam, t, cmask, spos, m, d):
    # G^dag entries
    g00 = np.conj(m[0, 0])
    g01 = np.conj(m[1, 0])
    g10 = np.conj(m[0, 1])
    g11 = np.conj(m[1, 1])
    d00 = d[0, 0]
    d01 = d[0, 1]
    d10 = d[1, 0]
    d11 = d[1, 1]
    p = spos[0]
    inner = 1 << p
    outer = (psi.shape[0] >> spos.shape[0]) >> p
    step = 1 << t
    re = 0.0
    im = 0.0
    for o in prange(outer):
        base = _insert_zeros(np.int64(o) << p, spos) | cmask
        acc = 0j
        for j in range(inner):
            i0 = base + j
            i1 = i0 + step
            a = psi[i0]
            b = psi[i1]
            a2 = g00 * a + g01 * b
            b2 = g10 * a + g11 * b
            psi[i0] = a2
            psi[i1] = b2
            la = lam[i0]
            lb = lam[i1]
            acc += np.conj(la) * (d00 * a2 + d01 * b2) + np.conj(lb) * (d10 * a2 + d11 * b2)
            lam[i0] = g00 * la + g01 * lb
            lam[i1] = g10 * la + g11 * lb
        re += acc.real
        im += acc.imag
    return re + 1j * im


@njit(**_SER)
def step1_ser(psi, lam, t, cmask, spos, m, d):
    """Fused reverse step for a one-qubit dense gate ``m`` with derivative ``d``. Serial."""
    return _step1(psi, lam, t, cmask, spos, m, d)


@njit(**_PAR)
def step1_par(psi, lam, t, cmask, spos, m, d):
    """Parallel version of :func:`step1_ser`."""
    return _step1(psi, lam, t, cmask, spos, m, d)


@njit(**_INL)
def _step_diag(psi, lam, targets, cmask, dg, dd):
    k = targets.shape[0]
    re = 0.0
    im = 0.0
    for ii in prange(psi.shape[0]):
        i = np.int64(ii)
        if (i & cmask) == cmask:
            j = 0
            for q in range(k):
                j |= ((i >> targets[q]) & 1) << q
            g = np.conj(dg[j])
            a = g * psi[i]
            psi[i] = a
            la = lam[i]
            z = np.conj(la) * dd[j] * a
            re += z.real
            im += z.imag
            lam[i] = g * la
    return re + 1j * im


@njit(**_SER)
def step_diag_ser(psi, lam, targets, cmask, dg, dd):
    """Fused reverse step for a diagonal gate ``dg`` with derivative diagonal ``dd``. Serial."""
    return _step_diag(psi, lam, targets, cmask, dg, dd)


@njit(**_PAR)
def step_diag_par(psi, lam, targets, cmask, dg, dd):
    """Parallel version of :func:`step_diag_ser`."""
    return _step_diag(psi, lam, targets, cmask, dg, dd)
