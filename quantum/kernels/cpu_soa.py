"""Cache-blocked runs of one-qubit gates and (controlled) X in split real/imaginary form.

The interleaved ``complex128`` kernels of :mod:`.cpu_gates` do not vectorise: LLVM
cannot prove that the two halves of an amplitude pair do not alias and falls back to
scalar code, which is arithmetic-bound once a chunk sits in cache (the cache-blocked
regime). Here a chunk (as in :mod:`.cpu_block`) is gathered into separate real and
imaginary buffers ("structure of arrays"), every op runs as a loop that LLVM turns into
SIMD code, and the chunk is scattered back:

* one-qubit dense ``2x2`` (uncontrolled): pairs ``(i, i + 2**t)``; targets 0 and 1 as
  explicit interleaved loops, higher targets as contiguous runs of ``2**t``;
* one-qubit diagonal (uncontrolled): a select of ``d0``/``d1`` by the target bit;
* X with any controls: masked swaps over contiguous runs (targets from 3 up), or for
  targets 0-2 a gather ``dst[i] = src[i ^ 2**t]`` on the controlled subspace into a
  second buffer pair (the roles of the two buffers then swap).

Runs with any other op use :mod:`.cpu_block`. Encoding as :func:`.cpu_block.run_blocked`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .cpu_gates import _insert_zeros

_XSWAP, _DIAG, _DENSE = 0, 1, 3
_INL = dict(inline="always", fastmath=True)


@njit(**_INL)
def _pair(xr, xi, i0, i1, m):
    ar = xr[i0]
    ai = xi[i0]
    br = xr[i1]
    bi = xi[i1]
    xr[i0] = m[0] * ar - m[1] * ai + m[2] * br - m[3] * bi
    xi[i0] = m[0] * ai + m[1] * ar + m[2] * bi + m[3] * br
    xr[i1] = m[4] * ar - m[5] * ai + m[6] * br - m[7] * bi
    xi[i1] = m[4] * ai + m[5] * ar + m[6] * bi + m[7] * br


@njit(**_INL)
def _dense1_soa(xr, xi, t, m):
    """``m``: ``(m00r, m00i, m01r, m01i, m10r, m10i, m11r, m11i)``."""
    n = xr.shape[0]
    if t == 0:
        for i in range(n >> 1):
            _pair(xr, xi, 2 * i, 2 * i + 1, m)
    elif t == 1:
        for i in range(n >> 2):
            _pair(xr, xi, 4 * i, 4 * i + 2, m)
            _pair(xr, xi, 4 * i + 1, 4 * i + 3, m)
    else:
        inner = 1 << t
        m0, m1, m2, m3, m4, m5, m6, m7 = m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]
        for o in range(n >> (t + 1)):
            base = np.int64(o) << (t + 1)
            a_r = xr[base:base + inner]
            a_i = xi[base:base + inner]
            b_r = xr[base + inner:base + 2 * inner]
            b_i = xi[base + inner:base + 2 * inner]
            for j in range(inner):
                ar = a_r[j]
                ai = a_i[j]
                br = b_r[j]
                bi = b_i[j]
                a_r[j] = m0 * ar - m1 * ai + m2 * br - m3 * bi
                a_i[j] = m0 * ai + m1 * ar + m2 * bi + m3 * br
                b_r[j] = m4 * ar - m5 * ai + m6 * br - m7 * bi
                b_i[j] = m4 * ai + m5 * ar + m6 * bi + m7 * br


@njit(**_INL)
def _diag1_soa(xr, xi, t, d):
    """``d``: ``(d0r, d0i, d1r, d1i)``."""
    for i in range(xr.shape[0]):
        hi = (i >> t) & 1
        fr = d[2] if hi else d[0]
        fi = d[3] if hi else d[1]
        r = xr[i]
        im = xi[i]
        xr[i] = fr * r - fi * im
        xi[i] = fr * im + fi * r


@njit(**_INL)
def _xswap_soa(sr, si, dr, di, t, cmask):
    """Gather form (targets 0-2): ``dst[i] = src[i ^ 2**t]`` where the controls are set."""
    tb = np.int64(1) << t
    for i in range(sr.shape[0]):
        j = i ^ tb if (i & cmask) == cmask else i
        dr[i] = sr[j]
        di[i] = si[j]


@njit(**_INL)
def _xswap_soa_inplace(xr, xi, t, cmask):
    """In-place form (targets from 3 up): masked swaps over contiguous runs of ``2**t``."""
    inner = 1 << t
    for o in range(xr.shape[0] >> (t + 1)):
        base = np.int64(o) << (t + 1)
        a_r = xr[base:base + inner]
        a_i = xi[base:base + inner]
        b_r = xr[base + inner:base + 2 * inner]
        b_i = xi[base + inner:base + 2 * inner]
        for j in range(inner):
            sw = ((base + j) & cmask) == cmask
            ar = a_r[j]
            ai = a_i[j]
            br = b_r[j]
            bi = b_i[j]
            a_r[j] = br if sw else ar
            a_i[j] = bi if sw else ai
            b_r[j] = ar if sw else br
            b_i[j] = ai if sw else bi


@njit(cache=True, fastmath=True, nogil=True, parallel=True)
def run_blocked_soa(v, qpos, qoff, kind, tq, cm, par):
    """Apply the encoded ops to every chunk of ``v`` in split real/imaginary buffers.

    Args:
        v: complex128 state ``(2**n,)``, modified in place.
        qpos, qoff: inner qubits and local-to-global offsets, as :func:`.cpu_block.run_blocked`.
        kind: ``XSWAP``, ``DIAG`` or ``DENSE`` per op (one target; DIAG/DENSE uncontrolled).
        tq: local target position; cm: local control mask (XSWAP only).
        par: ``(n_ops, 8)`` float64: the 2x2 matrix (DENSE, row-major re/im) or the
            diagonal (DIAG, first four entries).
    """
    bamp = qoff.shape[0]
    nchunk = v.shape[0] // bamp
    nops = kind.shape[0]
    for c in prange(nchunk):
        base = _insert_zeros(np.int64(c), qpos)
        ar = np.empty(bamp)
        ai = np.empty(bamp)
        br = np.empty(bamp)
        bi = np.empty(bamp)
        for j in range(bamp):
            z = v[base + qoff[j]]
            ar[j] = z.real
            ai[j] = z.imag
        cur = 0
        for o in range(nops):
            k = kind[o]
            if k == _XSWAP and tq[o] >= 3:
                if cur == 0:
                    _xswap_soa_inplace(ar, ai, tq[o], cm[o])
                else:
                    _xswap_soa_inplace(br, bi, tq[o], cm[o])
            elif k == _XSWAP:
                if cur == 0:
                    _xswap_soa(ar, ai, br, bi, tq[o], cm[o])
                else:
                    _xswap_soa(br, bi, ar, ai, tq[o], cm[o])
                cur ^= 1
            elif k == _DENSE:
                if cur == 0:
                    _dense1_soa(ar, ai, tq[o], par[o])
                else:
                    _dense1_soa(br, bi, tq[o], par[o])
            elif cur == 0:
                _diag1_soa(ar, ai, tq[o], par[o])
            else:
                _diag1_soa(br, bi, tq[o], par[o])
        if cur == 0:
            for j in range(bamp):
                v[base + qoff[j]] = complex(ar[j], ai[j])
        else:
            for j in range(bamp):
                v[base + qoff[j]] = complex(br[j], bi[j])
