"""numba CPU kernels for the hot primitives: row gather / scatter-add and fused SiLU.

Each kernel has a serial and a parallel (``prange``) variant; the wrappers pick
the parallel one above ``PARALLEL_THRESHOLD`` elements, where thread start-up
is paid back. All work on C-contiguous float32/float64 arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

PARALLEL_THRESHOLD = 1 << 16


# --------------------------------------------------------------------------- gather
@njit(cache=True)
def _gather_rows_serial(x, idx, out):
    m = out.shape[1]
    for i in range(idx.shape[0]):
        r = idx[i]
        for k in range(m):
            out[i, k] = x[r, k]


@njit(cache=True, parallel=True)
def _gather_rows_parallel(x, idx, out):
    m = out.shape[1]
    for i in prange(idx.shape[0]):
        r = idx[i]
        for k in range(m):
            out[i, k] = x[r, k]


def gather_rows(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``x[idx]`` for ``x`` of shape (n, ...) and integer ``idx`` of shape (m,).

    Returns:
        (m, ...) array. Raises IndexError for out-of-range indices.
    """
    n = x.shape[0]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"take: index out of range for axis 0 of size {n}")
    idx = np.where(idx < 0, idx + n, idx) if idx.size and idx.min() < 0 else idx
    x2 = np.ascontiguousarray(x).reshape(n, -1)
    out = np.empty((idx.shape[0], x2.shape[1]), dtype=x.dtype)
    if out.size >= PARALLEL_THRESHOLD:
        _gather_rows_parallel(x2, idx, out)
    else:
        _gather_rows_serial(x2, idx, out)
    return out.reshape((idx.shape[0],) + x.shape[1:])


# --------------------------------------------------------------------------- scatter
@njit(cache=True)
def _scatter_add_rows_serial(src, idx, out):
    m = src.shape[1]
    for i in range(idx.shape[0]):
        r = idx[i]
        for k in range(m):
            out[r, k] += src[i, k]


@njit(cache=True, parallel=True)
def _scatter_add_rows_cols(src, idx, out):
    # parallel over feature columns: each thread owns whole columns, no races
    m = src.shape[1]
    for k in prange(m):
        for i in range(idx.shape[0]):
            out[idx[i], k] += src[i, k]


@njit(cache=True, parallel=True)
def _scatter_add_rows_private(src, idx, out, nthreads):
    # parallel over source rows with one private accumulator per chunk
    n = src.shape[0]
    m = src.shape[1]
    buf = np.zeros((nthreads, out.shape[0], m), dtype=out.dtype)
    chunk = (n + nthreads - 1) // nthreads
    for t in prange(nthreads):
        lo = t * chunk
        hi = min(n, lo + chunk)
        for i in range(lo, hi):
            r = idx[i]
            for k in range(m):
                buf[t, r, k] += src[i, k]
    for t in range(nthreads):
        for r in range(out.shape[0]):
            for k in range(m):
                out[r, k] += buf[t, r, k]


def scatter_add_rows(src: np.ndarray, idx: np.ndarray, n: int) -> np.ndarray:
    """``out = zeros((n, ...)); out[idx[i]] += src[i]`` for every i.

    Args:
        src: (m, ...) values.
        idx: (m,) integer row indices in [0, n).
        n: number of output rows.
    """
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"scatter_add: index out of range [0, {n})")
    m = src.shape[0]
    src2 = np.ascontiguousarray(src).reshape(m, -1)
    out = np.zeros((n, src2.shape[1]), dtype=src.dtype)
    if src2.size >= PARALLEL_THRESHOLD:
        from numba import get_num_threads

        nt = get_num_threads()
        if src2.shape[1] >= 4 * nt:
            _scatter_add_rows_cols(src2, idx, out)
        elif nt > 1 and n * src2.shape[1] * nt <= 4 * src2.size:
            _scatter_add_rows_private(src2, idx, out, nt)
        else:
            _scatter_add_rows_serial(src2, idx, out)
    else:
        _scatter_add_rows_serial(src2, idx, out)
    return out.reshape((n,) + src.shape[1:])


# --------------------------------------------------------------------------- SiLU
@njit(cache=True, fastmath=True)
def _silu_serial(x, out):
    for i in range(x.shape[0]):
        v = x[i]
        out[i] = v / (1.0 + np.exp(-v))


@njit(cache=True, fastmath=True, parallel=True)
def _silu_parallel(x, out):
    for i in prange(x.shape[0]):
        v = x[i]
        out[i] = v / (1.0 + np.exp(-v))


@njit(cache=True, fastmath=True)
def _silu_grad_serial(x, g, out):
    for i in range(x.shape[0]):
        v = x[i]
        s = 1.0 / (1.0 + np.exp(-v))
        out[i] = g[i] * s * (1.0 + v * (1.0 - s))


@njit(cache=True, fastmath=True, parallel=True)
def _silu_grad_parallel(x, g, out):
    for i in prange(x.shape[0]):
        v = x[i]
        s = 1.0 / (1.0 + np.exp(-v))
        out[i] = g[i] * s * (1.0 + v * (1.0 - s))


def silu(x: np.ndarray) -> np.ndarray:
    """x * sigmoid(x), elementwise, one pass."""
    xf = np.ascontiguousarray(x).reshape(-1)
    out = np.empty_like(xf)
    (_silu_parallel if xf.size >= PARALLEL_THRESHOLD else _silu_serial)(xf, out)
    return out.reshape(x.shape)


def silu_grad(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """g * d silu/dx = g * s (1 + x (1 - s)), s = sigmoid(x), elementwise, one pass."""
    xf = np.ascontiguousarray(x).reshape(-1)
    gf = np.ascontiguousarray(np.broadcast_to(g, x.shape)).reshape(-1)
    out = np.empty_like(xf)
    (_silu_grad_parallel if xf.size >= PARALLEL_THRESHOLD else _silu_grad_serial)(xf, gf, out)
    return out.reshape(x.shape)


# --------------------------------------------------------------------------- softplus
@njit(cache=True, fastmath=True, parallel=True)
def _softplus_grad_kernel(x, g, out):
    for i in prange(x.shape[0]):
        # exp(-v) overflows to inf for v << 0, giving exactly 0: no branch needed
        out[i] = g[i] / (1.0 + np.exp(-x[i]))


@njit(cache=True, fastmath=True)
def _softplus_grad_serial(x, g, out):
    for i in range(x.shape[0]):
        out[i] = g[i] / (1.0 + np.exp(-x[i]))


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + e**x) = max(x, 0) + log(1 + e**-|x|), stable for large |x|.

    Composed of numpy's SIMD exp/log in place: faster than a numba loop, whose
    transcendental calls are scalar (no SVML in llvmlite).
    """
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)
    e += 1.0
    np.log(e, out=e)
    e += np.maximum(x, 0.0)
    return e


def softplus_sigmoid(x: np.ndarray, out: np.ndarray | None = None, sig: np.ndarray | None = None,
                     work: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(log(1 + e**x), sigmoid(x)) from one exp(-|x|) pass, both stable for large |x|.

    Unmasked SIMD passes only: numpy's ``where=`` ufunc arguments and
    ``np.where`` run element by element (10x slower than the whole pass here).

    Args:
        x: input array.
        out, sig, work: optional arrays of x's shape and dtype (none of them ``x``)
            for softplus, sigmoid and scratch; reusing them across calls saves the
            page faults of fresh large allocations.
    """
    y = np.empty_like(x) if out is None else out
    e = np.empty_like(x) if sig is None else sig
    d = np.empty_like(x) if work is None else work
    np.abs(x, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)  # e = exp(-|x|) in (0, 1]
    np.add(e, 1.0, out=d)
    np.greater(x, 0.0, out=y)  # 1 where x > 0, else 0
    np.maximum(e, y, out=e)  # numerator: 1 for x > 0 (e <= 1), e below
    e /= d  # sigmoid = 1/(1+e) for x > 0, e/(1+e) below
    np.maximum(x, 0.0, out=y)
    np.log(d, out=d)
    y += d  # softplus = max(x, 0) + log(1 + e)
    return y, e


def softplus_grad(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """g * sigmoid(x), the derivative of softplus, one pass."""
    xf = np.ascontiguousarray(x).reshape(-1)
    gf = np.ascontiguousarray(np.broadcast_to(g, x.shape)).reshape(-1)
    out = np.empty_like(xf)
    (_softplus_grad_kernel if xf.size >= PARALLEL_THRESHOLD else _softplus_grad_serial)(xf, gf, out)
    return out.reshape(x.shape)


# --------------------------------------------------------------------------- messages
@njit(cache=True, fastmath=True, parallel=True)
def _wss_sorted(x, w, src, seg_start, out):
    # dst sorted: segment d owns pairs seg_start[d]:seg_start[d+1]; parallel over segments
    m = x.shape[1]
    for d in prange(out.shape[0]):
        for p in range(seg_start[d], seg_start[d + 1]):
            s = src[p]
            for k in range(m):
                out[d, k] += x[s, k] * w[p, k]


@njit(cache=True, fastmath=True)
def _wss_sorted_serial(x, w, src, seg_start, out):
    m = x.shape[1]
    for d in range(out.shape[0]):
        for p in range(seg_start[d], seg_start[d + 1]):
            s = src[p]
            for k in range(m):
                out[d, k] += x[s, k] * w[p, k]


@njit(cache=True, fastmath=True)
def _wss_serial(x, w, src, dst, out):
    m = x.shape[1]
    for p in range(src.shape[0]):
        s = src[p]
        d = dst[p]
        for k in range(m):
            out[d, k] += x[s, k] * w[p, k]


@njit(cache=True, fastmath=True, parallel=True)
def _wss_cols(x, w, src, dst, out, nchunk):
    # any order: parallel over feature chunks, each thread owns whole columns
    m = x.shape[1]
    step = (m + nchunk - 1) // nchunk
    for c in prange(nchunk):
        lo = c * step
        hi = min(m, lo + step)
        for p in range(src.shape[0]):
            s = src[p]
            d = dst[p]
            for k in range(lo, hi):
                out[d, k] += x[s, k] * w[p, k]


def weighted_segment_sum(x: np.ndarray, w: np.ndarray, src: np.ndarray, dst: np.ndarray,
                         n: int) -> np.ndarray:
    """``out[dst[p]] += x[src[p]] * w[p]`` over pairs p: (n_x, F), (P, F) -> (n, F).

    One pass, without the (P, F) intermediate ``x[src] * w``. Parallel over
    destination segments when ``dst`` is sorted, else over feature columns.
    """
    if src.size and (src.min() < 0 or src.max() >= x.shape[0] or dst.min() < 0 or dst.max() >= n):
        raise IndexError("weighted_segment_sum: index out of range")
    x2 = np.ascontiguousarray(x)
    w2 = np.ascontiguousarray(np.broadcast_to(w, (src.shape[0], x.shape[1])))
    out = np.zeros((n, x.shape[1]), dtype=np.result_type(x.dtype, w.dtype))
    if w2.size < PARALLEL_THRESHOLD:
        _wss_serial(x2, w2, src, dst, out)
    elif dst.size and np.all(dst[1:] >= dst[:-1]):
        seg_start = np.searchsorted(dst, np.arange(n + 1)).astype(np.int64)
        _wss_sorted(x2, w2, src, seg_start, out)
    else:
        from numba import get_num_threads

        _wss_cols(x2, w2, src, dst, out, max(1, min(get_num_threads(), x.shape[1])))
    return out


@njit(cache=True, fastmath=True, parallel=True)
def _gather_mul_kernel(a, ia, b, ib, out):
    m = out.shape[1]
    for p in prange(out.shape[0]):
        r = ia[p]
        s = ib[p]
        for k in range(m):
            out[p, k] = a[r, k] * b[s, k]


@njit(cache=True, fastmath=True)
def _gather_mul_serial(a, ia, b, ib, out):
    m = out.shape[1]
    for p in range(out.shape[0]):
        r = ia[p]
        s = ib[p]
        for k in range(m):
            out[p, k] = a[r, k] * b[s, k]


def gather_mul(a: np.ndarray, ia: np.ndarray, b: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """``a[ia] * b[ib]`` for (n_a, F), (n_b, F) -> (P, F), one pass, no temporaries."""
    if ia.size and (ia.min() < 0 or ia.max() >= a.shape[0] or ib.min() < 0
                    or ib.max() >= b.shape[0]):
        raise IndexError("gather_mul: index out of range")
    out = np.empty((ia.shape[0], a.shape[1]), dtype=np.result_type(a.dtype, b.dtype))
    kern = _gather_mul_kernel if out.size >= PARALLEL_THRESHOLD else _gather_mul_serial
    kern(np.ascontiguousarray(a), ia, np.ascontiguousarray(b), ib, out)
    return out


@njit(cache=True, fastmath=True, parallel=True)
def _poly_grad_kernel(y, g, out, kind):
    # kind 0: g * (1 - y^2) (tanh'), kind 1: g * y * (1 - y) (sigmoid')
    for i in prange(y.shape[0]):
        v = y[i]
        if kind == 0:
            out[i] = g[i] * (1.0 - v * v)
        else:
            out[i] = g[i] * v * (1.0 - v)


@njit(cache=True, fastmath=True)
def _poly_grad_serial(y, g, out, kind):
    for i in range(y.shape[0]):
        v = y[i]
        if kind == 0:
            out[i] = g[i] * (1.0 - v * v)
        else:
            out[i] = g[i] * v * (1.0 - v)


def _poly_grad(y, g, out, kind):
    (_poly_grad_kernel if y.size >= PARALLEL_THRESHOLD else _poly_grad_serial)(y, g, out, kind)


def tanh_grad(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """g * (1 - y^2), one pass."""
    out = np.empty_like(y)
    _poly_grad(np.ascontiguousarray(y).reshape(-1), np.ascontiguousarray(g).reshape(-1),
                      out.reshape(-1), 0)
    return out


def sigmoid_grad(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """g * y * (1 - y), one pass."""
    out = np.empty_like(y)
    _poly_grad(np.ascontiguousarray(y).reshape(-1), np.ascontiguousarray(g).reshape(-1),
                      out.reshape(-1), 1)
    return out
