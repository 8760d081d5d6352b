"""numba CPU kernels that apply one gate to a state vector in place.

Conventions (MindQuantum's): the state ``v`` has shape ``(2**n,)``, qubit ``q``
is bit ``q`` of the index (qubit 0 least significant). A gate acts on target
qubits ``targets`` (array of ``k`` ints; ``targets[0]`` is the least
significant bit of the gate's local ``2**k`` basis) and only on the amplitudes
whose index has every bit of ``cmask`` set (the control qubits).

Each kernel exists twice: ``*_ser`` (serial, for small states and for use
inside outer parallel loops over a batch) and ``*_par`` (``parallel=True``,
used from ``PAR_THRESHOLD`` amplitudes up). The loop bodies are written once
as ``inline='always'`` functions whose ``prange`` becomes a parallel loop only
inside the ``*_par`` wrappers. Thread count follows numba's
``set_num_threads`` / ``NUMBA_NUM_THREADS``.

``adj`` flags ask for the conjugate transpose of the given matrix, so a
reverse (adjoint) sweep needs no second copy of the matrices.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

#: states with at least this many amplitudes use the parallel kernels (handing work to a
#: second thread costs tens of microseconds on shared virtual machines: below 2**17
#: amplitudes a gate takes less than that)
PAR_THRESHOLD = 1 << 17

_INL = dict(inline="always", fastmath=True)
_SER = dict(cache=True, fastmath=True, nogil=True)
_PAR = dict(cache=True, fastmath=True, nogil=True, parallel=True)


@njit(**_INL)
def _insert_zero(i, t):
    """Insert a 0 bit at position ``t`` of ``i``."""
    low = i & ((1 << t) - 1)
    return ((i >> t) << (t + 1)) | low


@njit(**_INL)
def _insert_zeros(i, sorted_pos):
    """Insert 0 bits at the (ascending) positions ``sorted_pos`` of ``i``."""
    for p in sorted_pos:
        low = i & ((1 << p) - 1)
        i = ((i >> p) << (p + 1)) | low
    return i


@njit(**_INL)
def _offsets(targets):
    """Index offset of each local basis state ``j`` of a ``k``-qubit gate."""
    k = targets.shape[0]
    dim = 1 << k
    off = np.zeros(dim, dtype=np.int64)
    for j in range(dim):
        o = 0
        for m in range(k):
            if (j >> m) & 1:
                o |= 1 << targets[m]
        off[j] = o
    return off


# ----------------------------------------------------------------------------- dense 1 qubit
# Loops run over the indices whose target bits are 0 and control bits are 1:
# ``base(o) = insert_zeros(o << p, spos) | cmask`` for the outer index ``o``,
# plus a contiguous inner run of ``2**p`` amplitudes, ``p = spos[0]`` the lowest
# target or control bit (so the inner loop vectorises and controls cost nothing).
@njit(**_INL)
def _dense1(v, t, cmask, spos, m, adj):
    if adj:
        m00 = np.conj(m[0, 0])
        m01 = np.conj(m[1, 0])
        m10 = np.conj(m[0, 1])
        m11 = np.conj(m[1, 1])
    else:
        m00 = m[0, 0]
        m01 = m[0, 1]
        m10 = m[1, 0]
        m11 = m[1, 1]
    p = spos[0]
    inner = 1 << p
    outer = (v.shape[0] >> spos.shape[0]) >> p
    step = 1 << t
    for o in prange(outer):
        base = _insert_zeros(np.int64(o) << p, spos) | cmask
        for j in range(inner):
            i0 = base + j
            i1 = i0 + step
            a = v[i0]
            b = v[i1]
            v[i0] = m00 * a + m01 * b
            v[i1] = m10 * a + m11 * b


@njit(**_SER)
def dense1_ser(v, t, cmask, spos, m, adj):
    """Apply a 2x2 matrix ``m`` to target ``t`` under controls ``cmask``.

    ``spos``: sorted int64 array of the target and control qubits. Serial.
    """
    _dense1(v, t, cmask, spos, m, adj)


@njit(**_PAR)
def dense1_par(v, t, cmask, spos, m, adj):
    """Parallel version of :func:`dense1_ser`."""
    _dense1(v, t, cmask, spos, m, adj)


# ----------------------------------------------------------------------------- 1 qubit, cheap forms
# mode 1 ("real"): a real matrix (RY, H): 4 real multiply-adds per amplitude pair each side.
# mode 2 ("rx"): real diagonal, imaginary off-diagonal (RX, SX-like): same cost.
@njit(**_INL)
def _dense1_real(v, t, cmask, spos, m, adj):
    a00 = m[0, 0].real
    a11 = m[1, 1].real
    a01 = m[1, 0].real if adj else m[0, 1].real
    a10 = m[0, 1].real if adj else m[1, 0].real
    p = spos[0]
    inner = 1 << p
    outer = (v.shape[0] >> spos.shape[0]) >> p
    step = 1 << t
    vr = v.real
    vi = v.imag
    for o in prange(outer):
        base = _insert_zeros(np.int64(o) << p, spos) | cmask
        for j in range(inner):
            i0 = base + j
            i1 = i0 + step
            ar = vr[i0]
            ai = vi[i0]
            br = vr[i1]
            bi = vi[i1]
            vr[i0] = a00 * ar + a01 * br
            vi[i0] = a00 * ai + a01 * bi
            vr[i1] = a10 * ar + a11 * br
            vi[i1] = a10 * ai + a11 * bi


@njit(**_INL)
def _dense1_rx(v, t, cmask, spos, m, adj):
    c0 = m[0, 0].real
    c1 = m[1, 1].real
    s01 = -m[1, 0].imag if adj else m[0, 1].imag
    s10 = -m[0, 1].imag if adj else m[1, 0].imag
    p = spos[0]
    inner = 1 << p
    outer = (v.shape[0] >> spos.shape[0]) >> p
    step = 1 << t
    vr = v.real
    vi = v.imag
    for o in prange(outer):
        base = _insert_zeros(np.int64(o) << p, spos) | cmask
        for j in range(inner):
            i0 = base + j
            i1 = i0 + step
            ar = vr[i0]
            ai = vi[i0]
            br = vr[i1]
            bi = vi[i1]
            vr[i0] = c0 * ar - s01 * bi
            vi[i0] = c0 * ai + s01 * br
            vr[i1] = c1 * br - s10 * ai
            vi[i1] = c1 * bi + s10 * ar


@njit(**_INL)
def _dense1_mode(v, t, cmask, spos, m, adj, mode):
    if mode == 1:
        _dense1_real(v, t, cmask, spos, m, adj)
    elif mode == 2:
        _dense1_rx(v, t, cmask, spos, m, adj)
    else:
        _dense1(v, t, cmask, spos, m, adj)


@njit(**_SER)
def dense1m_ser(v, t, cmask, spos, m, adj, mode):
    """:func:`dense1_ser` with a cheap path for real (mode 1) and RX-like (mode 2) matrices."""
    _dense1_mode(v, t, cmask, spos, m, adj, mode)


@njit(**_PAR)
def dense1m_par(v, t, cmask, spos, m, adj, mode):
    """Parallel version of :func:`dense1m_ser`."""
    _dense1_mode(v, t, cmask, spos, m, adj, mode)


def dense1_mode_of(m: np.ndarray) -> int:
    """0: general 2x2; 1: real; 2: real diagonal and imaginary off-diagonal."""
    if not np.any(m.imag):
        return 1
    if not np.any(np.diag(m).imag) and not m[0, 1].real and not m[1, 0].real:
        return 2
    return 0


# ----------------------------------------------------------------------------- dense 2 qubits
@njit(**_INL)
def _dense2(v, t0, t1, cmask, spos, m, adj):
    mm = np.empty((4, 4), dtype=v.dtype)
    for r in range(4):
        for c in range(4):
            mm[r, c] = np.conj(m[c, r]) if adj else m[r, c]
    s0 = 1 << t0
    s1 = 1 << t1
    p = spos[0]
    inner = 1 << p
    outer = (v.shape[0] >> spos.shape[0]) >> p
    for o in prange(outer):
        base = _insert_zeros(np.int64(o) << p, spos) | cmask
        for j in range(inner):
            i00 = base + j
            i01 = i00 + s0
            i10 = i00 + s1
            i11 = i01 + s1
            a0 = v[i00]
            a1 = v[i01]
            a2 = v[i10]
            a3 = v[i11]
            v[i00] = mm[0, 0] * a0 + mm[0, 1] * a1 + mm[0, 2] * a2 + mm[0, 3] * a3
            v[i01] = mm[1, 0] * a0 + mm[1, 1] * a1 + mm[1, 2] * a2 + mm[1, 3] * a3
            v[i10] = mm[2, 0] * a0 + mm[2, 1] * a1 + mm[2, 2] * a2 + mm[2, 3] * a3
            v[i11] = mm[3, 0] * a0 + mm[3, 1] * a1 + mm[3, 2] * a2 + mm[3, 3] * a3


@njit(**_SER)
def dense2_ser(v, t0, t1, cmask, spos, m, adj):
    """Apply a 4x4 matrix (``t0`` the low local bit) under ``cmask``. Serial."""
    _dense2(v, t0, t1, cmask, spos, m, adj)


@njit(**_PAR)
def dense2_par(v, t0, t1, cmask, spos, m, adj):
    """Parallel version of :func:`dense2_ser`."""
    _dense2(v, t0, t1, cmask, spos, m, adj)


# ----------------------------------------------------------------------------- dense k qubits
@njit(**_INL)
def _densek(v, targets, cmask, spos, m, adj):
    k = targets.shape[0]
    dim = 1 << k
    mm = np.empty((dim, dim), dtype=v.dtype)
    for r in range(dim):
        for c in range(dim):
            mm[r, c] = np.conj(m[c, r]) if adj else m[r, c]
    off = _offsets(targets)
    nblock = v.shape[0] >> spos.shape[0]
    chunk = 256
    nchunk = (nblock + chunk - 1) // chunk
    for c in prange(nchunk):
        buf = np.empty(dim, dtype=v.dtype)
        stop = min(nblock, (np.int64(c) + 1) * chunk)
        for i in range(np.int64(c) * chunk, stop):
            base = _insert_zeros(i, spos) | cmask
            for j in range(dim):
                buf[j] = v[base + off[j]]
            for r in range(dim):
                acc = mm[r, 0] * buf[0]
                for j in range(1, dim):
                    acc += mm[r, j] * buf[j]
                v[base + off[r]] = acc


@njit(**_SER)
def densek_ser(v, targets, cmask, spos, m, adj):
    """Apply a ``2**k x 2**k`` matrix on ``targets`` under ``cmask``. Serial."""
    _densek(v, targets, cmask, spos, m, adj)


@njit(**_PAR)
def densek_par(v, targets, cmask, spos, m, adj):
    """Parallel version of :func:`densek_ser`."""
    _densek(v, targets, cmask, spos, m, adj)


# ----------------------------------------------------------------------------- diagonal
@njit(**_INL)
def _diag(v, targets, cmask, d, adj):
    k = targets.shape[0]
    n = v.shape[0]
    dd = np.conj(d) if adj else d.copy()
    if k == 1 and cmask == 0:
        t = targets[0]
        inner = 1 << t
        outer = n >> (t + 1)
        d0 = dd[0]
        d1 = dd[1]
        for o in prange(outer):
            base = np.int64(o) << (t + 1)
            for j in range(inner):
                v[base + j] *= d0
                v[base + inner + j] *= d1
    else:
        for ii in prange(n):
            i = np.int64(ii)
            if (i & cmask) == cmask:
                j = 0
                for m in range(k):
                    j |= ((i >> targets[m]) & 1) << m
                v[i] *= dd[j]


@njit(**_SER)
def diag_ser(v, targets, cmask, d, adj):
    """Multiply by the diagonal ``d`` (length ``2**k``) on ``targets`` under ``cmask``."""
    _diag(v, targets, cmask, d, adj)


@njit(**_PAR)
def diag_par(v, targets, cmask, d, adj):
    """Parallel version of :func:`diag_ser`."""
    _diag(v, targets, cmask, d, adj)


# ----------------------------------------------------------------------------- X / controlled X
@njit(**_INL)
def _xswap(v, t, cmask, spos):
    p = spos[0]
    inner = 1 << p
    outer = (v.shape[0] >> spos.shape[0]) >> p
    step = 1 << t
    for o in prange(outer):
        base = _insert_zeros(np.int64(o) << p, spos) | cmask
        for j in range(inner):
            i0 = base + j
            i1 = i0 + step
            a = v[i0]
            v[i0] = v[i1]
            v[i1] = a


@njit(**_SER)
def xswap_ser(v, t, cmask, spos):
    """Swap the amplitude pairs differing in bit ``t`` (X, CNOT, Toffoli). Serial."""
    _xswap(v, t, cmask, spos)


@njit(**_PAR)
def xswap_par(v, t, cmask, spos):
    """Parallel version of :func:`xswap_ser`."""
    _xswap(v, t, cmask, spos)


# ----------------------------------------------------------------------------- phase permutation
@njit(**_INL)
def _perm(v, targets, cmask, spos, perm, phase, adj):
    """Local ``perm[j]`` receives ``phase[j]`` times local ``j`` (adjoint: the inverse)."""
    k = targets.shape[0]
    dim = 1 << k
    off = _offsets(targets)
    nblock = v.shape[0] >> spos.shape[0]
    chunk = 256
    nchunk = (nblock + chunk - 1) // chunk
    for c in prange(nchunk):
        buf = np.empty(dim, dtype=v.dtype)
        stop = min(nblock, (np.int64(c) + 1) * chunk)
        for i in range(np.int64(c) * chunk, stop):
            base = _insert_zeros(i, spos) | cmask
            for j in range(dim):
                buf[j] = v[base + off[j]]
            if adj:
                for j in range(dim):
                    v[base + off[j]] = np.conj(phase[j]) * buf[perm[j]]
            else:
                for j in range(dim):
                    v[base + off[perm[j]]] = phase[j] * buf[j]


@njit(**_SER)
def perm_ser(v, targets, cmask, spos, perm, phase, adj):
    """Apply a phased permutation matrix (SWAP, Y, ISWAP...) under ``cmask``. Serial."""
    _perm(v, targets, cmask, spos, perm, phase, adj)


@njit(**_PAR)
def perm_par(v, targets, cmask, spos, perm, phase, adj):
    """Parallel version of :func:`perm_ser`."""
    _perm(v, targets, cmask, spos, perm, phase, adj)
