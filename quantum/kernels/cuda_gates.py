"""numba.cuda kernels: the GPU twins of :mod:`.cpu_gates` and :mod:`.cpu_expect`.

Same conventions (qubit 0 = least significant bit; ``targets[0]`` the low
local bit; ``cmask`` the control mask; ``spos`` the sorted target and control
positions). One thread per group of amplitudes that a gate mixes. Reductions
write one partial value per thread into ``out`` and the caller sums it with
its array module (cupy on a device, numpy under the CUDA simulator).

The kernels are compiled lazily by numba.cuda on first launch; under
``NUMBA_ENABLE_CUDASIM=1`` they run in the CUDA simulator (tests, tiny sizes).
"""

from __future__ import annotations

import math

from numba import cuda

#: largest k of the dense k-qubit kernel (local buffers are fixed-size)
MAX_DENSE_K = 5
THREADS = 256


def blocks(n: int) -> int:
    """Number of thread blocks covering ``n`` work items."""
    return max(1, math.ceil(n / THREADS))


@cuda.jit(device=True, inline=True)
def _insert_zeros(i, spos):
    for m in range(spos.shape[0]):
        p = spos[m]
        low = i & ((1 << p) - 1)
        i = ((i >> p) << (p + 1)) | low
    return i


@cuda.jit(device=True, inline=True)
def _parity(x):
    x ^= x >> 32
    x ^= x >> 16
    x ^= x >> 8
    x ^= x >> 4
    x ^= x >> 2
    x ^= x >> 1
    return x & 1


@cuda.jit
def dense1(v, t, cmask, spos, m, adj):
    """2x2 matrix on target ``t``; one thread per amplitude pair."""
    i = cuda.grid(1)
    if i >= (v.shape[0] >> spos.shape[0]):
        return
    i0 = _insert_zeros(i, spos) | cmask
    i1 = i0 | (1 << t)
    a = v[i0]
    b = v[i1]
    if adj:
        v[i0] = m[0, 0].conjugate() * a + m[1, 0].conjugate() * b
        v[i1] = m[0, 1].conjugate() * a + m[1, 1].conjugate() * b
    else:
        v[i0] = m[0, 0] * a + m[0, 1] * b
        v[i1] = m[1, 0] * a + m[1, 1] * b


@cuda.jit
def densek(v, targets, cmask, spos, m, adj):
    """``2**k x 2**k`` matrix on ``targets`` (k <= MAX_DENSE_K); one thread per block."""
    i = cuda.grid(1)
    if i >= (v.shape[0] >> spos.shape[0]):
        return
    k = targets.shape[0]
    dim = 1 << k
    base = _insert_zeros(i, spos) | cmask
    buf = cuda.local.array(32, dtype=v.dtype)
    off = cuda.local.array(32, dtype=targets.dtype)
    for j in range(dim):
        o = 0
        for q in range(k):
            if (j >> q) & 1:
                o |= 1 << targets[q]
        off[j] = o
        buf[j] = v[base + o]
    for r in range(dim):
        acc = 0j
        for c in range(dim):
            acc += (m[c, r].conjugate() if adj else m[r, c]) * buf[c]
        v[base + off[r]] = acc


@cuda.jit
def diag(v, targets, cmask, d, adj):
    """Multiply by the diagonal ``d`` on ``targets``; one thread per amplitude."""
    i = cuda.grid(1)
    if i >= v.shape[0] or (i & cmask) != cmask:
        return
    j = 0
    for q in range(targets.shape[0]):
        j |= ((i >> targets[q]) & 1) << q
    v[i] *= d[j].conjugate() if adj else d[j]


@cuda.jit
def xswap(v, t, cmask, spos):
    """Controlled X: swap the pairs that differ in bit ``t``."""
    i = cuda.grid(1)
    if i >= (v.shape[0] >> spos.shape[0]):
        return
    i0 = _insert_zeros(i, spos) | cmask
    i1 = i0 | (1 << t)
    a = v[i0]
    v[i0] = v[i1]
    v[i1] = a


@cuda.jit
def perm(v, targets, cmask, spos, pm, phase, adj):
    """Phased permutation: local ``pm[j]`` receives ``phase[j]`` times local ``j``."""
    i = cuda.grid(1)
    if i >= (v.shape[0] >> spos.shape[0]):
        return
    k = targets.shape[0]
    dim = 1 << k
    base = _insert_zeros(i, spos) | cmask
    buf = cuda.local.array(32, dtype=v.dtype)
    off = cuda.local.array(32, dtype=targets.dtype)
    for j in range(dim):
        o = 0
        for q in range(k):
            if (j >> q) & 1:
                o |= 1 << targets[q]
        off[j] = o
        buf[j] = v[base + o]
    for j in range(dim):
        if adj:
            v[base + off[j]] = phase[j].conjugate() * buf[pm[j]]
        else:
            v[base + off[pm[j]]] = phase[j] * buf[j]


@cuda.jit(device=True, inline=True)
def _ham_row(i, phi, xg, start, zy, coef):
    acc = 0j
    for g in range(xg.shape[0]):
        c = 0j
        for t in range(start[g], start[g + 1]):
            if _parity(i & zy[t]):
                c -= coef[t]
            else:
                c += coef[t]
        acc += c * phi[i ^ xg[g]]
    return acc


@cuda.jit
def apply_pauli_sum(phi, out, xg, start, zy, coef):
    """``out = H phi`` for a grouped Pauli sum; one thread per amplitude."""
    i = cuda.grid(1)
    if i < phi.shape[0]:
        out[i] = _ham_row(i, phi, xg, start, zy, coef)


@cuda.jit
def expect_pauli_sum(psi, phi, xg, start, zy, coef, out):
    """``out[i] = conj(psi[i]) (H phi)[i]``; the caller sums ``out``."""
    i = cuda.grid(1)
    if i < phi.shape[0]:
        out[i] = psi[i].conjugate() * _ham_row(i, phi, xg, start, zy, coef)


@cuda.jit
def vdot_terms(a, b, out):
    """``out[i] = conj(a[i]) b[i]``; the caller sums ``out``."""
    i = cuda.grid(1)
    if i < a.shape[0]:
        out[i] = a[i].conjugate() * b[i]


@cuda.jit
def inner_dense(lam, psi, targets, cmask, spos, d, out):
    """``out[i]`` = block ``i``'s share of ``<lam| C(d) |psi>``; the caller sums ``out``."""
    i = cuda.grid(1)
    if i >= (lam.shape[0] >> spos.shape[0]):
        return
    k = targets.shape[0]
    dim = 1 << k
    base = _insert_zeros(i, spos) | cmask
    off = cuda.local.array(32, dtype=targets.dtype)
    for j in range(dim):
        o = 0
        for q in range(k):
            if (j >> q) & 1:
                o |= 1 << targets[q]
        off[j] = o
    acc = 0j
    for r in range(dim):
        row = 0j
        for c in range(dim):
            row += d[r, c] * psi[base + off[c]]
        acc += lam[base + off[r]].conjugate() * row
    out[i] = acc


@cuda.jit
def inner_diag(lam, psi, targets, cmask, d, out):
    """``out[i] = conj(lam[i]) d[j(i)] psi[i]`` on the controlled subspace, else 0."""
    i = cuda.grid(1)
    if i >= lam.shape[0]:
        return
    if (i & cmask) != cmask:
        out[i] = 0j
        return
    j = 0
    for q in range(targets.shape[0]):
        j |= ((i >> targets[q]) & 1) << q
    out[i] = lam[i].conjugate() * d[j] * psi[i]
