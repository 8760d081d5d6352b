"""``Module``: a container of Parameters and sub-Modules, registered on assignment.

    class Energy(ad.nn.Module):
        def __init__(self):
            super().__init__()
            self.mlp = ad.nn.MLP([16, 64, 1])        # registered sub-module
            self.scale = ad.nn.Parameter(np.ones(1))  # registered parameter
        def forward(self, x):
            return self.mlp(x).sum() * self.scale

Parameters are named by attribute path (``mlp.layers.0.weight``) in
``named_parameters()`` and ``state_dict()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..backend import to_device
from ..tensor import Parameter


class Module:
    """Base class of layers and models; subclasses define ``forward``."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before assigning "
                f"attribute {name!r}"
            )
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
            if value.name is None:
                value.name = name
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value: Any) -> None:
        """A non-trainable array saved in ``state_dict`` and moved by ``to()``
        (e.g. descriptor scales); read and assign it as an attribute."""
        if name in self._parameters or name in self._modules:
            raise KeyError(f"{name!r} is already a parameter or sub-module")
        self._buffers[name] = True
        object.__setattr__(self, name, value)

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        for mname, m in self.named_modules(prefix):
            for bname in m._buffers:
                yield (f"{mname}.{bname}" if mname else bname), getattr(m, bname)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- traversal -----------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, m in self._modules.items():
            yield from m.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        seen: set[int] = set()
        for mname, m in self.named_modules(prefix):
            for pname, p in m._parameters.items():
                if id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mname}.{pname}" if mname else pname), p

    def parameters(self) -> list[Parameter]:
        """All parameters (shared ones once), in registration order."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        return int(sum(p.size for p in self.parameters()))

    # -- state -----------------------------------------------------------------
    def requires_grad_(self, flag: bool = True) -> Module:
        """Switch gradient tracking of every parameter (off for MD with a frozen model)."""
        for p in self.parameters():
            p.requires_grad = bool(flag)
        return self

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def to(self, device: str) -> Module:
        """Move every parameter's data to ``device`` ("cpu", "cuda", "cuda:N") in place."""
        for p in self.parameters():
            p.data = to_device(p.data, device)
            p.grad = None
        for m in self.modules():
            for b in m._buffers:
                object.__setattr__(m, b, to_device(getattr(m, b), device))
        return self

    def astype(self, dtype: Any) -> Module:
        """Cast every parameter to ``dtype`` in place."""
        for p in self.parameters():
            p.data = p.data.astype(dtype)
        return self

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameter and buffer arrays by name, copied to host numpy (``np.savez``-able)."""
        out = {name: np.array(to_device(p.data, "cpu")) for name, p in self.named_parameters()}
        for name, b in self.named_buffers():
            out[name] = np.array(to_device(b, "cpu"))
        return out

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters (same device and dtype as the parameters).

        Raises:
            KeyError: ``strict`` and names are missing or unexpected.
            ValueError: a shape differs.
        """
        own = dict(self.named_parameters())
        buffers = {}
        for mname, m in self.named_modules():
            for bname in m._buffers:
                buffers[f"{mname}.{bname}" if mname else bname] = (m, bname)
        if strict:
            missing = sorted((set(own) | set(buffers)) - set(state))
            extra = sorted(set(state) - set(own) - set(buffers))
            if missing or extra:
                raise KeyError(f"state_dict mismatch: missing {missing}, unexpected {extra}")
        for name, value in state.items():
            if name in buffers:
                m, bname = buffers[name]
                old = getattr(m, bname)
                arr = np.asarray(value)
                if np.shape(old) != arr.shape:
                    raise ValueError(f"buffer {name!r}: shape {arr.shape} in state, "
                                     f"{np.shape(old)} here")
                object.__setattr__(m, bname, to_device(arr, "cpu" if isinstance(old, np.ndarray)
                                                       else "cuda"))
                continue
            if name not in own:
                continue
            p = own[name]
            arr = np.asarray(value)
            if arr.shape != p.shape:
                raise ValueError(f"parameter {name!r}: shape {arr.shape} in state, {p.shape} here")
            p.data = to_device(arr.astype(p.dtype), p.device)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"  ({name}): {sub}")
        return "\n".join(lines) + ("\n)" if len(lines) > 1 else ")")
