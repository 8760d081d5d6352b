"""The closed set of differentiable primitives, grouped by kind."""

from .elementwise import (
    abs,
    add,
    arctan2,
    clip,
    cos,
    div,
    erf,
    erfc,
    exp,
    log,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    relu,
    sigmoid,
    silu,
    sin,
    softplus,
    sqrt,
    square,
    sub,
    tanh,
    where,
)
from .indexing import gather_mul, scatter_add, segment_sum, take, weighted_segment_sum
from .linalg import einsum, linear, matmul, safe_norm
from .reduce import logsumexp, max, mean, sum
from .shape import (
    astype,
    broadcast_to,
    concatenate,
    expand_dims,
    getitem,
    identity,
    reshape,
    squeeze,
    stack,
    sum_to,
    swapaxes,
    transpose,
)

__all__ = [
    "abs", "add", "arctan2", "astype", "broadcast_to", "clip", "concatenate", "cos", "div",
    "einsum", "erf", "erfc", "exp", "expand_dims", "gather_mul", "getitem", "identity",
    "linear", "log", "logsumexp",
    "matmul", "max", "maximum", "mean", "minimum", "mul", "neg", "pow", "relu", "reshape",
    "safe_norm", "scatter_add", "segment_sum", "sigmoid", "silu", "sin", "softplus", "sqrt",
    "square", "squeeze", "stack", "sub", "sum", "sum_to", "swapaxes", "take", "tanh",
    "transpose", "weighted_segment_sum", "where",
]
