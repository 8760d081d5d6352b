"""State-vector simulation (MindQuantum's ``Simulator`` API) on numba / numba.cuda kernels.

Pipeline: gates -> :mod:`.ops` (kernel-ready ops: dense, diagonal, permutation, X; or
parameterized forms) -> :mod:`.program` (bound or parametric op lists, fused by
:mod:`.fusion`) -> a backend (:mod:`.backend` CPU, :mod:`.cuda_backend` GPU) that applies
them, with :mod:`.blocking` (cache-blocked runs, CPU, >= 16 qubits) and :mod:`.flat`
(a whole program in one numba call, CPU, < 16 qubits). Gradients:
:mod:`.gradient` (adjoint method) behind :mod:`.grad_ops` (batched operator). Sampling:
:mod:`.measure`. Hamiltonians become grouped Pauli masks in :mod:`.pauli`.
"""

from .backend import CpuBackend
from .cuda_backend import CudaBackend
from .grad_ops import GradOpsWrapper
from .measure import MeasureResult
from .simulator import Simulator

__all__ = ["Simulator", "MeasureResult", "GradOpsWrapper", "CpuBackend", "CudaBackend"]
