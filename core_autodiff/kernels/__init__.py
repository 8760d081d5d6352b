"""Raw kernels (no autodiff): numba on the CPU (``cpu``), numba.cuda on GPUs (``cuda``).

Primitives in ``core_autodiff.ops`` call these from their ``forward``. The
CUDA module is imported lazily, so importing the suite never needs a GPU.
"""
