"""Fermion-to-qubit maps: Jordan-Wigner, parity and Bravyi-Kitaev.

All three are *linear encodings*: the qubit register stores ``b = A n (mod 2)``
for the occupation vector ``n`` and an invertible binary matrix ``A``
(Seeley, Richard & Love, J. Chem. Phys. 137, 224109 (2012)):

- Jordan-Wigner: ``A = I`` (qubit j stores n_j);
- parity: ``A[i, k] = 1 for k <= i`` (qubit j stores n_0 + ... + n_j);
- Bravyi-Kitaev: the Fenwick-tree matrix ``A[i, k] = 1 for (i & (i+1)) <= k <= i``
  (qubit j stores a partial sum; valid for any number of modes).

With the update set ``U(j) = {i : A[i, j] = 1}`` (qubits flipped when n_j
flips), the parity set ``P(j) = {i : sum_{k<j} A^{-1}[k, i] = 1}`` (qubits whose
product of Z gives (-1)^{n_0 + ... + n_{j-1}}) and the occupation set
``O(j) = {i : A^{-1}[j, i] = 1}`` (Z_O = (-1)^{n_j}), the creation operator is

    a_j^dagger = X_{U(j)} Z_{P(j)} (1 + Z_{O(j)}) / 2,

and a_j its Hermitian conjugate. For ``A = I`` this is the usual
``Z_0 ... Z_{j-1} (X_j - i Y_j) / 2``.

Internally Pauli strings are ``(x, z)`` bit masks of ``X^x Z^z`` (per qubit: X
then Z), multiplied with the symplectic phase rule; they convert to
:class:`quantum.QubitOperator` (``X Z = -i Y``) at the end, so transforming a
LiH Hamiltonian (thousands of terms) takes well under a second.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from ..operators import QubitOperator
from ..parameterresolver import ParameterResolver
from .fermion_operator import FermionOperator

__all__ = ["jordan_wigner", "parity", "bravyi_kitaev", "Transform", "encoding_matrix"]

PauliDict = dict[tuple[int, int], Any]


def encoding_matrix(kind: str, n_modes: int) -> np.ndarray:
    """The binary encoding matrix ``A`` (``(n, n)`` uint8) of ``"jordan_wigner"``,
    ``"parity"`` or ``"bravyi_kitaev"``."""
    n = int(n_modes)
    if kind == "jordan_wigner":
        return np.eye(n, dtype=np.uint8)
    if kind == "parity":
        return np.tril(np.ones((n, n), dtype=np.uint8))
    if kind == "bravyi_kitaev":
        a = np.zeros((n, n), dtype=np.uint8)
        for i in range(n):
            a[i, (i & (i + 1)): i + 1] = 1
        return a
    raise ValueError(f"Unknown fermion encoding {kind!r}: use jordan_wigner, parity, "
                     "bravyi_kitaev")


def _gf2_inverse(a: np.ndarray) -> np.ndarray:
    n = a.shape[0]
    m = np.concatenate([a.astype(np.uint8) % 2, np.eye(n, dtype=np.uint8)], axis=1)
    for col in range(n):
        piv = next(r for r in range(col, n) if m[r, col])
        m[[col, piv]] = m[[piv, col]]
        for r in range(n):
            if r != col and m[r, col]:
                m[r] ^= m[col]
    return m[:, n:]


def _mask(bits) -> int:
    out = 0
    for i in bits:
        out |= 1 << int(i)
    return out


@lru_cache(maxsize=64)
def _ladder_table(kind: str, n: int) -> tuple[tuple[PauliDict, PauliDict], ...]:
    """Per mode: (creation, annihilation) as ``{(x, z): coeff}`` dictionaries."""
    a = encoding_matrix(kind, n)
    ainv = _gf2_inverse(a)
    out = []
    for j in range(n):
        u = _mask(np.nonzero(a[:, j])[0])
        p = _mask(np.nonzero(ainv[:j].sum(axis=0) % 2)[0])
        o = _mask(np.nonzero(ainv[j])[0])
        # X_U Z_P (1 + Z_O)/2 = 1/2 X_U Z_P + 1/2 X_U Z_{P ^ O}
        create = {(u, p): 0.5}
        key = (u, p ^ o)
        create[key] = create.get(key, 0.0) + 0.5
        out.append((create, _dagger(create)))
    return tuple(out)


def _popcount(v: int) -> int:
    return bin(v).count("1")


def _dagger(d: PauliDict) -> PauliDict:
    # (X^x Z^z)^dagger = Z^z X^x = (-1)^{|x & z|} X^x Z^z
    return {(x, z): np.conj(c) * (-1) ** _popcount(x & z) for (x, z), c in d.items()}


def _mul(d1: PauliDict, d2: PauliDict) -> PauliDict:
    out: PauliDict = {}
    for (x1, z1), c1 in d1.items():
        for (x2, z2), c2 in d2.items():
            # X^x1 Z^z1 X^x2 Z^z2 = (-1)^{|z1 & x2|} X^{x1^x2} Z^{z1^z2}
            c = c1 * c2
            if _popcount(z1 & x2) & 1:
                c = -c
            key = (x1 ^ x2, z1 ^ z2)
            out[key] = out[key] + c if key in out else c
    return out


def _to_qubit_operator(d: PauliDict, n: int, tol: float = 0.0) -> QubitOperator:
    terms: dict = {}
    for (x, z), c in d.items():
        if isinstance(c, ParameterResolver):
            if all(abs(v) <= tol for v in c.values()) and abs(c.const) <= tol:
                continue
        elif abs(c) <= tol:
            continue
        key = []
        n_y = 0
        for q in range(n):
            bx, bz = (x >> q) & 1, (z >> q) & 1
            if bx and bz:
                key.append((q, "Y"))
                n_y += 1
            elif bx:
                key.append((q, "X"))
            elif bz:
                key.append((q, "Z"))
        phase = (-1j) ** n_y  # X Z = -i Y per qubit
        terms[tuple(key)] = c * phase if phase != 1 else c
    return QubitOperator.from_terms(terms).compress(tol)


def _fermion_terms(op: Any):
    """``(term, coeff)`` pairs of a FermionOperator or an InteractionOperator."""
    if isinstance(op, FermionOperator):
        return op.terms.items(), op.n_modes
    if hasattr(op, "fermion_terms"):
        return op.fermion_terms(), op.n_qubits
    raise TypeError(f"Fermion-to-qubit transforms need a FermionOperator or an "
                    f"InteractionOperator, got {type(op).__name__}")


def _transform(op: Any, kind: str, n_qubits: int | None) -> QubitOperator:
    items, n_modes = _fermion_terms(op)
    n = n_modes if n_qubits is None else int(n_qubits)
    if n < n_modes:
        raise ValueError(f"Operator acts on mode {n_modes - 1} but n_qubits={n}")
    table = _ladder_table(kind, max(n, 1))
    total: PauliDict = {}
    for term, coeff in items:
        acc: PauliDict = {(0, 0): 1.0}
        for mode, action in term:
            acc = _mul(acc, table[mode][0 if action else 1])
        for key, c in acc.items():
            if c == 0:
                continue
            v = coeff * c
            total[key] = total[key] + v if key in total else v
    return _to_qubit_operator(total, n, tol=1e-14)


def jordan_wigner(op: Any, n_qubits: int | None = None) -> QubitOperator:
    """Jordan-Wigner transform: ``a_j^dagger = Z_0 ... Z_{j-1} (X_j - i Y_j)/2``.

    Args:
        op: FermionOperator or InteractionOperator.
        n_qubits: register width (default: the number of modes).

    Returns:
        The QubitOperator (coefficients below 1e-14 dropped).
    """
    return _transform(op, "jordan_wigner", n_qubits)


def parity(op: Any, n_qubits: int | None = None) -> QubitOperator:
    """Parity transform: qubit j stores ``n_0 + ... + n_j mod 2``.

    Needs the register width (``n_qubits``, default the number of modes): the
    update set of mode j runs to the last qubit.
    """
    return _transform(op, "parity", n_qubits)


def bravyi_kitaev(op: Any, n_qubits: int | None = None) -> QubitOperator:
    """Bravyi-Kitaev transform (Fenwick-tree encoding, any number of modes)."""
    return _transform(op, "bravyi_kitaev", n_qubits)


class Transform:
    """MindQuantum-style wrapper: ``Transform(op, n_qubits).jordan_wigner()``.

    Args:
        operator: FermionOperator or InteractionOperator.
        n_qubits: register width (default: the operator's number of modes).
    """

    def __init__(self, operator: Any, n_qubits: int | None = None) -> None:
        _fermion_terms(operator)
        self.operator = operator
        self.n_qubits = n_qubits

    def jordan_wigner(self) -> QubitOperator:
        return jordan_wigner(self.operator, self.n_qubits)

    def parity(self) -> QubitOperator:
        return parity(self.operator, self.n_qubits)

    def bravyi_kitaev(self) -> QubitOperator:
        return bravyi_kitaev(self.operator, self.n_qubits)
