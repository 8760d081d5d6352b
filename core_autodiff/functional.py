"""Functional gradients: ``grad``, ``value_and_grad``, ``vjp``, ``stop_gradient``.

Semantics follow JAX: the selected positional arguments are differentiated,
results are Tensors. Nesting composes without flags: a functional gradient
taken while another one is active records its own backward pass, so
``grad(lambda x: grad(f)(x).sum())`` and the force-matching loss
``d/dtheta sum |-dE/dx - F_ref|^2`` just work. At top level (the MD loop) the
backward pass is not recorded and the graph is freed afterwards.

``params=`` adds module parameters (MindSpore's ``weights=``); with
``argnums=None`` only parameters are differentiated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import engine
from .backend import is_cupy_array
from .engine import _state, enable_grad
from .tensor import Tensor


def _wrap_arg(a: Any, i: int) -> Tensor:
    """A tensor to differentiate with respect to; still connected to ``a`` when nested."""
    if isinstance(a, Tensor):
        if a.requires_grad and _state.functional_depth > 1:
            from .ops.shape import identity

            return identity(a)
        data = a.data
    elif is_cupy_array(a):
        data = a
    else:
        data = np.asarray(a)
        if data.dtype.kind in "iub":
            raise TypeError(
                f"argument {i} has integer dtype {data.dtype}: gradients need floating-point "
                "inputs (pass e.g. np.asarray(x, dtype=float))"
            )
    if data.dtype.kind not in "fc":
        raise TypeError(f"argument {i} has dtype {data.dtype}: cannot differentiate")
    return Tensor(data, requires_grad=True)


def _normalize_argnums(argnums: int | Sequence[int] | None, nargs: int) -> tuple[int, ...]:
    if argnums is None:
        return ()
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for k in nums:
        if not -nargs <= k < nargs:
            raise ValueError(f"argnums {k} out of range for a function called with {nargs} args")
    return tuple(k % nargs for k in nums)


def value_and_grad(
    fun: Callable[..., Any],
    argnums: int | Sequence[int] | None = 0,
    has_aux: bool = False,
    params: Sequence[Tensor] | None = None,
    allow_unused: bool = False,
) -> Callable[..., Any]:
    """Return ``f(*args) -> (value, grads)``.

    Args:
        fun: function of Tensors returning a scalar Tensor (or ``(scalar, aux)``).
        argnums: position(s) of the arguments to differentiate; ``None`` with
            ``params`` differentiates the parameters only.
        has_aux: ``fun`` returns ``(value, aux)``; the result is then
            ``((value, aux), grads)``.
        params: tensors that require grad (e.g. ``model.parameters()``).
        allow_unused: give zeros for inputs the value does not depend on
            (e.g. the last bias of an energy model under a force-only loss)
            instead of raising.

    Returns:
        grads is one gradient for an int ``argnums``, a tuple for a sequence,
        a list for ``params`` alone, and ``(arg_grads, param_grads)`` for both.

    Raises:
        TypeError: ``fun`` does not return a scalar Tensor.
        RuntimeError: the value does not depend on a requested input.
    """
    param_list = list(params) if params is not None else None

    def wrapped(*args: Any, **kwargs: Any):
        nums = _normalize_argnums(argnums, len(args))
        if not nums and param_list is None:
            raise ValueError("nothing to differentiate: argnums is None and no params given")
        _state.functional_depth += 1
        try:
            create_graph = _state.functional_depth > 1
            with enable_grad():
                new_args = list(args)
                targets = []
                for k in nums:
                    t = _wrap_arg(args[k], k)
                    new_args[k] = t
                    targets.append(t)
                out = fun(*new_args, **kwargs)
                aux = None
                if has_aux:
                    if not (isinstance(out, tuple) and len(out) == 2):
                        raise TypeError("has_aux=True needs fun to return (value, aux)")
                    out, aux = out
                if not isinstance(out, Tensor):
                    raise TypeError(
                        f"fun must return a scalar Tensor, got {type(out).__name__}"
                    )
                if out.size != 1:
                    raise TypeError(f"fun must return a scalar, got shape {out.shape}")
                all_targets = targets + (param_list or [])
                if not out.requires_grad:
                    raise RuntimeError(
                        "the value does not depend on any requested input (was it computed "
                        "under no_grad or from detached data?)"
                    )
                grads = engine.grad([out], all_targets, create_graph=create_graph,
                                    allow_unused=allow_unused)
                if allow_unused:
                    grads = tuple(
                        Tensor(t.xp.zeros(t.shape, dtype=t.dtype)) if g is None else g
                        for g, t in zip(grads, all_targets, strict=True)
                    )
        finally:
            _state.functional_depth -= 1
        value = out if create_graph else out.detach()
        g_args = grads[: len(targets)]
        g_par = list(grads[len(targets):])
        if isinstance(argnums, int):
            ga: Any = g_args[0]
        else:
            ga = tuple(g_args)
        if param_list is None:
            result = ga
        elif not nums:
            result = g_par
        else:
            result = (ga, g_par)
        if has_aux:
            return (value, aux), result
        return value, result

    wrapped.__name__ = f"value_and_grad({getattr(fun, '__name__', 'fun')})"
    return wrapped


def grad(
    fun: Callable[..., Any],
    argnums: int | Sequence[int] | None = 0,
    has_aux: bool = False,
    params: Sequence[Tensor] | None = None,
    allow_unused: bool = False,
) -> Callable[..., Any]:
    """Return ``f(*args) -> grads`` (``(grads, aux)`` with ``has_aux``); see ``value_and_grad``."""
    vg = value_and_grad(fun, argnums, has_aux, params, allow_unused)

    def wrapped(*args: Any, **kwargs: Any):
        if has_aux:
            (_, aux), g = vg(*args, **kwargs)
            return g, aux
        return vg(*args, **kwargs)[1]

    wrapped.__name__ = f"grad({getattr(fun, '__name__', 'fun')})"
    return wrapped


def vjp(fun: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., tuple[Tensor, ...]]]:
    """Evaluate ``fun(*primals)`` and return ``(out, vjp_fn)``.

    ``vjp_fn(cotangent)`` (one cotangent per output; a tuple for tuple outputs)
    returns one gradient per primal. It may be called several times. Inside an
    active functional gradient it records its backward pass.
    """
    _state.functional_depth += 1
    try:
        with enable_grad():
            targets = [_wrap_arg(p, i) for i, p in enumerate(primals)]
            out = fun(*targets)
    finally:
        _state.functional_depth -= 1
    outs = list(out) if isinstance(out, tuple) else [out]

    def vjp_fn(cotangent: Any) -> tuple[Tensor, ...]:
        cts = list(cotangent) if isinstance(out, tuple) else [cotangent]
        if len(cts) != len(outs):
            raise ValueError(f"expected {len(outs)} cotangents, got {len(cts)}")
        record = _state.functional_depth > 0 or any(
            isinstance(c, Tensor) and c.requires_grad for c in cts
        )
        with enable_grad():
            return engine.grad(outs, targets, cts, create_graph=record, retain_graph=True)

    if isinstance(out, tuple):
        shown = tuple(o if _state.functional_depth > 0 else o.detach() for o in outs)
    else:
        shown = out if _state.functional_depth > 0 else out.detach()
    return shown, vjp_fn


def stop_gradient(x: Any) -> Tensor:
    """``x`` as a constant: same data, no gradient flows through."""
    if isinstance(x, Tensor):
        return x.detach()
    return Tensor(x)
