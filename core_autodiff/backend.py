"""Array backends: numpy on the CPU, cupy on CUDA devices.

The backend is chosen per array (Chainer's ``get_array_module``): a Tensor
holding a cupy array computes on the GPU, one holding a numpy array on the
CPU. cupy is optional and imported lazily; importing the suite never needs it.
Mixing backends inside one operation is an error, never a silent copy.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

_cupy: ModuleType | None = None
_cupy_checked = False


def cupy_or_none() -> ModuleType | None:
    """Return the cupy module if it imports and sees a device, else ``None``."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy

            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception:
            _cupy = None
    return _cupy


def is_cupy_array(a: Any) -> bool:
    """True for a ``cupy.ndarray`` (checked by type name, without importing cupy)."""
    return type(a).__module__.startswith("cupy")


def array_module_of(a: Any) -> ModuleType:
    """numpy or cupy, whichever owns the raw array ``a``."""
    if is_cupy_array(a):
        import cupy

        return cupy
    return np


def get_array_module(*xs: Any) -> ModuleType:
    """The array module of the inputs: cupy if any holds a cupy array, else numpy.

    Tensors are unwrapped. Python scalars and numpy scalars are neutral.
    """
    for x in xs:
        d = getattr(x, "data", x)
        if is_cupy_array(d):
            import cupy

            return cupy
    return np


def device_of(a: Any) -> str:
    """``"cpu"`` for numpy arrays, ``"cuda:N"`` for cupy arrays."""
    if is_cupy_array(a):
        return f"cuda:{a.device.id}"
    return "cpu"


def to_device(a: Any, device: str) -> Any:
    """Copy a raw array to ``device`` (``"cpu"``, ``"cuda"`` or ``"cuda:N"``).

    Raises:
        RuntimeError: a CUDA device is asked for and cupy is not available.
        ValueError: the device string is not understood.
    """
    if device == "cpu":
        if is_cupy_array(a):
            return a.get()
        return np.asarray(a)
    if device.startswith("cuda"):
        cp = cupy_or_none()
        if cp is None:
            raise RuntimeError(
                f"device {device!r} requested but cupy with a CUDA device is not available "
                "(install the 'gpu' extra: pip install .[gpu])"
            )
        idx = int(device.split(":")[1]) if ":" in device else 0
        with cp.cuda.Device(idx):
            return cp.asarray(a)
    raise ValueError(f"unknown device {device!r}: expected 'cpu', 'cuda' or 'cuda:N'")
