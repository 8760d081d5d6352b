"""The tape: recording switch, graph nodes, and reverse-mode accumulation.

Recording is define-by-run (Chainer): applying a primitive to tensors that
require grad, while recording is enabled, creates a ``Node`` holding the
primitive, its per-call context, its input tensors (strong references) and the
output metadata. Outputs are never referenced by their node, so tensors and
nodes form no cycles; an output a vjp needs is rebuilt from saved raw data and
re-attached to the node.

``grad`` walks the nodes that lie between the outputs and the requested
inputs, in decreasing rank (a topological order), calls each primitive's vjp
and accumulates cotangents with tensor ``+`` (itself a primitive). The whole
walk runs with recording set to ``create_graph``: when it is on, the gradients
are graph tensors and can be differentiated again (double backprop).

The recording switch is thread-local: ``no_grad()``, ``enable_grad()``,
``set_grad_enabled(flag)``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from .tensor import Tensor


class _State(threading.local):
    def __init__(self) -> None:
        self.enabled = True
        self.functional_depth = 0


_state = _State()


def is_grad_enabled() -> bool:
    """Whether primitives applied now are recorded (thread-local)."""
    return _state.enabled


class set_grad_enabled:
    """Context manager (and decorator) that sets recording on or off in this thread."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev = _state.enabled
        _state.enabled = self.mode

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        _state.enabled = self.prev

    def __call__(self, fn):
        mode = self.mode
        _state.enabled = self.prev  # used as a decorator: do not switch now

        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = getattr(fn, "__doc__", None)
        return wrapper


class no_grad(set_grad_enabled):
    """Record nothing inside the block: the fast path for MD inner loops."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record inside the block even if an outer ``no_grad`` is active."""

    def __init__(self) -> None:
        super().__init__(True)


class Node:
    """One recorded application of a primitive."""

    __slots__ = ("prim", "ctx", "inputs", "rank", "out_shapes", "out_dtypes", "saved_outputs",
                 "freed", "__weakref__")

    def __init__(self, prim, ctx, inputs: tuple[Tensor, ...], outputs: tuple[Any, ...]) -> None:
        self.prim = prim
        self.ctx = ctx
        self.inputs = inputs
        r = 0
        for t in inputs:
            n = t.node
            if n is not None and n.rank > r:
                r = n.rank
        self.rank = r + 1
        if len(outputs) == 1:
            o = outputs[0]
            self.out_shapes = (o.shape,)
            self.out_dtypes = (o.dtype,)
        else:
            self.out_shapes = tuple(o.shape for o in outputs)
            self.out_dtypes = tuple(o.dtype for o in outputs)
        self.saved_outputs = outputs if ctx._keep_outputs else None
        self.freed = False

    def output(self, j: int) -> Tensor:
        """Output ``j`` as a graph tensor attached to this node (for use in vjps)."""
        if self.saved_outputs is None:
            raise RuntimeError(
                f"primitive {self.prim.name!r} did not keep its outputs: call "
                "ctx.keep_outputs() in forward to use ctx.output() in vjp"
            )
        t = Tensor.__new__(Tensor)
        t.data = self.saved_outputs[j]
        t.requires_grad = True
        t.node = self
        t.index = j
        t.grad = None
        t.name = None
        return t

    def free(self) -> None:
        self.ctx = None
        self.saved_outputs = None
        self.freed = True


def _key(t: Tensor) -> Any:
    n = t.node
    return id(t) if n is None else (id(n), t.index)


def _as_grad_tensor(g: Any, like_shape, like_dtype, xp) -> Tensor:
    if isinstance(g, Tensor):
        return g
    return Tensor(xp.asarray(g, dtype=like_dtype).reshape(like_shape))


def _collect(outputs: Sequence[Tensor]) -> list[Node]:
    """All nodes reachable backwards from ``outputs`` (iterative DFS)."""
    seen: set[int] = set()
    nodes: list[Node] = []
    stack = [t.node for t in outputs if t.node is not None]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        nodes.append(n)
        for t in n.inputs:
            m = t.node
            if m is not None and id(m) not in seen:
                stack.append(m)
    nodes.sort(key=lambda n: n.rank)
    return nodes


def _run_backward(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Any] | None,
    wanted: dict[Any, int] | None,
    create_graph: bool,
    retain_graph: bool,
) -> dict[Any, Tensor]:
    """Accumulate cotangents backwards; return {key: gradient} for the wanted keys.

    ``wanted`` maps tensor keys to positions; ``None`` means every leaf that
    requires grad (the imperative ``backward``); then the result maps leaf keys
    to (leaf, grad) pairs.
    """
    nodes = _collect(outputs)
    all_leaves = wanted is None
    leaf_tensors: dict[int, Tensor] = {}
    # which nodes lead to a wanted tensor (increasing rank = inputs first)
    leads: dict[int, bool] = {}
    for n in nodes:
        hit = False
        for t in n.inputs:
            if not t.requires_grad:
                continue
            m = t.node
            if all_leaves:
                if m is None:
                    hit = True
                    leaf_tensors[id(t)] = t
                elif leads.get(id(m), False):
                    hit = True
            elif _key(t) in wanted or (m is not None and leads.get(id(m), False)):
                hit = True
        leads[id(n)] = hit

    results: dict[Any, Tensor] = {}
    accum: dict[Any, Tensor] = {}

    def deposit(t: Tensor, g: Tensor) -> None:
        m = t.node
        if all_leaves:
            if m is None:
                k = id(t)
                leaf_tensors[k] = t
                prev = results.get(k)
                results[k] = g if prev is None else prev + g
                return
        else:
            k = _key(t)
            if k in wanted:
                prev = results.get(k)
                results[k] = g if prev is None else prev + g
        if m is not None and leads.get(id(m), False):
            k = (id(m), t.index)
            prev = accum.get(k)
            accum[k] = g if prev is None else prev + g

    with set_grad_enabled(create_graph):
        # seed
        for i, o in enumerate(outputs):
            if grad_outputs is None or grad_outputs[i] is None:
                if o.data.size != 1:
                    raise RuntimeError(
                        "grad can be implicitly created only for scalar outputs; got shape "
                        f"{o.shape}: pass grad_outputs"
                    )
                xp = o.xp
                g = Tensor(xp.ones(o.shape, dtype=o.dtype))
            else:
                g = _as_grad_tensor(grad_outputs[i], o.shape, o.dtype, o.xp)
                if g.shape != o.shape:
                    raise ValueError(
                        f"grad_outputs[{i}] has shape {g.shape}, output has shape {o.shape}"
                    )
            if o.requires_grad:
                deposit(o, g)

        for n in reversed(nodes):
            if not leads[id(n)]:
                continue
            nout = len(n.out_shapes)
            gouts = []
            any_g = False
            for j in range(nout):
                g = accum.pop((id(n), j), None)
                if g is not None:
                    any_g = True
                gouts.append(g)
            if not any_g:
                continue
            if n.freed:
                raise RuntimeError(
                    f"trying to backward through the graph of {n.prim.name!r} a second time, "
                    "but its saved data were freed: pass retain_graph=True (or create_graph=True) "
                    "to the first backward"
                )
            prim = n.prim
            for j in range(nout):
                if gouts[j] is None:
                    xp = n.inputs[0].xp if n.inputs else np
                    gouts[j] = Tensor(xp.zeros(n.out_shapes[j], dtype=n.out_dtypes[j]))
            needs = []
            for t in n.inputs:
                if not t.requires_grad:
                    needs.append(False)
                elif all_leaves:
                    m = t.node
                    needs.append(m is None or leads.get(id(m), False))
                else:
                    m = t.node
                    needs.append(_key(t) in wanted or (m is not None and leads.get(id(m), False)))
            needs_t = tuple(needs)
            if prim.max_order == 1:
                with set_grad_enabled(False):
                    gins = prim.vjp(n.ctx, needs_t, *gouts)
                if create_graph:
                    gins = _barrier_outputs(prim, n.inputs, gouts, gins)
            else:
                gins = prim.vjp(n.ctx, needs_t, *gouts)
            if not isinstance(gins, tuple | list):
                gins = (gins,)
            if len(gins) != len(n.inputs):
                raise RuntimeError(
                    f"vjp of primitive {prim.name!r} returned {len(gins)} cotangents for "
                    f"{len(n.inputs)} inputs"
                )
            for t, need, g in zip(n.inputs, needs_t, gins, strict=True):
                if not need or g is None:
                    continue
                if not isinstance(g, Tensor):
                    g = Tensor(g)
                if g.shape != t.shape:
                    raise RuntimeError(
                        f"vjp of primitive {prim.name!r} returned a cotangent of shape "
                        f"{g.shape} for an input of shape {t.shape}"
                    )
                deposit(t, g)
            if not retain_graph:
                n.free()

    if all_leaves:
        return {k: (leaf_tensors.get(k), g) for k, g in results.items()}
    return results


def _barrier_outputs(prim, inputs, gouts, gins):
    from .primitive import OnceDifferentiableBarrier

    deps = tuple(inputs) + tuple(gouts)
    if not any(t.requires_grad for t in deps):
        return gins
    out = []
    for g in gins:
        if g is None:
            out.append(None)
        else:
            g = g if isinstance(g, Tensor) else Tensor(g)
            out.append(OnceDifferentiableBarrier(prim.name)(g, *deps))
    return tuple(out)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    *,
    create_graph: bool = False,
    retain_graph: bool | None = None,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs`` (tensor-level API).

    Args:
        outputs: tensor(s) to differentiate; scalars unless ``grad_outputs`` given.
        inputs: tensor(s) that require grad (leaves or intermediate results).
        grad_outputs: cotangents, one per output (default ones for scalars).
        create_graph: record the backward pass so the result can be differentiated.
        retain_graph: keep saved data for another backward (default: create_graph).
        allow_unused: return ``None`` for inputs the outputs do not depend on
            instead of raising.

    Returns:
        One gradient tensor per input, with the input's shape.

    Raises:
        ValueError: an input does not require grad.
        RuntimeError: an input is not connected to the outputs and
            ``allow_unused`` is false (a forgotten ``create_graph`` in an inner
            gradient is the usual cause).
    """
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is not None and not isinstance(grad_outputs, list | tuple):
        grad_outputs = [grad_outputs]
    wanted: dict[Any, int] = {}
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs[{i}] is a {type(t).__name__}, expected a Tensor")
        if not t.requires_grad:
            raise ValueError(
                f"inputs[{i}] (shape {t.shape}) does not require grad: create it with "
                "requires_grad=True"
            )
        wanted[_key(t)] = i
    if retain_graph is None:
        retain_graph = create_graph
    res = _run_backward(outs, grad_outputs, wanted, create_graph, retain_graph)
    grads: list[Tensor | None] = []
    for i, t in enumerate(ins):
        g = res.get(_key(t))
        if g is None:
            if not allow_unused:
                name = f" ({t.name!r})" if t.name else ""
                raise RuntimeError(
                    f"inputs[{i}]{name} of shape {t.shape} is not connected to the outputs: "
                    "the outputs do not depend on it, or an inner gradient was taken without "
                    "create_graph=True; pass allow_unused=True to get None instead"
                )
        elif not create_graph and g.node is not None:
            g = g.detach()
        grads.append(g)
    return tuple(grads)


def backward(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Any] | None = None,
    create_graph: bool = False,
    retain_graph: bool | None = None,
) -> None:
    """Accumulate gradients into ``.grad`` of every leaf that requires grad."""
    if retain_graph is None:
        retain_graph = create_graph
    for o in outputs:
        if not o.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: it has no path to any "
                "leaf with requires_grad=True (was it computed under no_grad, or from "
                "detached data?)"
            )
    res = _run_backward(outputs, grad_outputs, None, create_graph, retain_graph)
    if not res:
        raise RuntimeError("backward() found no leaf that requires grad")
    for leaf, g in res.values():
        if not create_graph:
            g = g.detach()
        leaf.grad = g if leaf.grad is None else leaf.grad + g
