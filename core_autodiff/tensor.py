"""``Tensor``: one numpy or cupy array plus the record of how it was made.

A Tensor is a leaf (``node is None``) or the ``index``-th output of a recorded
primitive application (``node``). Operators only call primitives; no operator
has derivative logic of its own. ``Parameter`` is a leaf that requires grad
and is registered by ``nn.Module`` on attribute assignment.

Leaf tensors accumulate ``.grad`` only through the imperative
``Tensor.backward()``; the functional ``grad``/``value_and_grad`` return
gradients and never touch ``.grad``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend import array_module_of, device_of, is_cupy_array, to_device


class Tensor:
    """An array that can record the operations applied to it.

    Args:
        data: numpy or cupy array (or anything ``numpy.asarray`` accepts).
        requires_grad: whether gradients flow to this tensor.
        name: optional label used in error messages.
    """

    __slots__ = ("data", "requires_grad", "node", "index", "grad", "name", "__weakref__")
    __array_priority__ = 1000.0  # numpy binary operators defer to Tensor's

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None):
        if isinstance(data, Tensor):
            data = data.data
        elif not (type(data) is np.ndarray or is_cupy_array(data)):
            data = np.asarray(data)
        if requires_grad and data.dtype.kind not in "fc":
            raise TypeError(
                f"only floating-point or complex tensors can require gradients, got {data.dtype}"
            )
        self.data = data
        self.requires_grad = bool(requires_grad)
        self.node = None
        self.index = 0
        self.grad: Tensor | None = None
        self.name = name

    # -- views -------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def xp(self):
        """The array module (numpy or cupy) of this tensor's data."""
        return array_module_of(self.data)

    @property
    def device(self) -> str:
        return device_of(self.data)

    @property
    def is_leaf(self) -> bool:
        return self.node is None

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        """The data as a numpy array on the host (a copy for cupy data)."""
        return to_device(self.data, "cpu")

    def item(self) -> float:
        return self.data.item()

    def __float__(self) -> float:
        return float(self.data)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, recording nothing."""
        return Tensor(self.data)

    def to(self, device: str) -> Tensor:
        """A copy on ``device`` ("cpu", "cuda", "cuda:N"); recorded as a leaf."""
        return Tensor(to_device(self.data, device), requires_grad=self.requires_grad)

    def requires_grad_(self, flag: bool = True) -> Tensor:
        if self.node is not None and not flag:
            raise RuntimeError("requires_grad can only be switched off on leaf tensors")
        self.requires_grad = bool(flag)
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def __repr__(self) -> str:
        extra = ", requires_grad=True" if self.requires_grad else ""
        name = f", name={self.name!r}" if self.name else ""
        dev = "" if self.device == "cpu" else f", device={self.device!r}"
        return f"Tensor({np.array2string(self.numpy(), precision=6)}{extra}{dev}{name})"

    def __bool__(self) -> bool:
        return bool(self.data)

    def __hash__(self) -> int:
        return id(self)

    # -- autodiff ------------------------------------------------------------
    def backward(
        self, grad: Any = None, create_graph: bool = False, retain_graph: bool | None = None
    ) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        Args:
            grad: cotangent of the same shape as ``self`` (default 1 for a scalar).
            create_graph: record the backward pass (for higher-order gradients).
            retain_graph: keep the graph for another backward (default: create_graph).

        Raises:
            RuntimeError: the tensor has no path to any leaf that requires grad.
        """
        from .engine import backward

        backward([self], None if grad is None else [grad], create_graph, retain_graph)

    # -- operators (each maps to one primitive) -------------------------------
    def __add__(self, o):
        return _ops.add(self, o)

    def __radd__(self, o):
        return _ops.add(o, self)

    def __sub__(self, o):
        return _ops.sub(self, o)

    def __rsub__(self, o):
        return _ops.sub(o, self)

    def __mul__(self, o):
        return _ops.mul(self, o)

    def __rmul__(self, o):
        return _ops.mul(o, self)

    def __truediv__(self, o):
        return _ops.div(self, o)

    def __rtruediv__(self, o):
        return _ops.div(o, self)

    def __pow__(self, o):
        return _ops.pow(self, o)

    def __rpow__(self, o):
        return _ops.pow(o, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __matmul__(self, o):
        return _ops.matmul(self, o)

    def __rmatmul__(self, o):
        return _ops.matmul(o, self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    # comparisons give plain boolean arrays (not differentiable)
    def __lt__(self, o):
        return self.data < _raw(o)

    def __le__(self, o):
        return self.data <= _raw(o)

    def __gt__(self, o):
        return self.data > _raw(o)

    def __ge__(self, o):
        return self.data >= _raw(o)

    # -- methods -------------------------------------------------------------
    def sum(self, axis=None, keepdims=False):
        return _ops.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return _ops.mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return _ops.max(self, axis, keepdims)

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        return _ops.reshape(self, shape)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], tuple | list):
            axes = tuple(axes[0])
        return _ops.transpose(self, axes or None)

    @property
    def T(self):
        return _ops.transpose(self, None)

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def astype(self, dtype):
        return _ops.astype(self, dtype)


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


class Parameter(Tensor):
    """A trainable leaf tensor; ``nn.Module`` registers it on attribute assignment."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, name: str | None = None):
        if not isinstance(data, Tensor) and not is_cupy_array(data):
            data = np.asarray(data)
            if data.dtype.kind in "iub":
                data = data.astype(np.float64)
        super().__init__(data, requires_grad=requires_grad, name=name)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor"):]


def tensor(
    data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
) -> Tensor:
    """Wrap an array (numpy or cupy) or nested sequence as a ``Tensor``.

    Python floats and ints become float64 / int64 numpy arrays unless ``dtype``
    is given. The data is not copied when it already is an array of that dtype.
    """
    if isinstance(data, Tensor):
        data = data.data
    if is_cupy_array(data):
        arr = data if dtype is None else data.astype(dtype, copy=False)
    else:
        arr = np.asarray(data, dtype=dtype)
    return Tensor(arr, requires_grad=requires_grad, name=name)


# The operator module is bound by core_autodiff/__init__.py once ops are importable
# (ops import primitive, which imports this module).
_ops: Any = None
