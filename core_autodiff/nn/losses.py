"""Losses: plain functions of Tensors built from primitives (differentiable to any order)."""

from __future__ import annotations

from typing import Any

from .. import ops
from ..tensor import Tensor


def mse_loss(pred: Tensor, target: Any) -> Tensor:
    """Mean squared error, averaged over all elements."""
    d = pred - target
    return ops.mean(d * d)


def mae_loss(pred: Tensor, target: Any) -> Tensor:
    """Mean absolute error."""
    return ops.mean(ops.abs(pred - target))


def huber_loss(pred: Tensor, target: Any, delta: float = 1.0) -> Tensor:
    """Huber loss: quadratic below ``delta``, linear above, averaged."""
    d = pred - target
    a = ops.abs(d)
    quad = 0.5 * d * d
    lin = delta * (a - 0.5 * delta)
    return ops.mean(ops.where(a.data <= delta, quad, lin))
