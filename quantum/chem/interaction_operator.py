"""InteractionOperator: a molecular Hamiltonian in second quantisation.

    H = c + sum_pq h1[p, q] a_p^dagger a_q + sum_pqrs h2[p, q, r, s] a_p^dagger a_q^dagger a_r a_s

over spin orbitals (OpenFermion's and MindQuantum's ``InteractionOperator``).
:func:`spinorb_from_spatial` builds ``h1, h2`` from spatial molecular-orbital
integrals (interleaved spin orbitals ``2p`` = alpha, ``2p + 1`` = beta):

    h1[2p+s, 2q+s] = h[p, q]
    h2[2p+s, 2q+t, 2r+t, 2s'+s] = (p s'|q r) / 2

with ``(pq|rs)`` the two-electron integrals in chemists' notation (PySCF's
``ao2mo`` order) in Hartree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .fermion_operator import FermionOperator

__all__ = ["InteractionOperator", "spinorb_from_spatial", "get_fermion_operator"]


def spinorb_from_spatial(one_body: np.ndarray, eri: np.ndarray,
                         tol: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Spin-orbital tensors from spatial MO integrals.

    Args:
        one_body: ``(n, n)`` core Hamiltonian in the MO basis (Hartree).
        eri: ``(n, n, n, n)`` two-electron integrals ``(pq|rs)``, chemists' notation.
        tol: entries with magnitude below ``tol`` are set to zero.

    Returns:
        ``h1 (2n, 2n)`` and ``h2 (2n, 2n, 2n, 2n)`` with the 1/2 of the Hamiltonian
        already in ``h2``.

    Raises:
        ValueError: shapes inconsistent.
    """
    h = np.asarray(one_body, dtype=float)
    g = np.asarray(eri, dtype=float)
    n = h.shape[0]
    if h.shape != (n, n) or g.shape != (n, n, n, n):
        raise ValueError(f"one_body must be (n, n) and eri (n, n, n, n); got {h.shape}, "
                         f"{g.shape}")
    two = g.transpose(0, 2, 3, 1)  # two[p,q,r,s] = (ps|qr)
    h1 = np.zeros((2 * n, 2 * n))
    h2 = np.zeros((2 * n,) * 4)
    for s in range(2):
        h1[s::2, s::2] = h
        for t in range(2):
            h2[s::2, t::2, t::2, s::2] = two / 2
    if tol:
        h1[np.abs(h1) < tol] = 0.0
        h2[np.abs(h2) < tol] = 0.0
    return h1, h2


class InteractionOperator:
    """``c + h1 . a^+a + h2 . a^+a^+aa`` over ``n_qubits`` spin orbitals.

    Args:
        constant: scalar (Hartree), e.g. the nuclear repulsion.
        one_body_tensor: ``(n, n)``.
        two_body_tensor: ``(n, n, n, n)``.

    Raises:
        ValueError: shapes inconsistent.
    """

    def __init__(self, constant: float, one_body_tensor: np.ndarray,
                 two_body_tensor: np.ndarray) -> None:
        h1 = np.asarray(one_body_tensor)
        h2 = np.asarray(two_body_tensor)
        n = h1.shape[0]
        if h1.shape != (n, n) or h2.shape != (n, n, n, n):
            raise ValueError(f"InteractionOperator: one_body_tensor must be (n, n) and "
                             f"two_body_tensor (n, n, n, n); got {h1.shape}, {h2.shape}")
        self.constant = complex(constant).real if np.isreal(constant) else complex(constant)
        self.one_body_tensor = h1
        self.two_body_tensor = h2
        self.n_qubits = n

    def fermion_terms(self, tol: float = 0.0) -> Iterator[tuple[tuple, Any]]:
        """``(term, coeff)`` pairs of the non-zero entries (identity first)."""
        if self.constant != 0:
            yield (), self.constant
        for p, q in zip(*np.nonzero(np.abs(self.one_body_tensor) > tol), strict=True):
            yield ((int(p), 1), (int(q), 0)), self.one_body_tensor[p, q].item()
        for p, q, r, s in zip(*np.nonzero(np.abs(self.two_body_tensor) > tol), strict=True):
            yield (((int(p), 1), (int(q), 1), (int(r), 0), (int(s), 0)),
                   self.two_body_tensor[p, q, r, s].item())

    def get_fermion_operator(self) -> FermionOperator:
        """The same operator as a FermionOperator."""
        return FermionOperator.from_terms(dict(self.fermion_terms()))

    def __repr__(self) -> str:
        return f"InteractionOperator(n_qubits={self.n_qubits}, constant={self.constant})"


def get_fermion_operator(op: InteractionOperator) -> FermionOperator:
    """FermionOperator of an InteractionOperator (MindQuantum/OpenFermion name)."""
    if not isinstance(op, InteractionOperator):
        raise TypeError(f"get_fermion_operator needs an InteractionOperator, got "
                        f"{type(op).__name__}")
    return op.get_fermion_operator()
