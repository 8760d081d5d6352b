"""``Primitive``: an operation with its own forward (on raw arrays) and vjp (on Tensors).

Contract (Chainer's FunctionNode, JAX's custom_vjp):

- ``forward(ctx, xp, *arrays)`` works on raw numpy/cupy arrays (``xp`` is the
  array module) and may call kernels. It returns one array or a tuple. It
  must not modify its inputs. It may set attributes on ``ctx`` (raw constants
  for the vjp) and call ``ctx.keep_outputs()`` to use ``ctx.output(j)`` in vjp.
- ``vjp(ctx, needs, *grad_outputs)`` receives Tensors and returns one
  cotangent (Tensor or ``None``) per input; ``needs[i]`` says whether input
  ``i`` needs one. It must be written with Tensor operations: then it is
  itself recorded and the primitive is differentiable to any order.
  ``ctx.inputs`` holds the graph-connected input tensors.
- ``max_order = 1`` declares a primitive once-differentiable (its vjp uses
  raw kernels or stashed results). Differentiating through its vjp again then
  raises instead of returning a silently wrong zero.

Two ways to define one: subclass ``Primitive``, or decorate a function
``f(xp, *arrays, **attrs)`` with ``@primitive`` and attach a vjp with
``f.defvjp(vjp_fn)`` where ``vjp_fn(ctx, needs, g)`` follows the same rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import engine
from .backend import is_cupy_array
from .tensor import Tensor

_state = engine._state
_Node = engine.Node


class Context:
    """Per-call storage shared by ``forward`` and ``vjp``.

    Attributes set in forward are raw constants for the vjp (not differentiated).
    ``inputs`` are the input tensors (graph-connected); ``output(j)`` the
    outputs, when ``keep_outputs()`` was called in forward.
    """

    __slots__ = ("inputs", "_keep_outputs", "_node", "__dict__")

    def __init__(self, inputs: tuple[Tensor, ...]) -> None:
        self.inputs = inputs
        self._keep_outputs = False
        self._node = None

    def keep_outputs(self) -> None:
        """Keep the outputs so that ``output(j)`` works in vjp."""
        self._keep_outputs = True

    def output(self, j: int = 0) -> Tensor:
        """Output ``j`` as a graph tensor (differentiable inside the vjp)."""
        if self._node is None:
            raise RuntimeError("ctx.output() is only available in vjp of a recorded call")
        return self._node.output(j)


def _check_backend(prim: Primitive, arrays: list[Any]) -> Any:
    """Return the array module; raise if numpy and cupy arrays are mixed."""
    kinds = set()
    for a in arrays:
        if type(a) is np.ndarray:
            if a.ndim > 0:
                kinds.add("numpy")
        elif is_cupy_array(a):
            kinds.add("cupy")
    if "cupy" in kinds:
        if "numpy" in kinds:
            desc = ", ".join(
                f"input {i}: {type(a).__module__.split('.')[0]}.{type(a).__name__}"
                f"{getattr(a, 'shape', '')}"
                for i, a in enumerate(arrays)
            )
            raise TypeError(
                f"primitive {prim.name!r} got arrays on different backends ({desc}); move them "
                "to one device first (Tensor.to('cpu') or Tensor.to('cuda'))"
            )
        import cupy

        return cupy
    return np


class Primitive:
    """Base class of every differentiable operation. See the module docstring."""

    name: str = "primitive"
    max_order: int | None = None

    def forward(self, ctx: Context, xp: Any, *arrays: Any) -> Any:
        raise NotImplementedError

    def vjp(self, ctx: Context, needs: tuple[bool, ...], *grad_outputs: Tensor) -> Any:
        raise NotImplementedError(f"primitive {self.name!r} defines no vjp")

    def __call__(self, *args: Any) -> Any:
        """Apply to tensors / arrays; returns a Tensor or a tuple of Tensors."""
        tensors = []
        arrays = []
        wants_grad = False
        foreign = False
        for a in args:
            if not isinstance(a, Tensor):
                a = Tensor(a)
            tensors.append(a)
            d = a.data
            arrays.append(d)
            if a.requires_grad:
                wants_grad = True
            if type(d) is not np.ndarray:
                foreign = True
        xp = _check_backend(self, arrays) if foreign else np
        inputs = tuple(tensors)
        ctx = Context(inputs)
        out = self.forward(ctx, xp, *arrays)
        single = type(out) is not tuple
        outs = (out,) if single else out
        if wants_grad and _state.enabled:
            node = _Node(self, ctx, inputs, outs)
            ctx._node = node
            results = [_new(o, True, node, j) for j, o in enumerate(outs)]
        else:
            results = [_new(o, False, None, 0) for o in outs]
        return results[0] if single else tuple(results)


def _new(data: Any, requires_grad: bool, node: Any, index: int) -> Tensor:
    t = _tensor_new(Tensor)
    t.data = data
    t.requires_grad = requires_grad
    t.node = node
    t.index = index
    t.grad = None
    t.name = None
    return t


_tensor_new = Tensor.__new__


class OnceDifferentiableBarrier(Primitive):
    """Identity on its first input; differentiating through it raises.

    The engine wraps the cotangents of a ``max_order=1`` primitive in this
    barrier when a backward is recorded, so that a second derivative through
    that primitive fails loudly.
    """

    max_order = None

    def __init__(self, origin: str) -> None:
        self.name = f"barrier[{origin}]"
        self.origin = origin

    def forward(self, ctx, xp, g, *deps):
        return g

    def vjp(self, ctx, needs, g):
        raise RuntimeError(
            f"primitive {self.origin!r} is once-differentiable (max_order=1): it cannot be "
            "differentiated twice"
        )


class _FunctionPrimitive(Primitive):
    def __init__(self, fn: Callable[..., Any], attrs: dict[str, Any], vjp_fn, max_order) -> None:
        self.fn = fn
        self.attrs = attrs
        self.vjp_fn = vjp_fn
        self.name = fn.__name__
        self.max_order = max_order

    def forward(self, ctx, xp, *arrays):
        ctx.attrs = self.attrs
        return self.fn(xp, *arrays, **self.attrs)

    def vjp(self, ctx, needs, *gouts):
        if self.vjp_fn is None:
            raise NotImplementedError(
                f"primitive {self.name!r} has no vjp: attach one with {self.name}.defvjp(...)"
            )
        return self.vjp_fn(ctx, needs, *gouts)


class primitive:
    """Decorator: turn ``f(xp, *arrays, **attrs)`` into a differentiable operation.

    Example::

        @ad.primitive
        def cube(xp, x):
            return x ** 3

        @cube.defvjp
        def _cube_vjp(ctx, needs, g):
            (x,) = ctx.inputs
            return (g * 3.0 * x * x,)

    Calling ``cube(t)`` with Tensors records the call; keyword arguments are
    static attributes passed to ``f``. ``@primitive(max_order=1)`` declares it
    once-differentiable.
    """

    def __init__(self, fn: Callable[..., Any] | None = None, *, max_order: int | None = None):
        self.max_order = max_order
        self.vjp_fn = None
        self.fn = fn
        if fn is not None:
            self.__name__ = fn.__name__
            self.__doc__ = fn.__doc__

    def __call__(self, *args: Any, **attrs: Any) -> Any:
        if self.fn is None:  # used as @primitive(max_order=...)
            (fn,) = args
            self.fn = fn
            self.__name__ = fn.__name__
            self.__doc__ = fn.__doc__
            return self
        return _FunctionPrimitive(self.fn, attrs, self.vjp_fn, self.max_order)(*args)

    def defvjp(self, vjp_fn: Callable[..., Any]) -> Callable[..., Any]:
        """Attach the vjp ``vjp_fn(ctx, needs, *grad_outputs) -> tuple``; returns it."""
        self.vjp_fn = vjp_fn
        return vjp_fn
