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
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..parameterresolver import ParameterResolver

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


def _as_coeff(c: Any) -> Coeff:
    if isinstance(c, ParameterResolver):
        return c.const if c.is_const() else c
    if isinstance(c, str | Mapping):
        return ParameterResolver(c)
    if isinstance(c, bool) or not isinstance(c, numbers.Number):
        raise TypeError(f"QubitOperator coefficient must be a number or a parameter, got {c!r}")
    c = complex(c)
    return c.real if c.imag == 0 else c


def _is_zero(c: Coeff, tol: float) -> bool:
    if isinstance(c, ParameterResolver):
        return all(abs(v) <= tol for v in c.values()) and abs(c.const) <= tol
    return abs(c) <= tol


def _term_str(term: Term) -> str:
    return " ".join(f"{p}{q}" for q, p in term)


class QubitOperator:
    """A sum of Pauli strings ``sum_t c_t P_t``.

    Args:
        term: ``"X0 Y1"`` (``""`` or ``()``: identity; None: the zero operator),
            or ``((0, "X"), (1, "Y"))``.
        coefficient: a number, a parameter name or a ParameterResolver.

    Raises:
        ValueError: malformed Pauli token or negative qubit.
    """

    __array_priority__ = 100

    def __init__(self, term: Any = None, coefficient: Any = 1.0) -> None:
        self.terms: dict[Term, Coeff] = {}
        if term is None:
            return
        phase, key = _parse_term(term)
        self.terms[key] = _as_coeff(coefficient) * phase if phase != 1 else _as_coeff(coefficient)

    @classmethod
    def from_terms(cls, terms: Mapping[Term, Coeff]) -> QubitOperator:
        """Operator from a ``{term: coeff}`` mapping (keys already canonical)."""
        out = cls()
        for k, v in terms.items():
            out._add_term(k, v)
        return out

    def _add_term(self, key: Term, coeff: Coeff) -> None:
        if key in self.terms:
            coeff = self.terms[key] + coeff
        self.terms[key] = _as_coeff(coeff)

    # ----------------------------------------------------------- properties
    @property
    def n_qubits(self) -> int:
        """1 + the largest qubit index (0 for a constant)."""
        return max((q + 1 for t in self.terms for q, _ in t), default=0)

    def count_qubits(self) -> int:
        """Same as :attr:`n_qubits` (MindQuantum spelling)."""
        return self.n_qubits

    @property
    def parameterized(self) -> bool:
        """True when a coefficient is a (non-constant) ParameterResolver."""
        return any(isinstance(c, ParameterResolver) for c in self.terms.values())

    @property
    def constant(self) -> Coeff:
        """Coefficient of the identity term."""
        return self.terms.get((), 0.0)

    @property
    def is_singlet(self) -> bool:
        """True for a single term."""
        return len(self.terms) == 1

    def split(self) -> Iterator[tuple[Coeff, QubitOperator]]:
        """Yield ``(coeff, QubitOperator(term))`` per term."""
        for k, v in self.terms.items():
            yield v, QubitOperator.from_terms({k: 1.0})

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[QubitOperator]:
        for k, v in self.terms.items():
            yield QubitOperator.from_terms({k: v})

    # ----------------------------------------------------------- arithmetic
    def copy(self) -> QubitOperator:
        return QubitOperator.from_terms(
            {
                k: (v.copy() if isinstance(v, ParameterResolver) else v)
                for k, v in self.terms.items()
            }
        )

    @staticmethod
    def _coerce(other: Any) -> QubitOperator:
        if isinstance(other, QubitOperator):
            return other
        return QubitOperator("", other)

    def __add__(self, other: Any) -> QubitOperator:
        out = self.copy()
        for k, v in self._coerce(other).terms.items():
            out._add_term(k, v)
        return out

    __radd__ = __add__

    def __iadd__(self, other: Any) -> QubitOperator:
        for k, v in self._coerce(other).terms.items():
            self._add_term(k, v)
        return self

    def __neg__(self) -> QubitOperator:
        return self * -1.0

    def __sub__(self, other: Any) -> QubitOperator:
        return self + (-self._coerce(other))

    def __rsub__(self, other: Any) -> QubitOperator:
        return self._coerce(other) + (-self)

    def __mul__(self, other: Any) -> QubitOperator:
        if isinstance(other, QubitOperator):
            out = QubitOperator()
            for k1, v1 in self.terms.items():
                for k2, v2 in other.terms.items():
                    phase, key = _simplify(list(k1) + list(k2))
                    out._add_term(key, (v1 * v2) * phase if phase != 1 else v1 * v2)
            return out
        c = _as_coeff(other)
        return QubitOperator.from_terms({k: v * c for k, v in self.terms.items()})

    def __rmul__(self, other: Any) -> QubitOperator:
        if isinstance(other, QubitOperator):  # pragma: no cover - handled by __mul__
            return other * self
        return self * other

    def __imul__(self, other: Any) -> QubitOperator:
        res = self * other
        self.terms = res.terms
        return self

    def __truediv__(self, other: Any) -> QubitOperator:
        if isinstance(other, QubitOperator):
            raise TypeError("Division by a QubitOperator is not defined")
        return self * (1.0 / complex(other) if isinstance(other, complex) else 1.0 / other)

    def __pow__(self, exponent: int) -> QubitOperator:
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Integral) or exponent < 0:
            raise ValueError(f"QubitOperator power must be a non-negative int, got {exponent!r}")
        out = QubitOperator("")
        for _ in range(int(exponent)):
            out = out * self
        return out

    def compress(self, abs_tol: float = 1e-12) -> QubitOperator:
        """New operator without terms whose coefficient magnitude is <= ``abs_tol``.

        Complex coefficients with an imaginary part below ``abs_tol`` become real.
        """
        out = QubitOperator()
        for k, v in self.terms.items():
            if _is_zero(v, abs_tol):
                continue
            if isinstance(v, complex) and abs(v.imag) <= abs_tol:
                v = v.real
            out.terms[k] = v
        return out

    def hermitian(self) -> QubitOperator:
        """Hermitian conjugate: Pauli strings are Hermitian, so coefficients are conjugated."""
        return QubitOperator.from_terms(
            {
                k: (v.conjugate() if isinstance(v, ParameterResolver) else np.conj(v).item())
                for k, v in self.terms.items()
            }
        )

    dagger = hermitian

    @property
    def real(self) -> QubitOperator:
        """Operator with the real parts of the coefficients."""
        return QubitOperator.from_terms(
            {k: (v.real if isinstance(v, ParameterResolver) else float(np.real(v)))
             for k, v in self.terms.items()}
        )

    @property
    def imag(self) -> QubitOperator:
        """Operator with the imaginary parts of the coefficients."""
        return QubitOperator.from_terms(
            {k: (v.imag if isinstance(v, ParameterResolver) else float(np.imag(v)))
             for k, v in self.terms.items()}
        )

    def subs(self, values: Mapping[str, Any]) -> QubitOperator:
        """Replace parameters in coefficients by numbers (all must be given)."""
        out = QubitOperator()
        for k, v in self.terms.items():
            if isinstance(v, ParameterResolver):
                v = _as_coeff(v.combination(values))
            out.terms[k] = v
        return out

    def relabel(self, mapping: Mapping[int, int]) -> QubitOperator:
        """Rename qubits (``mapping[old] = new``; qubits not in it are kept)."""
        out = QubitOperator()
        for k, v in self.terms.items():
            phase, key = _simplify([(mapping.get(q, q), p) for q, p in k])
            out._add_term(key, v * phase if phase != 1 else v)
        return out

    def __eq__(self, other: object) -> bool:
        if isinstance(other, numbers.Number):
            other = QubitOperator("", other)
        if not isinstance(other, QubitOperator):
            return NotImplemented
        diff = (self - other).compress(1e-12)
        return not diff.terms

    __hash__ = None  # type: ignore[assignment]

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

    # -------------------------------------------------------------- display
    def __str__(self) -> str:
        if not self.terms:
            return "0"
        lines = []
        for k, v in self.terms.items():
            if isinstance(v, ParameterResolver):
                c = f"({v.expression()})"
            elif isinstance(v, complex):
                c = f"({v.real:.10g}{v.imag:+.10g}j)"
            else:
                c = f"{v:.10g}"
            lines.append(f"{c} [{_term_str(k)}]")
        return " +\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


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
