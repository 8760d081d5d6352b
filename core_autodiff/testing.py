"""Numerical gradient checks shared by all three packages.

``check_grads(f, args, order=2)`` compares reverse-mode gradients with central
finite differences by random projections (autograd's ``check_vjp``): for a
random cotangent ``u`` and a random direction ``v``,
``<u, (f(x + h v) - f(x - h v)) / 2h>`` must equal ``<vjp(u), v>``. One scalar
per check, so it scales to large inputs. With ``order=2`` the same check is
applied to the function ``x -> <vjp_x(u), w>``, which differentiates the vjp
itself (double backprop).

``check_primitive`` is the harness every primitive passes: forward against a
numpy reference, gradients to the stated order, no-grad parity (same values,
no graph), numpy/cupy parity when cupy has a device, and for
once-differentiable primitives, that a second derivative raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .backend import cupy_or_none, to_device
from .engine import no_grad
from .functional import grad as _grad
from .tensor import Tensor

#: (rtol, atol) for comparing analytic and numerical derivatives, per dtype
TOLERANCES: dict[Any, tuple[float, float]] = {
    np.dtype(np.float64): (1e-5, 1e-7),
    np.dtype(np.float32): (2e-2, 2e-3),
}
#: finite-difference step per dtype
STEPS: dict[Any, float] = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-2}


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _to_tensor(y: Any) -> Tensor:
    return y if isinstance(y, Tensor) else Tensor(np.asarray(y))


def check_grads(
    f: Callable[..., Any],
    args: Sequence[Any],
    order: int = 2,
    argnums: Sequence[int] | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    eps: float | None = None,
    seed: int = 0,
) -> None:
    """Check gradients of ``f`` at ``args`` against central differences, to ``order``.

    Args:
        f: function of Tensors returning a Tensor of any shape.
        args: arrays (or Tensors) at which to check; floating-point ones are
            differentiated unless ``argnums`` restricts them.
        order: 1 checks the vjp; 2 also checks the vjp of the vjp; and so on.
        argnums: which arguments to differentiate (default: all floating ones).
        rtol, atol, eps: tolerances and step (default: by dtype, see TOLERANCES).
        seed: seed of the random projections.

    Raises:
        AssertionError: with both numbers and the order at which they differ.
    """
    rng = np.random.default_rng(seed)
    arrays = [_raw(a) for a in args]
    if argnums is None:
        argnums = [i for i, a in enumerate(arrays) if to_device(a, "cpu").dtype.kind == "f"]
    argnums = list(argnums)
    if not argnums:
        raise ValueError("check_grads: no floating-point argument to differentiate")
    dtype = np.result_type(*[arrays[i].dtype for i in argnums])
    r0, a0 = TOLERANCES.get(dtype, TOLERANCES[np.dtype(np.float64)])
    rtol = r0 if rtol is None else rtol
    atol = a0 if atol is None else atol
    h = STEPS.get(dtype, 1e-6) if eps is None else eps
    xp = arrays[argnums[0]].__class__.__module__.startswith("cupy") and cupy_or_none() or np

    def fa(*xs):
        return _to_tensor(f(*xs))

    with no_grad():
        y0 = fa(*[Tensor(a) for a in arrays])
    u = xp.asarray(rng.standard_normal(y0.shape)).astype(y0.dtype)
    vs = [xp.asarray(rng.standard_normal(arrays[i].shape)).astype(arrays[i].dtype) for i in argnums]

    # numerical directional derivative <u, J v>
    def shifted(sign: float) -> Any:
        xs = list(arrays)
        for i, v in zip(argnums, vs, strict=True):
            xs[i] = arrays[i] + sign * h * v
        with no_grad():
            return fa(*[Tensor(x) for x in xs]).data

    num = float(xp.sum(u * (shifted(1.0) - shifted(-1.0)) / (2 * h)))

    # analytic <J^T u, v>
    def projected(*xs):
        return (fa(*xs) * Tensor(u)).sum()

    gs = _grads_or_zeros(projected, arrays, argnums)
    ana = float(sum(float(xp.sum(g.data * v)) for g, v in zip(gs, vs, strict=True)))
    scale = max(abs(num), abs(ana), 1.0)
    if not abs(num - ana) <= atol * scale + rtol * max(abs(num), abs(ana)):
        raise AssertionError(
            f"gradient check failed {order_label(order)}: analytic <vjp(u), v> = {ana!r}, "
            f"central difference = {num!r} (difference {abs(num - ana):.3e}, "
            f"rtol {rtol}, atol {atol})"
        )
    if order > 1:
        ws = [xp.asarray(rng.standard_normal(arrays[i].shape)).astype(arrays[i].dtype)
              for i in argnums]

        def vjp_projection(*xs):
            gs_ = _grads_or_zeros(projected, xs, argnums)
            total = Tensor(xp.zeros((), dtype=dtype))
            for g, w in zip(gs_, ws, strict=True):
                total = total + (g * Tensor(w)).sum()
            return total

        check_grads(vjp_projection, arrays, order - 1, argnums, rtol * 3, atol * 3, eps, seed + 1)


def _grads_or_zeros(fn, arrays, argnums):
    """Gradients of a scalar function, zeros for inputs it does not depend on.

    Like ``grad`` (nested calls record their backward pass) but with
    ``allow_unused``: a connection that should exist and is lost is still
    caught, since the central difference is then non-zero.
    """
    from . import engine
    from .functional import _wrap_arg

    engine._state.functional_depth += 1
    try:
        with engine.enable_grad():
            xs = list(arrays)
            targets = []
            for i in argnums:
                xs[i] = _wrap_arg(arrays[i], i)
                targets.append(xs[i])
            out = _to_tensor(fn(*xs))
            if not out.requires_grad:
                gs = [None] * len(targets)
            else:
                gs = engine.grad([out], targets, allow_unused=True,
                                 create_graph=engine._state.functional_depth > 1)
    finally:
        engine._state.functional_depth -= 1
    return tuple(Tensor(arrays[i] * 0) if g is None else g
                 for i, g in zip(argnums, gs, strict=True))


def order_label(order: int) -> str:
    return f"(remaining order {order})"


def check_primitive(
    fn: Callable[..., Any],
    args: Sequence[Any],
    reference: Callable[..., Any] | None = None,
    order: int = 2,
    once_differentiable: bool = False,
    argnums: Sequence[int] | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int = 0,
) -> None:
    """The shared checker for a primitive (or any differentiable function).

    1. forward equals ``reference(*numpy_args)`` (when given);
    2. gradients to ``order`` by ``check_grads`` (order 1 if once-differentiable);
    3. once-differentiable: a second derivative raises ``RuntimeError``;
    4. no-grad parity: same values under ``no_grad()`` and no graph recorded;
    5. numpy/cupy parity when cupy sees a device.

    Raises:
        AssertionError: naming the failing check.
    """
    arrays = [_raw(a) for a in args]
    tens = [Tensor(a, requires_grad=isinstance(a, np.ndarray) and a.dtype.kind == "f")
            for a in arrays]
    out = _to_tensor(fn(*tens))
    dtype = out.dtype
    r0, a0 = TOLERANCES.get(dtype, TOLERANCES[np.dtype(np.float64)])
    fr, fa_ = (1e-12, 1e-12) if dtype == np.float64 else (1e-5, 1e-6)
    if reference is not None:
        ref = np.asarray(reference(*[np.asarray(a) for a in arrays]))
        if ref.shape != out.shape:
            raise AssertionError(f"forward shape {out.shape} != reference shape {ref.shape}")
        np.testing.assert_allclose(out.numpy(), ref, rtol=max(fr, 1e-10), atol=fa_,
                                   err_msg="forward differs from the reference")
    check_grads(fn, arrays, 1 if once_differentiable else order, argnums, rtol, atol, seed=seed)
    if once_differentiable:
        nums = argnums or [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]

        def first(*xs):
            return (_to_tensor(fn(*xs)) * 1.0).sum()

        try:
            _grad(lambda *xs: _grad(first, argnums=tuple(nums))(*xs)[0].sum(),
                  argnums=tuple(nums))(*arrays)
        except RuntimeError:
            pass
        else:
            raise AssertionError("a once-differentiable primitive was differentiated twice "
                                 "without raising")
    with no_grad():
        out_ng = _to_tensor(fn(*tens))
    if out_ng.node is not None:
        raise AssertionError("a graph node was recorded under no_grad()")
    np.testing.assert_allclose(out_ng.numpy(), out.numpy(), rtol=fr, atol=fa_,
                               err_msg="no_grad() changes the forward result")
    cp = cupy_or_none()
    if cp is not None:
        gpu_out = _to_tensor(fn(*[Tensor(cp.asarray(a)) for a in arrays]))
        np.testing.assert_allclose(gpu_out.numpy(), out.numpy(), rtol=max(r0, 1e-9), atol=a0,
                                   err_msg="cupy result differs from numpy")
