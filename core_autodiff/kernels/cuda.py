"""numba.cuda kernels for the hot primitives (GPU twins of ``kernels.cpu``).

They take cupy arrays (through ``__cuda_array_interface__``) on a GPU, and
numpy arrays under the CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``), which is
how CI exercises them. ``numba.cuda`` is imported when this module is, so
import it lazily.
"""

from __future__ import annotations

import math
from typing import Any

from numba import cuda

THREADS = 128


@cuda.jit
def _gather_rows_kernel(x, idx, out):
    i, k = cuda.grid(2)
    if i < out.shape[0] and k < out.shape[1]:
        out[i, k] = x[idx[i], k]


@cuda.jit
def _scatter_add_rows_kernel(src, idx, out):
    i, k = cuda.grid(2)
    if i < src.shape[0] and k < src.shape[1]:
        cuda.atomic.add(out, (idx[i], k), src[i, k])


@cuda.jit
def _silu_kernel(x, out):
    i = cuda.grid(1)
    if i < x.shape[0]:
        v = x[i]
        out[i] = v / (1.0 + math.exp(-v))


@cuda.jit
def _silu_grad_kernel(x, g, out):
    i = cuda.grid(1)
    if i < x.shape[0]:
        v = x[i]
        s = 1.0 / (1.0 + math.exp(-v))
        out[i] = g[i] * s * (1.0 + v * (1.0 - s))


def _xp(a: Any):
    if type(a).__module__.startswith("cupy"):
        import cupy

        return cupy
    import numpy

    return numpy


def _launch(kernel, grid, block, out, *args):
    """Launch on cupy arrays directly; host numpy arrays (the simulator) are copied in and out."""
    if _xp(out).__name__ == "cupy":
        kernel[grid, block](*args, out)
        return out
    d_args = [cuda.to_device(_xp(a).ascontiguousarray(a)) for a in args]
    d_out = cuda.to_device(out)
    kernel[grid, block](*d_args, d_out)
    return d_out.copy_to_host()


def _grid2(n: int, m: int) -> tuple[tuple[int, int], tuple[int, int]]:
    tpb = (32, 4) if m >= 4 else (THREADS, 1)
    return ((n + tpb[0] - 1) // tpb[0], (m + tpb[1] - 1) // tpb[1]), tpb


def gather_rows(x: Any, idx: Any) -> Any:
    """``x[idx]`` along axis 0 on the device. Shapes as ``kernels.cpu.gather_rows``."""
    xp = _xp(x)
    n = x.shape[0]
    x2 = xp.ascontiguousarray(x).reshape(n, -1)
    out = xp.empty((idx.shape[0], x2.shape[1]), dtype=x.dtype)
    if out.size:
        blocks, tpb = _grid2(out.shape[0], out.shape[1])
        out = _launch(_gather_rows_kernel, blocks, tpb, out, x2, idx)
    return out.reshape((idx.shape[0],) + tuple(x.shape[1:]))


def scatter_add_rows(src: Any, idx: Any, n: int) -> Any:
    """Row scatter-add with atomics. Shapes as ``kernels.cpu.scatter_add_rows``."""
    xp = _xp(src)
    m = src.shape[0]
    src2 = xp.ascontiguousarray(src).reshape(m, -1)
    out = xp.zeros((n, src2.shape[1]), dtype=src.dtype)
    if src2.size:
        blocks, tpb = _grid2(src2.shape[0], src2.shape[1])
        out = _launch(_scatter_add_rows_kernel, blocks, tpb, out, src2, idx)
    return out.reshape((n,) + tuple(src.shape[1:]))


def silu(x: Any) -> Any:
    """x * sigmoid(x) on the device."""
    xp = _xp(x)
    xf = xp.ascontiguousarray(x).reshape(-1)
    out = xp.empty_like(xf)
    if xf.size:
        out = _launch(_silu_kernel, (xf.size + THREADS - 1) // THREADS, THREADS, out, xf)
    return out.reshape(x.shape)


def silu_grad(x: Any, g: Any) -> Any:
    """g * d silu/dx on the device."""
    xp = _xp(x)
    xf = xp.ascontiguousarray(x).reshape(-1)
    gf = xp.ascontiguousarray(xp.broadcast_to(g, x.shape)).reshape(-1)
    out = xp.empty_like(xf)
    if xf.size:
        out = _launch(_silu_grad_kernel, (xf.size + THREADS - 1) // THREADS, THREADS, out, xf, gf)
    return out.reshape(x.shape)
