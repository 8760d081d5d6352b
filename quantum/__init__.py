"""quantum: a parameterized quantum circuit simulator (MindQuantum conventions).

Public names: ``gates``, ``Circuit``, ``ParameterResolver``, ``QubitOperator``,
``Hamiltonian`` (and, from the simulator, ``Simulator``); quantum machine learning:
``QuantumLayer``, ``ProbabilityLayer``, ``FidelityLayer`` (:mod:`.layers`), encoders
(:mod:`.encoders`), QFT and Grover builders (:mod:`.library`), QAOA (:mod:`.qaoa`).
"""

import os as _os

# numba's OpenMP workers spin between parallel regions by default; on small shared
# machines that starves the other threads (measured 3-4x slower at 2 threads). Wait
# passively unless the user chose otherwise; must be set before numba starts threads.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import chem, encoders, gates, io, library, qaoa  # noqa: E402
from .circuit import (  # noqa: E402
    UN,
    Circuit,
    add_prefix,
    add_suffix,
    apply,
    change_param_name,
    controlled,
    dagger,
)
from .encoders import IQPEncoding, amplitude_encoder, angle_encoder  # noqa: E402
from .layers import FidelityLayer, ProbabilityLayer, QuantumLayer  # noqa: E402
from .library import grover_diffusion, grover_oracle, grover_search, qft  # noqa: E402
from .operators import Hamiltonian, QubitOperator  # noqa: E402
from .parameterresolver import ParameterResolver  # noqa: E402
from .qaoa import MaxCutAnsatz, solve_maxcut  # noqa: E402
from .simulator import Simulator  # noqa: E402

__all__ = [
    "gates", "io", "Circuit", "ParameterResolver", "QubitOperator", "Hamiltonian", "Simulator",
    "UN", "add_prefix", "add_suffix", "apply", "change_param_name", "controlled", "dagger",
    "chem", "encoders", "library", "qaoa", "QuantumLayer", "ProbabilityLayer", "FidelityLayer",
    "IQPEncoding", "amplitude_encoder", "angle_encoder", "qft", "grover_oracle",
    "grover_diffusion", "grover_search", "MaxCutAnsatz", "solve_maxcut",
]
