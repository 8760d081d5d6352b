"""Reductions: sum, mean, max, logsumexp (axis=None | int | tuple, keepdims)."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..primitive import Primitive
from ..tensor import Tensor
from .elementwise import exp, log
from .shape import broadcast_to, reshape


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int | np.integer):
        axis = (int(axis),)
    out = []
    for a in axis:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} out of range for a tensor of rank {ndim}")
        out.append(a % builtins.max(ndim, 1))
    return tuple(sorted(out))


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Primitive):
    name = "sum"

    def __init__(self, axes, keepdims):
        self.axes = axes
        self.keepdims = keepdims

    def forward(self, ctx, xp, x):
        ctx.in_shape = x.shape
        return xp.asarray(x.sum(axis=self.axes, keepdims=self.keepdims))

    def vjp(self, ctx, needs, g):
        shape = ctx.in_shape
        if not self.keepdims:
            g = reshape(g, _kept_shape(shape, self.axes))
        return (broadcast_to(g, shape),)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (all axes when None)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return Sum(_axes(axis, x.ndim), keepdims)(x)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis``."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    axes = _axes(axis, x.ndim)
    n = 1
    for a in axes:
        n *= x.shape[a]
    return sum(x, axes, keepdims) * (1.0 / builtins.max(n, 1))


class Max(Primitive):
    name = "max"

    def __init__(self, axes, keepdims):
        self.axes = axes
        self.keepdims = keepdims

    def forward(self, ctx, xp, x):
        m = x.max(axis=self.axes, keepdims=True)
        mask = x == m
        ctx.weights = mask / mask.sum(axis=self.axes, keepdims=True)  # ties share the gradient
        return m if self.keepdims else xp.asarray(m.reshape(
            tuple(s for i, s in enumerate(x.shape) if i not in self.axes)))

    def vjp(self, ctx, needs, g):
        x = ctx.inputs[0]
        if not self.keepdims:
            g = reshape(g, _kept_shape(x.shape, self.axes))
        return (g * Tensor(ctx.weights.astype(x.dtype, copy=False)),)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over ``axis``; tied maxima share the gradient equally."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return Max(_axes(axis, x.ndim), keepdims)(x)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``axis``, shifted by the (constant) maximum for stability."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    axes = _axes(axis, x.ndim)
    m = x.data.max(axis=axes, keepdims=True)
    m = x.xp.where(x.xp.isfinite(m), m, 0)
    shifted = x - Tensor(m)
    out = log(sum(exp(shifted), axes, keepdims=True)) + Tensor(m)
    if not keepdims:
        out = reshape(out, tuple(s for i, s in enumerate(x.shape) if i not in axes))
    return out
