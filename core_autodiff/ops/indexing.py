"""Gather and scatter along axis 0, built for graphs and neighbour lists.

``take(x, idx)`` is ``x[idx]`` (rows); ``scatter_add(src, idx, n)`` adds row
``i`` of ``src`` into row ``idx[i]`` of an ``(n, ...)`` zero array;
``segment_sum(data, segment_ids, num_segments)`` is the same operation under
its graph-network name. Each is the other's vjp, so the pair is closed under
differentiation to any order. Indices are constants (integer arrays).
CPU: numba kernels; GPU: numba.cuda kernels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import Primitive
from ..tensor import Tensor


def _index_array(idx: Any, xp) -> Any:
    a = idx.data if isinstance(idx, Tensor) else idx
    a = xp.asarray(a)
    if a.dtype.kind not in "iu":
        raise TypeError(f"indices must be integers, got dtype {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"indices must be 1-D, got shape {a.shape}")
    return a.astype(xp.int64, copy=False)


class Take(Primitive):
    name = "take"

    def __init__(self, idx):
        self.idx = idx

    def forward(self, ctx, xp, x):
        ctx.n = x.shape[0]
        if xp is np:
            if x.dtype.kind == "f" and x.ndim >= 1:
                from ..kernels import cpu

                return cpu.gather_rows(x, self.idx)
            return x[self.idx]
        from ..kernels import cuda

        return cuda.gather_rows(x, self.idx)

    def vjp(self, ctx, needs, g):
        return (ScatterAdd(self.idx, ctx.n)(g),)


class ScatterAdd(Primitive):
    name = "scatter_add"

    def __init__(self, idx, n):
        self.idx = idx
        self.n = n

    def forward(self, ctx, xp, src):
        if src.shape[0] != self.idx.shape[0]:
            raise ValueError(
                f"scatter_add: {src.shape[0]} source rows but {self.idx.shape[0]} indices"
            )
        if xp is np:
            if src.dtype.kind == "f":
                from ..kernels import cpu

                return cpu.scatter_add_rows(src, self.idx, self.n)
            out = np.zeros((self.n,) + src.shape[1:], dtype=src.dtype)
            np.add.at(out, self.idx, src)
            return out
        from ..kernels import cuda

        return cuda.scatter_add_rows(src, self.idx, self.n)

    def vjp(self, ctx, needs, g):
        return (Take(self.idx)(g),)


def take(x: Any, idx: Any) -> Tensor:
    """Rows ``x[idx]``: (n, ...) -> (len(idx), ...)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return Take(_index_array(idx, x.xp))(x)


def scatter_add(src: Any, idx: Any, n: int) -> Tensor:
    """Sum rows of ``src`` (m, ...) into ``n`` rows at ``idx`` (m,) -> (n, ...)."""
    src = src if isinstance(src, Tensor) else Tensor(src)
    return ScatterAdd(_index_array(idx, src.xp), int(n))(src)


def segment_sum(data: Any, segment_ids: Any, num_segments: int) -> Tensor:
    """Sum ``data`` rows per segment: out[s] = sum of data[i] with segment_ids[i] == s."""
    return scatter_add(data, segment_ids, num_segments)


class WeightedSegmentSum(Primitive):
    """out[dst[p]] += x[src[p]] * w[p]: one message-passing sweep without the (P, F) temporary."""

    name = "weighted_segment_sum"

    def __init__(self, src, dst, n):
        self.src = src
        self.dst = dst
        self.n = n

    def forward(self, ctx, xp, x, w):
        ctx.n_x = x.shape[0]
        if xp is np and x.ndim == 2 and x.dtype.kind == "f" and w.dtype == x.dtype:
            from ..kernels import cpu

            return cpu.weighted_segment_sum(x, w, self.src, self.dst, self.n)
        msg = x[self.src] * w
        if xp is np:
            out = np.zeros((self.n,) + msg.shape[1:], dtype=msg.dtype)
            np.add.at(out, self.dst, msg)
            return out
        import cupyx

        out = xp.zeros((self.n,) + msg.shape[1:], dtype=msg.dtype)
        cupyx.scatter_add(out, self.dst, msg)
        return out

    def vjp(self, ctx, needs, g):
        x, w = ctx.inputs
        gx = gw = None
        if needs[0]:
            gx = WeightedSegmentSum(self.dst, self.src, ctx.n_x)(g, w)
        if needs[1]:
            gw = GatherMul(self.dst, self.src)(g, x)
            if gw.shape != w.shape:
                from .shape import sum_to

                gw = sum_to(gw, w.shape)
        return (gx, gw)


def weighted_segment_sum(x: Any, w: Any, src: Any, dst: Any, num_segments: int) -> Tensor:
    """Message passing ``out[d] = sum_{p: dst[p] = d} x[src[p]] * w[p]``.

    Equal to ``segment_sum(take(x, src) * w, dst, num_segments)`` but one fused
    kernel on the CPU (no (P, F) temporary). x: (n_x, F), w: (P, F) -> (num_segments, F).
    Differentiable to any order (its vjp is itself plus gathers).
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    w = w if isinstance(w, Tensor) else Tensor(w)
    s = _index_array(src, x.xp)
    d = _index_array(dst, x.xp)
    if s.shape != d.shape or (w.ndim and w.shape[0] != s.shape[0]):
        raise ValueError(f"weighted_segment_sum: {s.shape[0]} sources, {d.shape[0]} "
                         f"destinations, weights of shape {w.shape}")
    return WeightedSegmentSum(s, d, int(num_segments))(x, w)


class GatherMul(Primitive):
    """out[p] = a[ia[p]] * b[ib[p]]: the pair products of message passing, one pass."""

    name = "gather_mul"

    def __init__(self, ia, ib):
        self.ia = ia
        self.ib = ib

    def forward(self, ctx, xp, a, b):
        ctx.na, ctx.nb = a.shape[0], b.shape[0]
        if (xp is np and a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype
                and a.dtype.kind == "f" and a.shape[1] == b.shape[1]):
            from ..kernels import cpu

            return cpu.gather_mul(a, self.ia, b, self.ib)
        return a[self.ia] * b[self.ib]

    def vjp(self, ctx, needs, g):
        a, b = ctx.inputs
        ga = WeightedSegmentSum(self.ib, self.ia, ctx.na)(b, g) if needs[0] else None
        gb = WeightedSegmentSum(self.ia, self.ib, ctx.nb)(a, g) if needs[1] else None
        return (ga, gb)


def gather_mul(a: Any, ia: Any, b: Any, ib: Any) -> Tensor:
    """Pair products ``a[ia] * b[ib]``: (n_a, F), (n_b, F) -> (P, F), any-order differentiable."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    return GatherMul(_index_array(ia, a.xp), _index_array(ib, b.xp))(a, b)
