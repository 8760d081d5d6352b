"""TermOperator: the term-dictionary algebra shared by QubitOperator and FermionOperator.

An operator is ``terms: {term_key: coeff}``, a sum of terms with numeric or
:class:`ParameterResolver` coefficients. A term key is a tuple of
``(index, label)`` pairs; ``()`` is the identity. Subclasses supply what differs:

* ``_parse_term(term) -> (phase, key)``: a user term (str / tuple) as a canonical key,
* ``_term_product(k1, k2) -> (phase, key)``: the product of two term keys,
* ``_term_dagger(key) -> key``: the key of a term's Hermitian conjugate,
* ``_term_str(key) -> str``: a key as it is printed,
* ``_canonical(op) -> op``: the form in which a zero difference has no terms
  (used by ``==``),
* ``_key(k)``: a ``from_terms`` key as stored,

plus their own width name (``n_qubits`` / ``n_modes``) and ``matrix``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from ..parameterresolver import ParameterResolver

__all__ = ["TermOperator", "as_coeff", "coeff_is_zero", "coeff_conj"]

Term = tuple[tuple[int, Any], ...]
Coeff = Any  # complex | float | ParameterResolver
T = TypeVar("T", bound="TermOperator")


def as_coeff(c: Any, owner: str = "TermOperator") -> Coeff:
    """A coefficient in canonical form: a real float when possible, a complex, or a
    non-constant ParameterResolver (``owner`` names the class in the error)."""
    if isinstance(c, ParameterResolver):
        return c.const if c.is_const() else c
    if isinstance(c, str | Mapping):
        return ParameterResolver(c)
    if isinstance(c, bool) or not isinstance(c, numbers.Number):
        raise TypeError(f"{owner} coefficient must be a number or a parameter, got {c!r}")
    c = complex(c)
    return c.real if c.imag == 0 else c


def coeff_is_zero(c: Coeff, tol: float) -> bool:
    """True when every part of ``c`` has magnitude <= ``tol``."""
    if isinstance(c, ParameterResolver):
        return all(abs(v) <= tol for v in c.values()) and abs(c.const) <= tol
    return abs(c) <= tol


def coeff_conj(c: Coeff) -> Coeff:
    """Complex conjugate of a coefficient."""
    if isinstance(c, ParameterResolver):
        return c.conjugate()
    return c.conjugate() if isinstance(c, complex) else c


class TermOperator:
    """Base class: a sum of terms ``sum_t c_t T_t`` stored in ``self.terms``.

    Args:
        term: a term as the subclass parses it (None: the zero operator).
        coefficient: a number, a parameter name or a ParameterResolver.
    """

    __array_priority__ = 100

    def __init__(self, term: Any = None, coefficient: Any = 1.0) -> None:
        self.terms: dict[Term, Coeff] = {}
        if term is None:
            return
        phase, key = self._parse_term(term)
        c = self._as_coeff(coefficient)
        self.terms[key] = c * phase if phase != 1 else c

    # ------------------------------------------------------ subclass hooks
    @classmethod
    def _parse_term(cls, term: Any) -> tuple[complex, Term]:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _term_product(k1: Term, k2: Term) -> tuple[complex, Term]:
        return 1, k1 + k2

    @staticmethod
    def _term_dagger(key: Term) -> Term:
        return key

    @staticmethod
    def _term_str(key: Term) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _key(k: Any) -> Term:
        return k

    def _canonical(self: T) -> T:
        return self

    @classmethod
    def _as_coeff(cls, c: Any) -> Coeff:
        return as_coeff(c, cls.__name__)

    # ------------------------------------------------------ construction
    @classmethod
    def from_terms(cls: type[T], terms: Mapping[Term, Coeff]) -> T:
        """Operator from a ``{term: coeff}`` mapping (keys already canonical)."""
        out = cls()
        for k, v in terms.items():
            out._add_term(cls._key(k), v)
        return out

    def _add_term(self, key: Term, coeff: Coeff) -> None:
        if key in self.terms:
            coeff = self.terms[key] + coeff
        self.terms[key] = self._as_coeff(coeff)

    # ----------------------------------------------------------- properties
    def _width(self) -> int:
        """1 + the largest index in any term (0 for a constant)."""
        return max((i + 1 for t in self.terms for i, _ in t), default=0)

    def count_qubits(self) -> int:
        """1 + the largest index in any term (MindQuantum spelling)."""
        return self._width()

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

    def split(self: T) -> Iterator[tuple[Coeff, T]]:
        """Yield ``(coeff, operator of the bare term)`` per term."""
        for k, v in self.terms.items():
            yield v, type(self).from_terms({k: 1.0})

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self: T) -> Iterator[T]:
        for k, v in self.terms.items():
            yield type(self).from_terms({k: v})

    # ----------------------------------------------------------- arithmetic
    def copy(self: T) -> T:
        return type(self).from_terms(
            {k: (v.copy() if isinstance(v, ParameterResolver) else v)
             for k, v in self.terms.items()}
        )

    @classmethod
    def _coerce(cls: type[T], other: Any) -> T:
        if isinstance(other, cls):
            return other
        return cls("", other)

    def __add__(self: T, other: Any) -> T:
        out = self.copy()
        for k, v in self._coerce(other).terms.items():
            out._add_term(k, v)
        return out

    __radd__ = __add__

    def __iadd__(self: T, other: Any) -> T:
        for k, v in self._coerce(other).terms.items():
            self._add_term(k, v)
        return self

    def __neg__(self: T) -> T:
        return self * -1.0

    def __sub__(self: T, other: Any) -> T:
        return self + (-self._coerce(other))

    def __rsub__(self: T, other: Any) -> T:
        return self._coerce(other) + (-self)

    def __mul__(self: T, other: Any) -> T:
        cls = type(self)
        if isinstance(other, cls):
            out = cls()
            for k1, v1 in self.terms.items():
                for k2, v2 in other.terms.items():
                    phase, key = self._term_product(k1, k2)
                    out._add_term(key, (v1 * v2) * phase if phase != 1 else v1 * v2)
            return out
        c = self._as_coeff(other)
        return cls.from_terms({k: v * c for k, v in self.terms.items()})

    def __rmul__(self: T, other: Any) -> T:
        if isinstance(other, type(self)):  # pragma: no cover - handled by __mul__
            return other * self
        return self * other

    def __imul__(self: T, other: Any) -> T:
        self.terms = (self * other).terms
        return self

    def __truediv__(self: T, other: Any) -> T:
        if isinstance(other, type(self)):
            raise TypeError(f"Division by a {type(self).__name__} is not defined")
        return self * (1.0 / complex(other) if isinstance(other, complex) else 1.0 / other)

    def __pow__(self: T, exponent: int) -> T:
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Integral) or exponent < 0:
            raise ValueError(
                f"{type(self).__name__} power must be a non-negative int, got {exponent!r}"
            )
        out = type(self)("")
        for _ in range(int(exponent)):
            out = out * self
        return out

    def compress(self: T, abs_tol: float = 1e-12) -> T:
        """New operator without terms whose coefficient magnitude is <= ``abs_tol``.

        Complex coefficients with an imaginary part below ``abs_tol`` become real.
        """
        out = type(self)()
        for k, v in self.terms.items():
            if coeff_is_zero(v, abs_tol):
                continue
            if isinstance(v, complex) and abs(v.imag) <= abs_tol:
                v = v.real
            out.terms[k] = v
        return out

    def hermitian(self: T) -> T:
        """Hermitian conjugate: conjugated terms with conjugated coefficients."""
        return type(self).from_terms(
            {self._term_dagger(k): coeff_conj(v) for k, v in self.terms.items()}
        )

    dagger = hermitian

    @property
    def real(self: T) -> T:
        """Operator with the real parts of the coefficients."""
        return type(self).from_terms(
            {k: (v.real if isinstance(v, ParameterResolver) else complex(v).real)
             for k, v in self.terms.items()}
        )

    @property
    def imag(self: T) -> T:
        """Operator with the imaginary parts of the coefficients."""
        return type(self).from_terms(
            {k: (v.imag if isinstance(v, ParameterResolver) else complex(v).imag)
             for k, v in self.terms.items()}
        )

    def subs(self: T, values: Mapping[str, Any]) -> T:
        """Replace parameters in coefficients by numbers (all must be given)."""
        out = type(self)()
        for k, v in self.terms.items():
            if isinstance(v, ParameterResolver):
                v = self._as_coeff(v.combination(values))
            out.terms[k] = v
        return out

    def __eq__(self, other: object) -> bool:
        cls = type(self)
        if isinstance(other, numbers.Number):
            other = cls("", other)
        if not isinstance(other, cls):
            return NotImplemented
        return not (self - other)._canonical().compress(1e-12).terms

    __hash__ = None  # type: ignore[assignment]

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
            lines.append(f"{c} [{self._term_str(k)}]")
        return " +\n".join(lines)

    def __repr__(self) -> str:
        return str(self)
