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
