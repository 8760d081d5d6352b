"""Linear algebra: matmul (batched, numpy semantics), einsum, safe_norm."""

from __future__ import annotations

from typing import Any

from ..primitive import Primitive
from ..tensor import Tensor
from .elementwise import sqrt, where
from .reduce import sum
from .shape import broadcast_to, reshape, sum_to, swapaxes


class MatMul(Primitive):
    """Matrix product of operands with ndim >= 2 (batched, broadcasting batch axes)."""

    name = "matmul"

    def forward(self, ctx, xp, a, b):
        return xp.matmul(a, b)

    def vjp(self, ctx, needs, g):
        a, b = ctx.inputs
        ga = gb = None
        if needs[0]:
            ga = matmul(g, swapaxes(b, -1, -2))
            if ga.shape != a.shape:
                ga = sum_to(ga, a.shape)
        if needs[1]:
            gb = matmul(swapaxes(a, -1, -2), g)
            if gb.shape != b.shape:
                gb = sum_to(gb, b.shape)
        return (ga, gb)


_matmul = MatMul()


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with numpy's ``matmul`` semantics (batched, 1-D promotion)."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: scalar operands are not allowed (use *)")
    if a.ndim >= 2 and b.ndim >= 2:
        return _matmul(a, b)
    va, vb = a.ndim == 1, b.ndim == 1
    out = _matmul(reshape(a, (1,) + a.shape) if va else a, reshape(b, b.shape + (1,)) if vb else b)
    shape = list(out.shape)
    if vb:
        shape.pop(-1)
    if va:
        shape.pop(-1 if vb else -2)
    return reshape(out, tuple(shape))


def _parse(subscripts: str, n: int) -> tuple[list[str], str]:
    s = subscripts.replace(" ", "")
    if "." in s:
        raise ValueError("einsum: ellipsis is not supported; spell out the axes")
    if "->" in s:
        lhs, out = s.split("->")
    else:
        lhs = s
        letters = lhs.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    ins = lhs.split(",")
    if len(ins) != n:
        raise ValueError(f"einsum: {len(ins)} operand subscripts for {n} operands")
    for sub in ins:
        if len(set(sub)) != len(sub):
            raise ValueError(
                f"einsum: repeated index within one operand ({sub!r}, a diagonal) is not supported"
            )
    return ins, out


class Einsum(Primitive):
    name = "einsum"

    def __init__(self, ins: list[str], out: str):
        self.ins = ins
        self.out = out

    def forward(self, ctx, xp, *ops):
        spec = ",".join(self.ins) + "->" + self.out
        return xp.einsum(spec, *ops, optimize=len(ops) > 2)

    def vjp(self, ctx, needs, g):
        ops = ctx.inputs
        grads = []
        for k, need in enumerate(needs):
            if not need:
                grads.append(None)
                continue
            target = self.ins[k]
            others = [(self.ins[j], ops[j]) for j in range(len(ops)) if j != k]
            avail = set(self.out).union(*[set(s) for s, _ in others]) if others else set(self.out)
            kept = "".join(c for c in target if c in avail)
            gk = einsum(",".join([self.out] + [s for s, _ in others]) + "->" + kept,
                        g, *[o for _, o in others])
            if kept != target:  # indices summed away inside operand k: broadcast back
                shape = tuple(ops[k].shape[target.index(c)] if c in kept else 1 for c in target)
                perm_src = [c for c in target if c in kept]
                if perm_src != list(kept):
                    raise AssertionError("einsum vjp index order")
                gk = broadcast_to(reshape(gk, shape), ops[k].shape)
            grads.append(gk)
        return tuple(grads)


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """Einstein summation (explicit or implicit output; no ellipsis, no diagonals).

    Example: ``einsum("bij,bjk->bik", a, b)``; the vjp of each operand is another einsum.
    """
    ins, out = _parse(subscripts, len(operands))
    return Einsum(ins, out)(*operands)


def safe_norm(x: Any, axis: int = -1, keepdims: bool = False) -> Tensor:
    """Euclidean norm along ``axis`` that stays finite at zero, to any derivative order.

    The "double where" (jax-md ``safe_mask``): the square root only ever sees
    positive arguments, so first and second derivatives at a zero vector are 0
    instead of NaN (self pairs, padded neighbour-list slots).
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    sq = sum(x * x, axis, keepdims)
    pos = sq.data > 0
    safe = where(pos, sq, 1.0)
    return where(pos, sqrt(safe), 0.0)


class Linear(Primitive):
    """y = x @ W + b in one call (the dense layer); vjp composed of matmul and sum."""

    name = "linear"

    def forward(self, ctx, xp, x, w, b):
        y = xp.matmul(x, w)
        y += b
        return y

    def vjp(self, ctx, needs, g):
        x, w, b = ctx.inputs
        gx = gw = gb = None
        if needs[0]:
            gx = matmul(g, swapaxes(w, -1, -2))
        if needs[1]:
            if x.ndim == 2:
                gw = matmul(swapaxes(x, -1, -2), g)
            else:
                k = x.shape[-1]
                gw = matmul(swapaxes(reshape(x, (-1, k)), -1, -2), reshape(g, (-1, g.shape[-1])))
        if needs[2]:
            gb = sum_to(g, b.shape)
        return (gx, gw, gb)


_linear = Linear()


def linear(x: Any, w: Any, b: Any = None) -> Tensor:
    """Affine map ``x @ w + b`` for x (..., in), w (in, out), b (out,)."""
    if b is None:
        return matmul(x, w)
    return _linear(x, w, b)
