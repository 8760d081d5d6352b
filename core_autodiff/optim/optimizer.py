"""Stateful optimizer wrappers over the pure transforms: ``step()``, ``zero_grad()``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..engine import no_grad
from ..tensor import Parameter, Tensor
from . import transforms as T


class Optimizer:
    """Applies a ``GradientTransformation`` to a list of Parameters in place.

    ``step()`` reads ``p.grad`` (filled by ``loss.backward()``); ``step(grads)``
    takes gradients directly (from ``ad.value_and_grad(..., params=...)``).
    """

    def __init__(self, params: Iterable[Parameter], transform: T.GradientTransformation):
        self.params: list[Parameter] = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.is_leaf:
                raise TypeError(f"params[{i}] is not a leaf Tensor/Parameter")
        self.transform = transform
        self.state = transform.init([p.data for p in self.params])

    @property
    def step_count(self) -> int:
        s = self.state
        while isinstance(s, tuple) and s:
            s = s[-1]
        return getattr(s, "step", 0)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self, grads: Sequence[Any] | None = None) -> None:
        """Update the parameters once.

        Raises:
            RuntimeError: a parameter has no gradient (``backward()`` not called).
            ValueError: ``grads`` has the wrong length or a shape differs.
        """
        if grads is None:
            raws = []
            for p in self.params:
                if p.grad is None:
                    raise RuntimeError(
                        f"parameter {p.name or ''!r} of shape {p.shape} has no gradient: call "
                        "loss.backward() first, or pass grads to step()"
                    )
                raws.append(p.grad.data)
        else:
            if len(grads) != len(self.params):
                raise ValueError(f"{len(grads)} gradients for {len(self.params)} parameters")
            raws = [g.data if isinstance(g, Tensor) else g for g in grads]
        for p, g in zip(self.params, raws, strict=True):
            if g.shape != p.shape:
                raise ValueError(f"gradient shape {g.shape} != parameter shape {p.shape}")
        with no_grad():
            updates, self.state = self.transform.update(raws, self.state,
                                                        [p.data for p in self.params])
            for p, u in zip(self.params, updates, strict=True):
                p.data = p.data + u.astype(p.dtype, copy=False)

    def state_dict(self) -> dict[str, Any]:
        return {"state": self.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.state = state["state"]


def _with_clip(tr: T.GradientTransformation, clip_norm: float | None) -> T.GradientTransformation:
    return tr if clip_norm is None else T.chain(T.clip_by_global_norm(clip_norm), tr)


class SGD(Optimizer):
    """SGD with optional momentum / Nesterov, weight decay, and global-norm clipping."""

    def __init__(self, params: Iterable[Parameter], lr: float | T.Schedule = 1e-2,
                 momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0,
                 clip_norm: float | None = None):
        super().__init__(params, _with_clip(T.sgd(lr, momentum, nesterov, weight_decay),
                                            clip_norm))


class Adam(Optimizer):
    """Adam / AdamW (``weight_decay``), with optional global-norm clipping and a schedule."""

    def __init__(self, params: Iterable[Parameter], lr: float | T.Schedule = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, clip_norm: float | None = None):
        super().__init__(params, _with_clip(T.adam(lr, betas[0], betas[1], eps, weight_decay),
                                            clip_norm))
