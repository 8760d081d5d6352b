"""Circuits: the Circuit container, builders, dense matrices and text drawing."""

from .builders import UN, add_prefix, add_suffix, apply, change_param_name, controlled, dagger
from .circuit import Circuit
from .draw import draw_circuit
from .matrix import apply_gate_dense, circuit_matrix, gate_unitary

__all__ = [
    "Circuit", "UN", "add_prefix", "add_suffix", "apply", "change_param_name", "controlled",
    "dagger", "draw_circuit", "apply_gate_dense", "circuit_matrix", "gate_unitary",
]
