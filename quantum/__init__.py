"""quantum: a parameterized quantum circuit simulator (MindQuantum conventions).

Public names: ``gates``, ``Circuit``, ``ParameterResolver``, ``QubitOperator``,
``Hamiltonian`` (and, from the simulator, ``Simulator``).
"""

from . import gates, io
from .circuit import (
    UN,
    Circuit,
    add_prefix,
    add_suffix,
    apply,
    change_param_name,
    controlled,
    dagger,
)
from .operators import Hamiltonian, QubitOperator
from .parameterresolver import ParameterResolver

__all__ = [
    "gates", "io", "Circuit", "ParameterResolver", "QubitOperator", "Hamiltonian",
    "UN", "add_prefix", "add_suffix", "apply", "change_param_name", "controlled", "dagger",
]
