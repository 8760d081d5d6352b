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
#: one-qubit dense forms with half the arithmetic (see :func:`soa_kind`)
_DENSE_RX, _DENSE_RE = 4, 5
#: a merged run of (singly controlled) X ops: one gather through a GF(2)-affine index map
_LINPERM = 6
_INL = dict(inline="always", fastmath=True)


@njit(**_INL)
def _mm_gen(ar, ai, br, bi, q):
    """General 2x2: ``q`` = ``(m00r, m00i, m01r, m01i, m10r, m10i, m11r, m11i)``."""
    return (q[0] * ar - q[1] * ai + q[2] * br - q[3] * bi,
            q[0] * ai + q[1] * ar + q[2] * bi + q[3] * br,
            q[4] * ar - q[5] * ai + q[6] * br - q[7] * bi,
            q[4] * ai + q[5] * ar + q[6] * bi + q[7] * br)


@njit(**_INL)
def _mm_rx(ar, ai, br, bi, q):
    """Real diagonal, imaginary off-diagonal (RX-like): half the multiplications."""
    return (q[0] * ar - q[3] * bi, q[0] * ai + q[3] * br,
            q[6] * br - q[5] * ai, q[6] * bi + q[5] * ar)


@njit(**_INL)
def _mm_re(ar, ai, br, bi, q):
    """Real matrix (RY-like): half the multiplications."""
    return (q[0] * ar + q[2] * br, q[0] * ai + q[2] * bi,
            q[4] * ar + q[6] * br, q[4] * ai + q[6] * bi)


def _make_dense1(mm):
    """The one-qubit loop over a split buffer for the pair update ``mm``."""

    @njit(**_INL)
    def pair(xr, xi, i0, i1, q):
        c = mm(xr[i0], xi[i0], xr[i1], xi[i1], q)
        xr[i0] = c[0]
        xi[i0] = c[1]
        xr[i1] = c[2]
        xi[i1] = c[3]

    @njit(**_INL)
    def oct_(xr, xi, b, q, l0, l1, l2, l3, h0, h1, h2, h3):
        # pairs (l_k, h_k) of the 8 amplitudes from ``b``: every load comes before every
        # store (LLVM cannot tell that xr and xi do not alias), so the block vectorises
        r = xr[b:b + 8]  # constant indices into a view: no negative-index wraparound code
        i = xi[b:b + 8]
        a0r, a1r, a2r, a3r = r[l0], r[l1], r[l2], r[l3]
        a0i, a1i, a2i, a3i = i[l0], i[l1], i[l2], i[l3]
        b0r, b1r, b2r, b3r = r[h0], r[h1], r[h2], r[h3]
        b0i, b1i, b2i, b3i = i[h0], i[h1], i[h2], i[h3]
        c0 = mm(a0r, a0i, b0r, b0i, q)
        c1 = mm(a1r, a1i, b1r, b1i, q)
        c2 = mm(a2r, a2i, b2r, b2i, q)
        c3 = mm(a3r, a3i, b3r, b3i, q)
        r[l0], r[l1], r[l2], r[l3] = c0[0], c1[0], c2[0], c3[0]
        i[l0], i[l1], i[l2], i[l3] = c0[1], c1[1], c2[1], c3[1]
        r[h0], r[h1], r[h2], r[h3] = c0[2], c1[2], c2[2], c3[2]
        i[h0], i[h1], i[h2], i[h3] = c0[3], c1[3], c2[3], c3[3]

    @njit(**_INL)
    def dense1(xr, xi, t, m):
        q = (m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7])
        n = xr.shape[0]
        if n < 8:
            tb = 1 << t
            for i in range(n):
                if i & tb == 0:
                    c = mm(xr[i], xi[i], xr[i + tb], xi[i + tb], q)
                    xr[i], xi[i], xr[i + tb], xi[i + tb] = c[0], c[1], c[2], c[3]
        elif t == 0:
            for i in range(n >> 1):
                pair(xr, xi, 2 * i, 2 * i + 1, q)
        elif t == 1:
            for i in range(n >> 2):
                pair(xr, xi, 4 * i, 4 * i + 2, q)
                pair(xr, xi, 4 * i + 1, 4 * i + 3, q)
        elif t == 2:
            for o in range(n >> 3):
                oct_(xr, xi, o << 3, q, 0, 1, 2, 3, 4, 5, 6, 7)
        else:
            inner = 1 << t
            for o in range(n >> (t + 1)):
                base = np.int64(o) << (t + 1)
                a_r = xr[base:base + inner]
                a_i = xi[base:base + inner]
                b_r = xr[base + inner:base + 2 * inner]
                b_i = xi[base + inner:base + 2 * inner]
                for j in range(inner):
                    c = mm(a_r[j], a_i[j], b_r[j], b_i[j], q)
                    a_r[j] = c[0]
                    a_i[j] = c[1]
                    b_r[j] = c[2]
                    b_i[j] = c[3]

    return dense1


#: ``m``: ``(m00r, m00i, m01r, m01i, m10r, m10i, m11r, m11i)``; ``_rx``/``_re`` read only
#: the entries their matrix form can have non-zero
_dense1_soa = _make_dense1(_mm_gen)
_dense1_soa_rx = _make_dense1(_mm_rx)
_dense1_soa_re = _make_dense1(_mm_re)


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


@njit(**_INL)
def _linperm_soa(sr, si, dr, di, t0, t1, h):
    """``dst[i] = src[t0[i & (2**h - 1)] ^ t1[i >> h]]``: several X/CNOT ops in one pass."""
    lo = (np.int64(1) << h) - 1
    for i in range(sr.shape[0]):
        j = t0[i & lo] ^ t1[i >> h]
        dr[i] = sr[j]
        di[i] = si[j]


def linperm_tables(ops_tc: list[tuple[int, int]], b: int) -> tuple[np.ndarray, int]:
    """Lookup tables of the source-index map of X ops applied in order on ``b`` local bits.

    Args:
        ops_tc: ``(target position, control mask)`` per op; the control mask has at most
            one bit, so that every op is an affine map of the index over GF(2).
        b: chunk bits.

    Returns:
        ``(tab, h)``: ``tab`` ``(2, 2**max(h, b-h))`` int64 with ``src(i) = tab[0][i & lo]
        ^ tab[1][i >> h]`` (``lo = 2**h - 1``) for the state after all ops.
    """
    h = b // 2
    w = 1 << max(h, b - h)

    def src(idx):
        idx = idx.copy()
        for t, cm in reversed(ops_tc):  # each op is an involution of the index
            hit = (idx & cm) == cm
            idx[hit] ^= np.int64(1) << t
        return idx

    tab = np.zeros((2, w), dtype=np.int64)
    c = src(np.zeros(1, dtype=np.int64))[0]
    tab[0, :1 << h] = src(np.arange(1 << h, dtype=np.int64))
    tab[1, :1 << (b - h)] = src(np.arange(1 << (b - h), dtype=np.int64) << h) ^ c
    return tab, h


def soa_kind(kind: int, m: np.ndarray) -> int:
    """The :func:`run_blocked_soa` kind code of an op of ``ops`` kind ``kind`` whose
    matrix is ``m`` (a one-qubit dense matrix may take a cheaper exact form)."""
    if kind != _DENSE:
        return kind
    m = np.asarray(m)
    if not np.any(m.imag):
        return _DENSE_RE
    if not (np.any(m[0, 0].imag) or np.any(m[1, 1].imag) or np.any(m[0, 1].real)
            or np.any(m[1, 0].real)):
        return _DENSE_RX
    return _DENSE


@njit(cache=True, fastmath=True, nogil=True, parallel=True)
def run_blocked_soa(v, qpos, qoff, kind, tq, cm, par, ltab, lh):
    """Apply the encoded ops to every chunk of ``v`` in split real/imaginary buffers.

    Args:
        v: complex128 state ``(2**n,)``, modified in place.
        qpos, qoff: inner qubits and local-to-global offsets, as :func:`.cpu_block.run_blocked`.
        kind: ``XSWAP``, ``DIAG``, ``DENSE`` or the cheaper dense forms ``4`` (real diagonal,
            imaginary off-diagonal: RX) and ``5`` (real matrix: RY) per op, as given by
            :func:`soa_kind` (one target; DIAG/DENSE uncontrolled).
        tq: local target position; cm: local control mask (XSWAP only).
        par: ``(n_ops, 8)`` float64: the 2x2 matrix (DENSE, row-major re/im) or the
            diagonal (DIAG, first four entries).
        ltab, lh: ``(n_groups, 2, w)`` int64 tables and split bit of the merged X runs
            (kind ``6``, ``tq`` = group index; see :func:`linperm_tables`).
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
            if k == _LINPERM:
                g = tq[o]
                if cur == 0:
                    _linperm_soa(ar, ai, br, bi, ltab[g, 0], ltab[g, 1], lh)
                else:
                    _linperm_soa(br, bi, ar, ai, ltab[g, 0], ltab[g, 1], lh)
                cur ^= 1
            elif k == _XSWAP and tq[o] >= 3:
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
            elif k == _DENSE_RX:
                if cur == 0:
                    _dense1_soa_rx(ar, ai, tq[o], par[o])
                else:
                    _dense1_soa_rx(br, bi, tq[o], par[o])
            elif k == _DENSE_RE:
                if cur == 0:
                    _dense1_soa_re(ar, ai, tq[o], par[o])
                else:
                    _dense1_soa_re(br, bi, tq[o], par[o])
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
