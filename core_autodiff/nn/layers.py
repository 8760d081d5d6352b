"""Layers: Linear, MLP, Sequential, and activation modules."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import ops
from ..tensor import Parameter, Tensor
from . import init as _init
from .module import Module

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "tanh": ops.tanh,
    "silu": ops.silu,
    "swish": ops.silu,
    "relu": ops.relu,
    "sigmoid": ops.sigmoid,
    "softplus": ops.softplus,
    "identity": lambda x: x,
}


def get_activation(name_or_fn: str | Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    """An activation function by name (``ACTIVATIONS``) or the callable itself."""
    if callable(name_or_fn):
        return name_or_fn
    try:
        return ACTIVATIONS[name_or_fn]
    except KeyError:
        raise ValueError(
            f"unknown activation {name_or_fn!r}; expected one of {sorted(ACTIVATIONS)}"
        ) from None


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


class Linear(Module):
    """y = x @ weight + bias; weight (in_features, out_features), bias (out_features,).

    Args:
        in_features, out_features: sizes.
        bias: add a bias vector.
        init: weight initializer name or function (default Xavier uniform);
            biases start at zero.
        seed: int or ``numpy.random.Generator`` for reproducible weights.
        dtype: parameter dtype (float64 default).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 init: Any = "xavier_uniform", seed: Any = None, dtype: Any = np.float64):
        super().__init__()
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        rng = _rng(seed)
        self.weight = Parameter(_init.get(init)((self.in_features, self.out_features), rng, dtype))
        self.bias = Parameter(np.zeros(self.out_features, dtype=dtype)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear expects inputs with last axis {self.in_features}, got shape {x.shape}"
            )
        return ops.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


class Activation(Module):
    """An activation function as a module (for ``Sequential``)."""

    def __init__(self, fn: str | Callable[[Tensor], Tensor]):
        super().__init__()
        self.name = fn if isinstance(fn, str) else getattr(fn, "__name__", "fn")
        self.fn = get_activation(fn)

    def forward(self, x: Tensor) -> Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return self.name


def Tanh() -> Activation:
    return Activation("tanh")


def SiLU() -> Activation:
    return Activation("silu")


def ReLU() -> Activation:
    return Activation("relu")


def Sigmoid() -> Activation:
    return Activation("sigmoid")


def Softplus() -> Activation:
    return Activation("softplus")


class Sequential(Module):
    """Apply modules in order; they are registered as ``"0"``, ``"1"``, ..."""

    def __init__(self, *modules: Module):
        super().__init__()
        self._order: list[str] = []
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential item {i} is a {type(m).__name__}, not a Module")
            setattr(self, str(i), m)
            self._order.append(str(i))

    def __getitem__(self, i: int) -> Module:
        return getattr(self, self._order[i])

    def __len__(self) -> int:
        return len(self._order)

    def forward(self, x: Any) -> Any:
        for name in self._order:
            x = getattr(self, name)(x)
        return x


class MLP(Module):
    """Multi-layer perceptron: Linear layers with an activation between them.

    Args:
        sizes: layer widths ``[in, hidden..., out]`` (at least two entries).
        activation: name or function applied after every layer but the last.
        final_activation: optional activation after the last layer.
        init, seed, dtype: as ``Linear``.

    Example: ``MLP([16, 128, 128, 128, 1], activation="silu")`` maps (..., 16) -> (..., 1).
    """

    def __init__(self, sizes: Sequence[int], activation: Any = "silu",
                 final_activation: Any = None, init: Any = "xavier_uniform", seed: Any = None,
                 dtype: Any = np.float64):
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least input and output sizes, got {sizes}")
        rng = _rng(seed)
        self.sizes = sizes
        self.act = get_activation(activation)
        self.final_act = None if final_activation is None else get_activation(final_activation)
        self.layers = Sequential(*[Linear(a, b, init=init, seed=rng, dtype=dtype)
                                   for a, b in zip(sizes[:-1], sizes[1:], strict=True)])

    def forward(self, x: Tensor) -> Tensor:
        n = len(self.layers)
        for i in range(n):
            x = self.layers[i](x)
            if i < n - 1:
                x = self.act(x)
        if self.final_act is not None:
            x = self.final_act(x)
        return x

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}"
