"""Shape primitives: identity, reshape, transpose, broadcast_to, sum_to,
concatenate, stack, getitem (slicing and integer indexing), astype.

Each vjp is another shape primitive, so all are differentiable to any order:
broadcast_to <-> sum_to, getitem <-> getitem_grad (scatter into zeros),
concatenate -> getitem, reshape -> reshape, transpose -> transpose.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..primitive import Primitive
from ..tensor import Tensor


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class Identity(Primitive):
    name = "identity"

    def forward(self, ctx, xp, x):
        return x

    def vjp(self, ctx, needs, g):
        return (g,)


_identity = Identity()


def identity(x: Tensor) -> Tensor:
    """A new graph tensor equal to ``x`` (gradients flow through unchanged)."""
    return _identity(x)


class Reshape(Primitive):
    name = "reshape"

    def __init__(self, shape):
        self.shape = shape

    def forward(self, ctx, xp, x):
        ctx.in_shape = x.shape
        return x.reshape(self.shape)

    def vjp(self, ctx, needs, g):
        return (reshape(g, ctx.in_shape),)


def reshape(x: Tensor, shape: Sequence[int] | int) -> Tensor:
    """``x`` with a new shape (numpy semantics, -1 allowed)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    x = _t(x)
    if x.shape == shape:
        return x
    return Reshape(shape)(x)


class Transpose(Primitive):
    name = "transpose"

    def __init__(self, axes):
        self.axes = axes

    def forward(self, ctx, xp, x):
        return xp.transpose(x, self.axes)

    def vjp(self, ctx, needs, g):
        if self.axes is None:
            return (transpose(g, None),)
        return (transpose(g, tuple(np.argsort(self.axes))),)


def transpose(x: Tensor, axes: Sequence[int] | None = None) -> Tensor:
    """Permute axes (reverse them when ``axes`` is None)."""
    return Transpose(None if axes is None else tuple(int(a) for a in axes))(x)


def swapaxes(x: Tensor, a: int, b: int) -> Tensor:
    """Exchange two axes."""
    x = _t(x)
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return transpose(x, axes)


def expand_dims(x: Tensor, axis: int) -> Tensor:
    """Insert a length-1 axis at ``axis``."""
    x = _t(x)
    shape = list(x.shape)
    axis = axis if axis >= 0 else axis + x.ndim + 1
    shape.insert(axis, 1)
    return reshape(x, shape)


def squeeze(x: Tensor, axis: int | None = None) -> Tensor:
    """Remove length-1 axes (only ``axis`` if given)."""
    x = _t(x)
    if axis is None:
        shape = [s for s in x.shape if s != 1]
    else:
        axis = axis % x.ndim
        if x.shape[axis] != 1:
            raise ValueError(f"cannot squeeze axis {axis} of size {x.shape[axis]}")
        shape = [s for i, s in enumerate(x.shape) if i != axis]
    return reshape(x, shape)


class BroadcastTo(Primitive):
    name = "broadcast_to"

    def __init__(self, shape):
        self.shape = shape

    def forward(self, ctx, xp, x):
        ctx.in_shape = x.shape
        return xp.broadcast_to(x, self.shape)

    def vjp(self, ctx, needs, g):
        return (sum_to(g, ctx.in_shape),)


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """Broadcast ``x`` to ``shape`` (a read-only view of the data)."""
    x = _t(x)
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return BroadcastTo(shape)(x)


def _sum_to_axes(in_shape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    lead = len(in_shape) - len(shape)
    if lead < 0:
        raise ValueError(f"cannot sum shape {in_shape} to larger rank {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and in_shape[lead + i] != 1
    )
    return axes, lead


class SumTo(Primitive):
    name = "sum_to"

    def __init__(self, shape):
        self.shape = shape

    def forward(self, ctx, xp, x):
        ctx.in_shape = x.shape
        axes, lead = _sum_to_axes(x.shape, self.shape)
        y = x.sum(axis=axes, keepdims=True) if axes else x
        if lead:
            y = y.reshape(self.shape)
        return y

    def vjp(self, ctx, needs, g):
        return (broadcast_to(g, ctx.in_shape),)


def sum_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """Sum ``x`` over broadcast axes so that it has ``shape`` (the adjoint of broadcast_to)."""
    x = _t(x)
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return SumTo(shape)(x)


class Concatenate(Primitive):
    name = "concatenate"

    def __init__(self, axis):
        self.axis = axis

    def forward(self, ctx, xp, *xs):
        ctx.sizes = [x.shape[self.axis] for x in xs]
        return xp.concatenate(xs, axis=self.axis)

    def vjp(self, ctx, needs, g):
        out = []
        start = 0
        nd = g.ndim
        ax = self.axis % nd
        for need, n in zip(needs, ctx.sizes, strict=True):
            if need:
                idx = (slice(None),) * ax + (slice(start, start + n),)
                out.append(getitem(g, idx))
            else:
                out.append(None)
            start += n
        return tuple(out)


def concatenate(xs: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    return Concatenate(axis)(*xs)


def stack(xs: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along a new axis."""
    xs = [_t(x) for x in xs]
    return concatenate([expand_dims(x, axis) for x in xs], axis=axis)


def _normalize_index(index: Any) -> Any:
    """Replace Tensors in an index by their (constant) arrays."""
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index.data if isinstance(index, Tensor) else index


def _is_basic(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, slice | int | np.integer) or i is None or i is Ellipsis for i in items)


class GetItem(Primitive):
    name = "getitem"

    def __init__(self, index):
        self.index = index

    def forward(self, ctx, xp, x):
        ctx.in_shape = x.shape
        return x[self.index]

    def vjp(self, ctx, needs, g):
        return (GetItemGrad(self.index, ctx.in_shape)(g),)


class GetItemGrad(Primitive):
    """Scatter ``g`` into zeros of the source shape at ``index`` (adds on repeats)."""

    name = "getitem_grad"

    def __init__(self, index, shape):
        self.index = index
        self.shape = shape

    def forward(self, ctx, xp, g):
        out = xp.zeros(self.shape, dtype=g.dtype)
        if _is_basic(self.index):
            out[self.index] = g
        elif xp is np:
            np.add.at(out, self.index, g)
        else:
            import cupyx

            cupyx.scatter_add(out, self.index, g)
        return out

    def vjp(self, ctx, needs, gg):
        return (getitem(gg, self.index),)


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]``: basic slicing and integer/boolean array indexing."""
    return GetItem(_normalize_index(index))(x)


class AsType(Primitive):
    name = "astype"

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, ctx, xp, x):
        ctx.in_dtype = x.dtype
        return x.astype(self.dtype)

    def vjp(self, ctx, needs, g):
        return (astype(g, ctx.in_dtype),)


def astype(x: Tensor, dtype: Any) -> Tensor:
    """Cast to ``dtype`` (gradients are cast back)."""
    x = _t(x)
    if x.dtype == np.dtype(dtype):
        return x
    return AsType(np.dtype(dtype))(x)
