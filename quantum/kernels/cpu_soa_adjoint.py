"""Cache-blocked reverse sweep of the adjoint gradient in split real/imaginary form.

The SIMD twin of :func:`.cpu_block_adjoint.sweep_blocked` for runs made only of
uncontrolled one-qubit dense and diagonal ops and X with any controls (see
:mod:`.cpu_soa`): each chunk of ``psi`` and ``lam`` is gathered into separate real and
imaginary buffers, the ops are walked in sweep order (reverse application order), and
for a parameterized op the fused step ``psi <- G^dag psi``; ``<lam| D |psi>``;
``lam <- G^dag lam`` runs in one loop whose sums LLVM vectorises.

Encoding: ``kind``, ``tq`` (local target), ``cm`` (local control mask, X only);
``gpar[o]`` the 8 floats (re/im, row-major) of ``G^dag`` (DIAG: 4 floats of its diagonal),
``dpar[o]`` those of the derivative ``D`` (parameterized ops), ``gidx[o]`` the output column
(-1 for a fixed op).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .cpu_gates import _insert_zeros
from .cpu_soa import _dense1_soa, _diag1_soa, _xswap_soa_inplace

_XSWAP, _DIAG, _DENSE = 0, 1, 3
_INL = dict(inline="always", fastmath=True)


@njit(**_INL)
def _xswap_small(xr, xi, t, cmask):
    """Masked swap for targets 0-2 (scalar; few such ops per run)."""
    tb = np.int64(1) << t
    for i in range(xr.shape[0]):
        if (i & tb) == 0 and (i & cmask) == cmask:
            j = i | tb
            a = xr[i]
            xr[i] = xr[j]
            xr[j] = a
            b = xi[i]
            xi[i] = xi[j]
            xi[j] = b


@njit(**_INL)
def _xswap_any(xr, xi, t, cmask):
    if t >= 3:
        _xswap_soa_inplace(xr, xi, t, cmask)
    else:
        _xswap_small(xr, xi, t, cmask)


@njit(**_INL)
def _step_pair(p0r, p0i, p1r, p1i, l0r, l0i, l1r, l1i, i0, i1, g, d):
    """One amplitude pair ``(p0[i0], p1[i1])`` of the fused dense step; returns the pair's
    share of ``<lam|D|psi>`` (the halves may be the same arrays)."""
    ar = p0r[i0]
    ai = p0i[i0]
    br = p1r[i1]
    bi = p1i[i1]
    a2r = g[0] * ar - g[1] * ai + g[2] * br - g[3] * bi
    a2i = g[0] * ai + g[1] * ar + g[2] * bi + g[3] * br
    b2r = g[4] * ar - g[5] * ai + g[6] * br - g[7] * bi
    b2i = g[4] * ai + g[5] * ar + g[6] * bi + g[7] * br
    p0r[i0] = a2r
    p0i[i0] = a2i
    p1r[i1] = b2r
    p1i[i1] = b2i
    dar = d[0] * a2r - d[1] * a2i + d[2] * b2r - d[3] * b2i
    dai = d[0] * a2i + d[1] * a2r + d[2] * b2i + d[3] * b2r
    dbr = d[4] * a2r - d[5] * a2i + d[6] * b2r - d[7] * b2i
    dbi = d[4] * a2i + d[5] * a2r + d[6] * b2i + d[7] * b2r
    lar = l0r[i0]
    lai = l0i[i0]
    lbr = l1r[i1]
    lbi = l1i[i1]
    re = lar * dar + lai * dai + lbr * dbr + lbi * dbi
    im = lar * dai - lai * dar + lbr * dbi - lbi * dbr
    l0r[i0] = g[0] * lar - g[1] * lai + g[2] * lbr - g[3] * lbi
    l0i[i0] = g[0] * lai + g[1] * lar + g[2] * lbi + g[3] * lbr
    l1r[i1] = g[4] * lar - g[5] * lai + g[6] * lbr - g[7] * lbi
    l1i[i1] = g[4] * lai + g[5] * lar + g[6] * lbi + g[7] * lbr
    return re, im


@njit(**_INL)
def _step_dense1(pr, pi, lr, li, t, g, d):
    n = pr.shape[0]
    re = 0.0
    im = 0.0
    if t == 0:
        for i in range(n >> 1):
            x, y = _step_pair(pr, pi, pr, pi, lr, li, lr, li, 2 * i, 2 * i + 1, g, d)
            re += x
            im += y
    elif t == 1:
        for i in range(n >> 2):
            x, y = _step_pair(pr, pi, pr, pi, lr, li, lr, li, 4 * i, 4 * i + 2, g, d)
            x2, y2 = _step_pair(pr, pi, pr, pi, lr, li, lr, li, 4 * i + 1, 4 * i + 3, g, d)
            re += x + x2
            im += y + y2
    else:
        inner = 1 << t
        for o in range(n >> (t + 1)):
            b0 = np.int64(o) << (t + 1)
            b1 = b0 + inner
            p0r = pr[b0:b1]
            p0i = pi[b0:b1]
            p1r = pr[b1:b1 + inner]
            p1i = pi[b1:b1 + inner]
            l0r = lr[b0:b1]
            l0i = li[b0:b1]
            l1r = lr[b1:b1 + inner]
            l1i = li[b1:b1 + inner]
            for j in range(inner):
                x, y = _step_pair(p0r, p0i, p1r, p1i, l0r, l0i, l1r, l1i, j, j, g, d)
                re += x
                im += y
    return re, im


@njit(**_INL)
def _step_diag1(pr, pi, lr, li, t, g, d):
    re = 0.0
    im = 0.0
    for i in range(pr.shape[0]):
        hi = (i >> t) & 1
        fr = g[2] if hi else g[0]
        fi = g[3] if hi else g[1]
        er = d[2] if hi else d[0]
        ei = d[3] if hi else d[1]
        xr = pr[i]
        xi = pi[i]
        ar = fr * xr - fi * xi
        ai = fr * xi + fi * xr
        pr[i] = ar
        pi[i] = ai
        dr = er * ar - ei * ai
        di = er * ai + ei * ar
        lr_ = lr[i]
        li_ = li[i]
        re += lr_ * dr + li_ * di
        im += lr_ * di - li_ * dr
        lr[i] = fr * lr_ - fi * li_
        li[i] = fr * li_ + fi * lr_
    return re, im


@njit(cache=True, fastmath=True, nogil=True, parallel=True)
def sweep_blocked_soa(psi, lam, qpos, qoff, kind, tq, cm, gpar, dpar, gidx, n_out):
    """Reverse-sweep the encoded ops over ``psi`` and ``lam`` (complex128) in place.

    Returns:
        ``(n_out,)`` complex: ``<lam| D |psi>`` of each parameterized op.
    """
    bamp = qoff.shape[0]
    nchunk = psi.shape[0] // bamp
    nops = kind.shape[0]
    part = np.zeros((nchunk, n_out), dtype=np.complex128)
    for c in prange(nchunk):
        base = _insert_zeros(np.int64(c), qpos)
        pr = np.empty(bamp)
        pi = np.empty(bamp)
        lr = np.empty(bamp)
        li = np.empty(bamp)
        for j in range(bamp):
            z = psi[base + qoff[j]]
            pr[j] = z.real
            pi[j] = z.imag
            w = lam[base + qoff[j]]
            lr[j] = w.real
            li[j] = w.imag
        for o in range(nops):
            k = kind[o]
            t = tq[o]
            if k == _XSWAP:
                _xswap_any(pr, pi, t, cm[o])
                _xswap_any(lr, li, t, cm[o])
            elif gidx[o] < 0:
                if k == _DENSE:
                    _dense1_soa(pr, pi, t, gpar[o])
                    _dense1_soa(lr, li, t, gpar[o])
                else:
                    _diag1_soa(pr, pi, t, gpar[o])
                    _diag1_soa(lr, li, t, gpar[o])
            else:
                if k == _DENSE:
                    re, im = _step_dense1(pr, pi, lr, li, t, gpar[o], dpar[o])
                else:
                    re, im = _step_diag1(pr, pi, lr, li, t, gpar[o], dpar[o])
                part[c, gidx[o]] += complex(re, im)
        for j in range(bamp):
            psi[base + qoff[j]] = complex(pr[j], pi[j])
            lam[base + qoff[j]] = complex(lr[j], li[j])
    out = np.zeros(n_out, dtype=np.complex128)
    for c in range(nchunk):
        for j in range(n_out):
            out[j] += part[c, j]
    return out
