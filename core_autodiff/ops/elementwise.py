"""Elementwise primitives with numpy broadcasting.

Binary ops accept Tensors, arrays and Python scalars; a Python scalar takes
the tensor's dtype (numpy's weak-scalar rule). Cotangents of broadcast inputs
are summed back with ``sum_to``. Activations whose derivatives are hot in
training (tanh, sigmoid, SiLU) have companion ``*Grad`` primitives with one
fused kernel each, whose own vjps are composed from primitives, so every op
here is differentiable to any order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import Primitive
from ..tensor import Tensor
from .shape import sum_to

_SCALARS = (int, float, complex, np.number, np.bool_)


def _const_like(v: Any, ref: Tensor) -> Tensor:
    if isinstance(v, _SCALARS):
        dt = np.result_type(ref.dtype, v) if ref.dtype.kind in "fc" else None
        return Tensor(ref.xp.asarray(v, dtype=dt))
    return Tensor(v)


def _pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    if isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            b = _const_like(b, a)
    elif isinstance(b, Tensor):
        a = _const_like(a, b)
    else:
        a = Tensor(np.asarray(a))
        b = _const_like(b, a)
    return a, b


def _unb(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    return g if g.shape == shape else sum_to(g, shape)


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# --------------------------------------------------------------------------- arithmetic
class Add(Primitive):
    name = "add"

    def forward(self, ctx, xp, a, b):
        return a + b

    def vjp(self, ctx, needs, g):
        a, b = ctx.inputs
        return (_unb(g, a.shape) if needs[0] else None, _unb(g, b.shape) if needs[1] else None)


class Sub(Primitive):
    name = "sub"

    def forward(self, ctx, xp, a, b):
        return a - b

    def vjp(self, ctx, needs, g):
        a, b = ctx.inputs
        return (_unb(g, a.shape) if needs[0] else None, _unb(-g, b.shape) if needs[1] else None)


class Mul(Primitive):
    name = "mul"

    def forward(self, ctx, xp, a, b):
        return a * b

    def vjp(self, ctx, needs, g):
        a, b = ctx.inputs
        return (
            _unb(g * b, a.shape) if needs[0] else None,
            _unb(g * a, b.shape) if needs[1] else None,
        )


class Div(Primitive):
    name = "div"

    def forward(self, ctx, xp, a, b):
        ctx.keep_outputs()
        return a / b

    def vjp(self, ctx, needs, g):
        a, b = ctx.inputs
        ga = g / b
        gb = _unb(-(ga * ctx.output()), b.shape) if needs[1] else None
        return (_unb(ga, a.shape) if needs[0] else None, gb)


class Neg(Primitive):
    name = "neg"

    def forward(self, ctx, xp, x):
        return -x

    def vjp(self, ctx, needs, g):
        return (-g,)


class PowScalar(Primitive):
    name = "pow_scalar"

    def __init__(self, p):
        self.p = p

    def forward(self, ctx, xp, x):
        p = self.p
        if p == 2:
            return x * x
        return x**p

    def vjp(self, ctx, needs, g):
        (x,) = ctx.inputs
        p = self.p
        if p == 2:
            return (g * (x * 2.0),)
        if p == 1:
            return (g,)
        return (g * (p * pow(x, p - 1)),)


class Pow(Primitive):
    name = "pow"

    def forward(self, ctx, xp, a, b):
        ctx.keep_outputs()
        return a**b

    def vjp(self, ctx, needs, g):
        a, b = ctx.inputs
        out = ctx.output()
        ga = _unb(g * b * pow(a, b - 1.0), a.shape) if needs[0] else None
        gb = _unb(g * out * log(a), b.shape) if needs[1] else None
        return (ga, gb)


_add, _sub, _mul, _div, _neg = Add(), Sub(), Mul(), Div(), Neg()


def add(a: Any, b: Any) -> Tensor:
    """a + b (broadcasting)."""
    return _add(*_pair(a, b))


def sub(a: Any, b: Any) -> Tensor:
    """a - b (broadcasting)."""
    return _sub(*_pair(a, b))


def mul(a: Any, b: Any) -> Tensor:
    """a * b (broadcasting)."""
    return _mul(*_pair(a, b))


def div(a: Any, b: Any) -> Tensor:
    """a / b (broadcasting)."""
    return _div(*_pair(a, b))


def neg(x: Any) -> Tensor:
    """-x."""
    return _neg(x)


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 (mirrors numpy.power)
    """a ** b; a Python-number exponent uses a cheaper primitive."""
    if isinstance(b, int | float) and not isinstance(b, bool) and isinstance(a, Tensor):
        return PowScalar(b)(a)
    return Pow()(*_pair(a, b))


def square(x: Any) -> Tensor:
    """x * x."""
    return PowScalar(2)(_t(x))


# --------------------------------------------------------------------------- unary math
class _Unary(Primitive):
    fn = ""

    def forward(self, ctx, xp, x):
        return getattr(xp, self.fn)(x)


class Exp(_Unary):
    name = fn = "exp"

    def forward(self, ctx, xp, x):
        ctx.keep_outputs()
        return xp.exp(x)

    def vjp(self, ctx, needs, g):
        return (g * ctx.output(),)


class Log(_Unary):
    name = fn = "log"

    def vjp(self, ctx, needs, g):
        return (g / ctx.inputs[0],)


class Sqrt(_Unary):
    name = fn = "sqrt"

    def forward(self, ctx, xp, x):
        ctx.keep_outputs()
        return xp.sqrt(x)

    def vjp(self, ctx, needs, g):
        return (g * 0.5 / ctx.output(),)


class Sin(_Unary):
    name = fn = "sin"

    def vjp(self, ctx, needs, g):
        return (g * cos(ctx.inputs[0]),)


class Cos(_Unary):
    name = fn = "cos"

    def vjp(self, ctx, needs, g):
        return (-(g * sin(ctx.inputs[0])),)


class Abs(_Unary):
    name = fn = "abs"

    def vjp(self, ctx, needs, g):
        x = ctx.inputs[0]
        return (g * Tensor(x.xp.sign(x.data)),)


class Erf(Primitive):
    name = "erf"

    def forward(self, ctx, xp, x):
        return _special(xp).erf(x)

    def vjp(self, ctx, needs, g):
        x = ctx.inputs[0]
        return (g * (2.0 / np.sqrt(np.pi)) * exp(-(x * x)),)


class Erfc(Primitive):
    name = "erfc"

    def forward(self, ctx, xp, x):
        return _special(xp).erfc(x)

    def vjp(self, ctx, needs, g):
        x = ctx.inputs[0]
        return (g * (-2.0 / np.sqrt(np.pi)) * exp(-(x * x)),)


def _special(xp):
    if xp is np:
        import scipy.special

        return scipy.special
    import cupyx.scipy.special

    return cupyx.scipy.special


class Arctan2(Primitive):
    name = "arctan2"

    def forward(self, ctx, xp, y, x):
        return xp.arctan2(y, x)

    def vjp(self, ctx, needs, g):
        y, x = ctx.inputs
        r2 = x * x + y * y
        gy = _unb(g * x / r2, y.shape) if needs[0] else None
        gx = _unb(-(g * y) / r2, x.shape) if needs[1] else None
        return (gy, gx)


_exp, _log, _sqrt, _sin, _cos, _abs = Exp(), Log(), Sqrt(), Sin(), Cos(), Abs()
_erf, _erfc, _arctan2 = Erf(), Erfc(), Arctan2()


def exp(x: Any) -> Tensor:
    """e**x."""
    return _exp(x)


def log(x: Any) -> Tensor:
    """Natural logarithm."""
    return _log(x)


def sqrt(x: Any) -> Tensor:
    """Square root (see ``safe_norm`` for distances that can be zero)."""
    return _sqrt(x)


def sin(x: Any) -> Tensor:
    """Sine (radians)."""
    return _sin(x)


def cos(x: Any) -> Tensor:
    """Cosine (radians)."""
    return _cos(x)


def abs(x: Any) -> Tensor:  # noqa: A001 (mirrors numpy.abs)
    """|x| (subgradient 0 at 0)."""
    return _abs(x)


def erf(x: Any) -> Tensor:
    """Error function."""
    return _erf(x)


def erfc(x: Any) -> Tensor:
    """Complementary error function 1 - erf(x) (Ewald real space)."""
    return _erfc(x)


def arctan2(y: Any, x: Any) -> Tensor:
    """Angle of (x, y) in radians, in (-pi, pi] (dihedrals)."""
    return _arctan2(*_pair(y, x))


# --------------------------------------------------------------------------- activations
class Tanh(Primitive):
    name = "tanh"

    def forward(self, ctx, xp, x):
        ctx.keep_outputs()
        return xp.tanh(x)

    def vjp(self, ctx, needs, g):
        return (_tanh_grad(ctx.output(), g),)


class TanhGrad(Primitive):
    """(y, g) -> g * (1 - y**2), the derivative of tanh from its output."""

    name = "tanh_grad"

    def forward(self, ctx, xp, y, g):
        if xp is np and y.shape == g.shape and y.dtype == g.dtype and y.dtype.kind == "f":
            from ..kernels import cpu

            return cpu.tanh_grad(y, g)
        return g * (1.0 - y * y)

    def vjp(self, ctx, needs, gg):
        y, g = ctx.inputs
        gy = gg * g * (y * -2.0) if needs[0] else None
        return (gy, _tanh_grad(y, gg) if needs[1] else None)


class Sigmoid(Primitive):
    name = "sigmoid"

    def forward(self, ctx, xp, x):
        ctx.keep_outputs()
        return _sigmoid_raw(xp, x)

    def vjp(self, ctx, needs, g):
        return (_sigmoid_grad(ctx.output(), g),)


def _sigmoid_raw(xp, x):
    """1 / (1 + e**-x) in place, branch-free: e**-x overflows to inf for x << 0, giving 0."""
    with np.errstate(over="ignore"):
        e = xp.negative(x)
        xp.exp(e, out=e)
        e += 1.0
        xp.reciprocal(e, out=e)
    return e


class SigmoidGrad(Primitive):
    """(y, g) -> g * y * (1 - y), the derivative of the sigmoid from its output."""

    name = "sigmoid_grad"

    def forward(self, ctx, xp, y, g):
        if xp is np and y.shape == g.shape and y.dtype == g.dtype and y.dtype.kind == "f":
            from ..kernels import cpu

            return cpu.sigmoid_grad(y, g)
        return g * y * (1.0 - y)

    def vjp(self, ctx, needs, gg):
        y, g = ctx.inputs
        gy = gg * g * (1.0 - y * 2.0) if needs[0] else None
        return (gy, _sigmoid_grad(y, gg) if needs[1] else None)


class Softplus(Primitive):
    """softplus(x) - shift. When the call is recorded, the forward also keeps
    sigmoid(x) (one extra pass over exp(-|x|), which softplus computes anyway),
    so the vjp is a product ``g * sigmoid`` and differentiating it again costs
    only polynomial passes (no exponentials): the force-matching hot path."""

    name = "softplus"

    def __init__(self, shift: float = 0.0):
        self.shift = shift

    def forward(self, ctx, xp, x):
        recorded = _recording() and any(t.requires_grad for t in ctx.inputs)
        if xp is np and x.dtype.kind == "f":
            from ..kernels import cpu

            if recorded:
                y, ctx.sig = cpu.softplus_sigmoid(x)
            else:
                y = cpu.softplus(x)
        else:
            y = xp.logaddexp(0.0, x).astype(x.dtype, copy=False)
            if recorded:
                ctx.sig = _sigmoid_raw(xp, x)
        if self.shift:
            y -= self.shift
        return y

    def vjp(self, ctx, needs, g):
        x = ctx.inputs[0]
        sig = getattr(ctx, "sig", None)
        if sig is None:
            return (SoftplusGrad()(x, g),)
        return (g * _KnownSigmoid(sig)(x),)


def _recording() -> bool:
    from ..engine import is_grad_enabled

    return is_grad_enabled()


class _KnownSigmoid(Primitive):
    """sigmoid(x) whose value was computed beforehand (by Softplus); vjp as Sigmoid."""

    name = "sigmoid"

    def __init__(self, value):
        self.value = value

    def forward(self, ctx, xp, x):
        ctx.keep_outputs()
        return self.value

    def vjp(self, ctx, needs, g):
        return (_sigmoid_grad(ctx.output(), g),)


class SoftplusGrad(Primitive):
    """(x, g) -> g * sigmoid(x), the derivative of softplus, one fused kernel on the CPU."""

    name = "softplus_grad"

    def forward(self, ctx, xp, x, g):
        if xp is np and x.shape == g.shape and x.dtype == g.dtype and x.dtype.kind == "f":
            from ..kernels import cpu

            return cpu.softplus_grad(x, g)
        return g * _sigmoid_raw(xp, x)

    def vjp(self, ctx, needs, gg):
        x, g = ctx.inputs
        gx = gg_ = None
        if needs[0]:  # d/dx [g sigmoid(x)] = g sigmoid'(x)
            gx = _unb(_sigmoid_grad(sigmoid(x), gg * g), x.shape)
        if needs[1]:
            gg_ = _unb(SoftplusGrad()(x, gg), g.shape)
        return (gx, gg_)


class SiLU(Primitive):
    """x * sigmoid(x) (swish), one fused kernel each way."""

    name = "silu"

    def forward(self, ctx, xp, x):
        if xp is np and x.dtype.kind == "f":
            from ..kernels import cpu

            return cpu.silu(x)
        if xp is not np:
            from ..kernels import cuda

            return cuda.silu(x)
        return x * _sigmoid_raw(xp, x)

    def vjp(self, ctx, needs, g):
        return (SiLUGrad()(ctx.inputs[0], g),)


class SiLUGrad(Primitive):
    """(x, g) -> g * s (1 + x (1 - s)), s = sigmoid(x)."""

    name = "silu_grad"

    def forward(self, ctx, xp, x, g):
        if x.shape == g.shape and x.dtype == g.dtype and x.dtype.kind == "f":
            if xp is np:
                from ..kernels import cpu

                return cpu.silu_grad(x, g)
            from ..kernels import cuda

            return cuda.silu_grad(x, g)
        s = _sigmoid_raw(xp, x)
        return g * s * (1.0 + x * (1.0 - s))

    def vjp(self, ctx, needs, gg):
        x, g = ctx.inputs
        gx = None
        if needs[0]:
            s = sigmoid(x)
            d2 = s * (1.0 - s) * (2.0 + x * (1.0 - s * 2.0))
            gx = _unb(gg * g * d2, x.shape)
        gg_ = _unb(SiLUGrad()(x, gg), g.shape) if needs[1] else None
        return (gx, gg_)


class ReLU(Primitive):
    name = "relu"

    def forward(self, ctx, xp, x):
        return xp.maximum(x, 0)

    def vjp(self, ctx, needs, g):
        x = ctx.inputs[0]
        return (g * Tensor((x.data > 0).astype(x.dtype)),)


_tanh, _sigmoid, _softplus, _silu, _relu = Tanh(), Sigmoid(), Softplus(), SiLU(), ReLU()
_tanh_grad_p, _sigmoid_grad_p = TanhGrad(), SigmoidGrad()


def _tanh_grad(y: Tensor, g: Tensor) -> Tensor:
    return _tanh_grad_p(y, g)


def _sigmoid_grad(y: Tensor, g: Tensor) -> Tensor:
    return _sigmoid_grad_p(y, g)


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent."""
    return _tanh(x)


def sigmoid(x: Any) -> Tensor:
    """Logistic function 1 / (1 + e**-x), stable for large |x|."""
    return _sigmoid(x)


def softplus(x: Any, shift: float = 0.0) -> Tensor:
    """log(1 + e**x) - shift, stable for large |x| (``shift=log 2``: SchNet's
    shifted softplus, zero at zero, in one primitive)."""
    return _softplus(x) if not shift else Softplus(float(shift))(x)


def silu(x: Any) -> Tensor:
    """x * sigmoid(x) (SiLU / swish); fused numba (CPU) or numba.cuda (GPU) kernels."""
    return _silu(x)


def relu(x: Any) -> Tensor:
    """max(x, 0)."""
    return _relu(x)


# --------------------------------------------------------------------------- selection
class Where(Primitive):
    name = "where"

    def __init__(self, cond):
        self.cond = cond

    def forward(self, ctx, xp, a, b):
        return xp.where(self.cond, a, b)

    def vjp(self, ctx, needs, g):
        a, b = ctx.inputs
        zero = Tensor(g.xp.zeros((), dtype=g.dtype))
        ga = _unb(where(self.cond, g, zero), a.shape) if needs[0] else None
        gb = _unb(where(self.cond, zero, g), b.shape) if needs[1] else None
        return (ga, gb)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Select ``a`` where ``cond`` else ``b``; ``cond`` is a constant boolean array."""
    c = cond.data if isinstance(cond, Tensor) else cond
    a, b = _pair(a, b)
    return Where(c)(a, b)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max; ties send the gradient to ``a``."""
    a, b = _pair(a, b)
    return where(a.data >= b.data, a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise min; ties send the gradient to ``a``."""
    a, b = _pair(a, b)
    return where(a.data <= b.data, a, b)


def clip(x: Any, lo: float | None, hi: float | None) -> Tensor:
    """Clamp to [lo, hi]; zero gradient outside."""
    x = _t(x)
    if lo is not None:
        x = maximum(x, lo)
    if hi is not None:
        x = minimum(x, hi)
    return x
