"""Hamiltonian: a numeric QubitOperator prepared for simulators.

``Hamiltonian(op)`` keeps the Pauli terms (applied term by term by the
simulator); ``ham.sparse(n_qubits)`` builds the CSR matrix once, stores it in
``ham.sparse_mat`` and returns ``ham``, after which simulators apply it as one
sparse matrix-vector product (MindQuantum's two modes).

Attributes:
    terms: list of ``(term, complex coeff)``; a term is a tuple of
        ``(qubit, "X"|"Y"|"Z")`` sorted by qubit, ``()`` the identity.
    n_qubits: 1 + the largest qubit index.
    sparse_mat: scipy CSR matrix or None.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .qubit_operator import QubitOperator

__all__ = ["Hamiltonian"]


class Hamiltonian:
    """Observable for expectation values.

    Args:
        hamiltonian: a QubitOperator with numeric coefficients, or a scipy
            sparse matrix (square, size ``2**n``).

    Raises:
        ValueError: parameterized coefficients, or a malformed sparse matrix.
    """

    def __init__(self, hamiltonian: QubitOperator | Any) -> None:
        self.sparse_mat: sp.csr_matrix | None = None
        if sp.issparse(hamiltonian):
            mat = sp.csr_matrix(hamiltonian, dtype=np.complex128)
            dim = mat.shape[0]
            if mat.shape[0] != mat.shape[1] or dim < 2 or dim & (dim - 1):
                raise ValueError(f"Sparse Hamiltonian must be 2**n square, got shape {mat.shape}")
            self.ham = QubitOperator()
            self.terms: list[tuple[tuple[tuple[int, str], ...], complex]] = []
            self.n_qubits = dim.bit_length() - 1
            self.sparse_mat = mat
            return
        if not isinstance(hamiltonian, QubitOperator):
            raise TypeError(
                f"Hamiltonian needs a QubitOperator or a scipy sparse matrix, got "
                f"{type(hamiltonian).__name__}"
            )
        if hamiltonian.parameterized:
            raise ValueError(
                "Hamiltonian coefficients must be numbers; substitute parameters with op.subs()"
            )
        self.ham = hamiltonian.compress(0.0)
        self.terms = [(k, complex(v)) for k, v in self.ham.terms.items()]
        self.n_qubits = self.ham.n_qubits

    @property
    def is_hermitian(self) -> bool:
        """True when every coefficient is real (or the sparse matrix is Hermitian)."""
        if self.sparse_mat is not None and not self.terms:
            d = self.sparse_mat - self.sparse_mat.conj().T
            return d.count_nonzero() == 0 or float(abs(d).max()) < 1e-12
        return all(abs(c.imag) < 1e-12 for _, c in self.terms)

    def sparse(self, n_qubits: int | None = None) -> Hamiltonian:
        """Build the CSR matrix on ``n_qubits`` qubits into ``sparse_mat``; returns self.

        Raises:
            ValueError: a term acts on a qubit >= ``n_qubits``.
        """
        n = self.n_qubits if n_qubits is None else int(n_qubits)
        if self.sparse_mat is not None and not self.terms:
            if self.sparse_mat.shape[0] != 2**n:
                raise ValueError(
                    f"Sparse Hamiltonian is on {self.n_qubits} qubits, asked for {n}"
                )
            return self
        if n < self.n_qubits:
            raise ValueError(
                f"Hamiltonian acts on qubit {self.n_qubits - 1}, wider than n_qubits={n}"
            )
        self.sparse_mat = self.ham.matrix(n)
        return self

    def matrix(self, n_qubits: int | None = None) -> sp.csr_matrix:
        """CSR matrix on ``n_qubits`` qubits (does not change the mode)."""
        if self.sparse_mat is not None and not self.terms:
            return self.sparse_mat
        return self.ham.matrix(self.n_qubits if n_qubits is None else n_qubits)

    def hermitian(self) -> Hamiltonian:
        """The Hermitian conjugate Hamiltonian."""
        if self.sparse_mat is not None and not self.terms:
            return Hamiltonian(self.sparse_mat.conj().T.tocsr())
        out = Hamiltonian(self.ham.hermitian())
        if self.sparse_mat is not None:
            out.sparse_mat = self.sparse_mat.conj().T.tocsr()
        return out

    def __str__(self) -> str:
        return str(self.ham) if self.terms else f"Hamiltonian(sparse {self.sparse_mat.shape})"

    def __repr__(self) -> str:
        return f"Hamiltonian({self})"
