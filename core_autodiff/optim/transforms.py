"""Pure gradient transformations (optax's shape): ``init(params) -> state`` and
``update(grads, state, params) -> (updates, state)``.

Params, grads and updates are lists of raw arrays (numpy or cupy); state is a
small frozen dataclass of arrays and counters, so it can be saved and
restored. ``chain`` composes transforms; the updates are *added* to the
parameters (so ``sgd`` already carries the minus sign).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

Arrays = list[Any]
Schedule = Callable[[int], float]


class GradientTransformation(NamedTuple):
    """A pure optimizer piece."""

    init: Callable[[Arrays], Any]
    update: Callable[[Arrays, Any, Arrays | None], tuple[Arrays, Any]]


def _as_schedule(lr: float | Schedule) -> Schedule:
    return lr if callable(lr) else (lambda step, _lr=float(lr): _lr)


def _xp(a: Any):
    if type(a).__module__.startswith("cupy"):
        import cupy

        return cupy
    return np


@dataclass(frozen=True)
class EmptyState:
    pass


@dataclass(frozen=True)
class MomentumState:
    step: int
    velocity: tuple[Any, ...]


@dataclass(frozen=True)
class AdamState:
    step: int
    mu: tuple[Any, ...]
    nu: tuple[Any, ...]


def sgd(lr: float | Schedule = 1e-2, momentum: float = 0.0, nesterov: bool = False,
        weight_decay: float = 0.0) -> GradientTransformation:
    """Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay."""
    sched = _as_schedule(lr)
    if momentum < 0:
        raise ValueError(f"momentum must be >= 0, got {momentum}")

    def init(params: Arrays) -> MomentumState:
        return MomentumState(0, tuple(_xp(p).zeros_like(p) for p in params) if momentum else ())

    def update(grads, state, params=None):
        lr_t = sched(state.step)
        if weight_decay:
            if params is None:
                raise ValueError("sgd with weight_decay needs params in update()")
            grads = [g + weight_decay * p for g, p in zip(grads, params, strict=True)]
        if not momentum:
            return [-lr_t * g for g in grads], MomentumState(state.step + 1, ())
        vel = tuple(momentum * v + g for v, g in zip(state.velocity, grads, strict=True))
        if nesterov:
            ups = [-lr_t * (g + momentum * v) for g, v in zip(grads, vel, strict=True)]
        else:
            ups = [-lr_t * v for v in vel]
        return ups, MomentumState(state.step + 1, vel)

    return GradientTransformation(init, update)


def adam(lr: float | Schedule = 1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
         weight_decay: float = 0.0) -> GradientTransformation:
    """Adam (Kingma & Ba 2015); ``weight_decay`` > 0 gives AdamW's decoupled decay."""
    sched = _as_schedule(lr)

    def init(params: Arrays) -> AdamState:
        return AdamState(0, tuple(_xp(p).zeros_like(p) for p in params),
                         tuple(_xp(p).zeros_like(p) for p in params))

    def update(grads, state, params=None):
        t = state.step + 1
        lr_t = sched(state.step)
        mu = tuple(b1 * m + (1 - b1) * g for m, g in zip(state.mu, grads, strict=True))
        nu = tuple(b2 * v + (1 - b2) * (g * g) for v, g in zip(state.nu, grads, strict=True))
        c1 = 1.0 - b1**t
        c2 = 1.0 - b2**t
        ups = []
        for i, (m, v) in enumerate(zip(mu, nu, strict=True)):
            xp = _xp(m)
            u = -lr_t * (m / c1) / (xp.sqrt(v / c2) + eps)
            if weight_decay:
                if params is None:
                    raise ValueError("adam with weight_decay needs params in update()")
                u = u - lr_t * weight_decay * params[i]
            ups.append(u)
        return ups, AdamState(t, mu, nu)

    return GradientTransformation(init, update)


def global_norm(arrays: Sequence[Any]) -> float:
    """sqrt of the sum of squares of all entries."""
    return float(np.sqrt(sum(float(_xp(a).sum(a * a)) for a in arrays)))


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """Scale all gradients together so that their global norm is at most ``max_norm``."""

    def init(params):
        return EmptyState()

    def update(grads, state, params=None):
        n = global_norm(grads)
        if n > max_norm:
            s = max_norm / (n + 1e-12)
            grads = [g * s for g in grads]
        return list(grads), state

    return GradientTransformation(init, update)


def clip(max_abs: float) -> GradientTransformation:
    """Clip every gradient entry to [-max_abs, max_abs]."""

    def init(params):
        return EmptyState()

    def update(grads, state, params=None):
        return [_xp(g).clip(g, -max_abs, max_abs) for g in grads], state

    return GradientTransformation(init, update)


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply transforms in sequence (e.g. ``chain(clip_by_global_norm(1.0), adam(1e-3))``)."""

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(grads, state, params=None):
        new_states = []
        for t, s in zip(transforms, state, strict=True):
            grads, s = t.update(grads, s, params)
            new_states.append(s)
        return grads, tuple(new_states)

    return GradientTransformation(init, update)


# --------------------------------------------------------------------------- schedules
def exponential_decay(init_value: float, decay_rate: float, transition_steps: int,
                      end_value: float | None = None) -> Schedule:
    """lr(step) = init_value * decay_rate ** (step / transition_steps), floored at end_value."""

    def sched(step: int) -> float:
        v = init_value * decay_rate ** (step / transition_steps)
        return max(v, end_value) if end_value is not None else v

    return sched


def cosine_decay(init_value: float, decay_steps: int, alpha: float = 0.0,
                 warmup_steps: int = 0) -> Schedule:
    """Linear warm-up, then cosine decay from init_value to alpha * init_value."""

    def sched(step: int) -> float:
        if warmup_steps and step < warmup_steps:
            return init_value * (step + 1) / warmup_steps
        s = min(step - warmup_steps, decay_steps)
        cos = 0.5 * (1 + np.cos(np.pi * s / max(decay_steps, 1)))
        return init_value * ((1 - alpha) * cos + alpha)

    return sched
