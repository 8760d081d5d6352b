"""Test-session set-up shared by all packages.

Without a real NVIDIA driver, numba.cuda kernels run through the CUDA
simulator; the variable must be set before ``numba.cuda`` is first imported.
"""

import os
import shutil

if "NUMBA_ENABLE_CUDASIM" not in os.environ and shutil.which("nvidia-smi") is None:
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"


def has_real_gpu() -> bool:
    """True when cupy imports and sees at least one CUDA device."""
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False
