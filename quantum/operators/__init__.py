"""Operators: Pauli sums (QubitOperator) and observables (Hamiltonian)."""

from .hamiltonian import Hamiltonian
from .qubit_operator import QubitOperator, pauli_term_sparse

__all__ = ["QubitOperator", "Hamiltonian", "pauli_term_sparse"]
