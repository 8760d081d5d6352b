"""QubitOperator: sums of Pauli strings with numeric or parameterized coefficients.

``QubitOperator("X0 Y1", 0.5)`` is ``0.5 X_0 Y_1``. ``op.terms`` maps a term
key to its coefficient; a key is a tuple of ``(qubit, "X"|"Y"|"Z")`` sorted by
qubit, ``()`` the identity. Products of Pauli operators on the same qubit are
reduced with their phases (``X Y = i Z``). Coefficients are numbers or
:class:`ParameterResolver` expressions (MindQuantum's convention).

Matrices use qubit 0 as the least significant bit of the index.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp

from .term_algebra import TermOperator

__all__ = ["QubitOperator", "pauli_term_sparse"]

Term = tuple[tuple[int, str], ...]
Coeff = Any  # complex | float | ParameterResolver

# (a, b) -> (phase, c) with sigma_a sigma_b = phase * sigma_c ("I" for identity)
_PRODUCT = {
    ("X", "X"): (1, "I"), ("Y", "Y"): (1, "I"), ("Z", "Z"): (1, "I"),
    ("X", "Y"): (1j, "Z"), ("Y", "X"): (-1j, "Z"),
    ("Y", "Z"): (1j, "X"), ("Z", "Y"): (-1j, "X"),
    ("Z", "X"): (1j, "Y"), ("X", "Z"): (-1j, "Y"),
}
_TOKEN = re.compile(r"^([XYZxyz])(\d+)$")


def _simplify(ops: list[tuple[int, str]]) -> tuple[complex, Term]:
    """Multiply a word of single-qubit Paulis (in order) into phase * sorted term."""
    phase: complex = 1
    per_qubit: dict[int, str] = {}
    for q, p in ops:
        if q in per_qubit:
            ph, c = _PRODUCT[(per_qubit[q], p)]
            phase *= ph
            if c == "I":
                del per_qubit[q]
            else:
                per_qubit[q] = c
        else:
            per_qubit[q] = p
    return phase, tuple(sorted(per_qubit.items()))


def _parse_term(term: Any) -> tuple[complex, Term]:
    if term is None:
        return 1, ()
    if isinstance(term, str):
        ops = []
        for tok in term.split():
            m = _TOKEN.match(tok)
            if not m:
                raise ValueError(
                    f"Invalid Pauli token {tok!r} in term {term!r}: expected e.g. 'X0 Y1 Z12'"
                )
            ops.append((int(m.group(2)), m.group(1).upper()))
        return _simplify(ops)
    if isinstance(term, tuple | list):
        ops = []
        for item in term:
            if (
                not isinstance(item, tuple | list)
                or len(item) != 2
                or not isinstance(item[0], numbers.Integral)
                or str(item[1]).upper() not in "XYZ"
                or len(str(item[1])) != 1
            ):
                raise ValueError(f"Invalid Pauli factor {item!r}: expected (qubit, 'X'|'Y'|'Z')")
            if item[0] < 0:
                raise ValueError(f"Negative qubit index {item[0]} in term {term!r}")
            ops.append((int(item[0]), str(item[1]).upper()))
        return _simplify(ops)
    raise TypeError(f"QubitOperator term must be a str or a tuple of (qubit, pauli), got {term!r}")


def _term_str(term: Term) -> str:
    return " ".join(f"{p}{q}" for q, p in term)


class QubitOperator(TermOperator):
    """A sum of Pauli strings ``sum_t c_t P_t``.

    Args:
        term: ``"X0 Y1"`` (``""`` or ``()``: identity; None: the zero operator),
            or ``((0, "X"), (1, "Y"))``.
        coefficient: a number, a parameter name or a ParameterResolver.

    Raises:
        ValueError: malformed Pauli token or negative qubit.
    """

    _parse_term = staticmethod(_parse_term)
    _term_product = staticmethod(lambda k1, k2: _simplify(list(k1) + list(k2)))
    _term_str = staticmethod(_term_str)

    @property
    def n_qubits(self) -> int:
        """1 + the largest qubit index (0 for a constant)."""
        return self._width()

    def relabel(self, mapping: Mapping[int, int]) -> QubitOperator:
        """Rename qubits (``mapping[old] = new``; qubits not in it are kept)."""
        out = QubitOperator()
        for k, v in self.terms.items():
            phase, key = _simplify([(mapping.get(q, q), p) for q, p in k])
            out._add_term(key, v * phase if phase != 1 else v)
        return out

    # ------------------------------------------------------------- matrices
    def matrix(self, n_qubits: int | None = None, sparse: bool = True):
        """Matrix ``(2**n, 2**n)`` complex128: scipy CSR by default, ndarray with ``sparse=False``.

        Raises:
            ValueError: a coefficient is parameterized, or a term acts on a qubit
                >= ``n_qubits``.
        """
        n = self.n_qubits if n_qubits is None else int(n_qubits)
        if n < self.n_qubits:
            raise ValueError(
                f"QubitOperator acts on qubit {self.n_qubits - 1}, wider than n_qubits={n}"
            )
        if self.parameterized:
            raise ValueError(
                "QubitOperator with parameterized coefficients has no matrix; use subs()"
            )
        dim = 2**n
        rows, cols, data = [], [], []
        for k, v in self.terms.items():
            r, c, d = _pauli_term_coo(k, n)
            rows.append(r)
            cols.append(c)
            data.append(complex(v) * d)
        if not data:
            mat = sp.csr_matrix((dim, dim), dtype=np.complex128)
        else:
            mat = sp.csr_matrix(
                (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
                shape=(dim, dim),
            )
        mat.sum_duplicates()
        mat.eliminate_zeros()
        return mat if sparse else mat.toarray()


def pauli_term_sparse(term: Term, n_qubits: int) -> sp.csr_matrix:
    """CSR matrix of one Pauli string on ``n_qubits`` qubits (qubit 0 least significant).

    Built directly: ``P|x> = phase(x) |x ^ flip>`` with ``flip`` the X/Y mask and
    ``phase = i^{#Y} (-1)^{popcount(x & (Y|Z mask))}``.
    """
    rows, cols, data = _pauli_term_coo(term, n_qubits)
    return sp.csr_matrix((data, (rows, cols)), shape=(2**n_qubits, 2**n_qubits))


def _pauli_term_coo(term: Term, n_qubits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, cols, data)`` of one Pauli string (one entry per column)."""
    dim = 2**n_qubits
    flip = 0
    zmask = 0
    n_y = 0
    for q, p in term:
        if q >= n_qubits:
            raise ValueError(
                f"Pauli term {_term_str(term)} acts on qubit {q} >= n_qubits={n_qubits}"
            )
        if p in "XY":
            flip |= 1 << q
        if p in "YZ":
            zmask |= 1 << q
        if p == "Y":
            n_y += 1
    x = np.arange(dim, dtype=np.int64)
    bits = x & zmask
    parity = np.zeros(dim, dtype=np.int64)
    while np.any(bits):
        parity ^= bits & 1
        bits >>= 1
    # P = sum_x phase(x) |x^flip><x| ; for Y: Y|0> = i|1>, Y|1> = -i|0>:
    # phase(x) = i^{n_y} * (-1)^{popcount(x & zmask)}
    data = (1j**n_y) * (1 - 2 * parity).astype(np.complex128)
    return x ^ flip, x, data
