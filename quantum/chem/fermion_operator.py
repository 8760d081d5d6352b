"""FermionOperator: sums of products of fermionic ladder operators.

``FermionOperator("3^ 0", 0.5)`` is ``0.5 a_3^dagger a_0``. ``op.terms`` maps a
term key to its coefficient; a key is a tuple of ``(mode, action)`` in the
written order, ``action`` 1 for a creation and 0 for an annihilation operator,
``()`` the identity (OpenFermion's and MindQuantum's convention). Products are
kept as written; :func:`normal_ordered` brings them into the canonical form
(creations left of annihilations, each group in descending mode order) using
the canonical anticommutation relations

    {a_p, a_q^dagger} = delta_pq,   {a_p, a_q} = {a_p^dagger, a_q^dagger} = 0.

Coefficients are numbers or :class:`quantum.ParameterResolver` expressions
(for parameterized excitation generators such as UCCSD).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..parameterresolver import ParameterResolver

__all__ = ["FermionOperator", "normal_ordered", "hermitian_conjugated", "number_operator"]

FTerm = tuple[tuple[int, int], ...]
_TOKEN = re.compile(r"^(\d+)(\^?)$")


def _as_coeff(c: Any) -> Any:
    if isinstance(c, ParameterResolver):
        return c.const if c.is_const() else c
    if isinstance(c, str | Mapping):
        return ParameterResolver(c)
    if isinstance(c, bool) or not isinstance(c, numbers.Number):
        raise TypeError(f"FermionOperator coefficient must be a number or a parameter, got {c!r}")
    c = complex(c)
    return c.real if c.imag == 0 else c


def _is_zero(c: Any, tol: float) -> bool:
    if isinstance(c, ParameterResolver):
        return all(abs(v) <= tol for v in c.values()) and abs(c.const) <= tol
    return abs(c) <= tol


def _conj(c: Any) -> Any:
    if isinstance(c, ParameterResolver):
        return c.conjugate()
    return c.conjugate() if isinstance(c, complex) else c


def _parse_term(term: Any) -> FTerm:
    if term is None:
        return ()
    if isinstance(term, str):
        out = []
        for tok in term.split():
            m = _TOKEN.match(tok)
            if not m:
                raise ValueError(
                    f"Invalid fermion token {tok!r} in term {term!r}: expected e.g. '3^ 0'"
                )
            out.append((int(m.group(1)), 1 if m.group(2) else 0))
        return tuple(out)
    if isinstance(term, tuple | list):
        out = []
        for item in term:
            if (
                not isinstance(item, tuple | list)
                or len(item) != 2
                or not isinstance(item[0], numbers.Integral)
                or item[1] not in (0, 1)
            ):
                raise ValueError(
                    f"Invalid fermion factor {item!r} in {term!r}: expected (mode, 0|1)"
                )
            if item[0] < 0:
                raise ValueError(f"Negative mode index {item[0]} in term {term!r}")
            out.append((int(item[0]), int(item[1])))
        return tuple(out)
    raise TypeError(f"FermionOperator term must be a str or a tuple of (mode, action), "
                    f"got {term!r}")


def _term_str(term: FTerm) -> str:
    return " ".join(f"{m}^" if a else f"{m}" for m, a in term)


class FermionOperator:
    """A sum of products of fermionic creation/annihilation operators.

    Args:
        term: ``"3^ 0"`` (``""`` or ``()``: identity; None: the zero operator), or
            ``((3, 1), (0, 0))``.
        coefficient: a number, a parameter name or a ParameterResolver.

    Raises:
        ValueError: malformed token or negative mode index.

    Example:
        >>> op = FermionOperator("1^ 0") + FermionOperator("0^ 1")
        >>> len(normal_ordered(op * op).terms)
        3
    """

    __array_priority__ = 100

    def __init__(self, term: Any = None, coefficient: Any = 1.0) -> None:
        self.terms: dict[FTerm, Any] = {}
        if term is None:
            return
        self.terms[_parse_term(term)] = _as_coeff(coefficient)

    @classmethod
    def from_terms(cls, terms: Mapping[FTerm, Any]) -> FermionOperator:
        """Operator from a ``{term: coeff}`` mapping."""
        out = cls()
        for k, v in terms.items():
            out._add_term(tuple(k), v)
        return out

    def _add_term(self, key: FTerm, coeff: Any) -> None:
        if key in self.terms:
            coeff = self.terms[key] + coeff
        self.terms[key] = _as_coeff(coeff)

    # ----------------------------------------------------------- properties
    @property
    def n_modes(self) -> int:
        """1 + the largest mode index (0 for a constant)."""
        return max((m + 1 for t in self.terms for m, _ in t), default=0)

    def count_qubits(self) -> int:
        """Same as :attr:`n_modes` (MindQuantum spelling)."""
        return self.n_modes

    @property
    def parameterized(self) -> bool:
        """True when a coefficient is a (non-constant) ParameterResolver."""
        return any(isinstance(c, ParameterResolver) for c in self.terms.values())

    @property
    def constant(self) -> Any:
        """Coefficient of the identity term."""
        return self.terms.get((), 0.0)

    @property
    def is_singlet(self) -> bool:
        """True for a single term."""
        return len(self.terms) == 1

    def split(self) -> Iterator[tuple[Any, FermionOperator]]:
        """Yield ``(coeff, FermionOperator(term))`` per term."""
        for k, v in self.terms.items():
            yield v, FermionOperator.from_terms({k: 1.0})

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[FermionOperator]:
        for k, v in self.terms.items():
            yield FermionOperator.from_terms({k: v})

    # ----------------------------------------------------------- arithmetic
    def copy(self) -> FermionOperator:
        return FermionOperator.from_terms(
            {k: (v.copy() if isinstance(v, ParameterResolver) else v)
             for k, v in self.terms.items()}
        )

    @staticmethod
    def _coerce(other: Any) -> FermionOperator:
        if isinstance(other, FermionOperator):
            return other
        return FermionOperator("", other)

    def __add__(self, other: Any) -> FermionOperator:
        out = self.copy()
        for k, v in self._coerce(other).terms.items():
            out._add_term(k, v)
        return out

    __radd__ = __add__

    def __iadd__(self, other: Any) -> FermionOperator:
        for k, v in self._coerce(other).terms.items():
            self._add_term(k, v)
        return self

    def __neg__(self) -> FermionOperator:
        return self * -1.0

    def __sub__(self, other: Any) -> FermionOperator:
        return self + (-self._coerce(other))

    def __rsub__(self, other: Any) -> FermionOperator:
        return self._coerce(other) + (-self)

    def __mul__(self, other: Any) -> FermionOperator:
        if isinstance(other, FermionOperator):
            out = FermionOperator()
            for k1, v1 in self.terms.items():
                for k2, v2 in other.terms.items():
                    out._add_term(k1 + k2, v1 * v2)
            return out
        c = _as_coeff(other)
        return FermionOperator.from_terms({k: v * c for k, v in self.terms.items()})

    def __rmul__(self, other: Any) -> FermionOperator:
        return self * other

    def __imul__(self, other: Any) -> FermionOperator:
        self.terms = (self * other).terms
        return self

    def __truediv__(self, other: Any) -> FermionOperator:
        if isinstance(other, FermionOperator):
            raise TypeError("Division by a FermionOperator is not defined")
        return self * (1.0 / other)

    def __pow__(self, exponent: int) -> FermionOperator:
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Integral) or exponent < 0:
            raise ValueError(f"FermionOperator power must be a non-negative int, got {exponent!r}")
        out = FermionOperator("")
        for _ in range(int(exponent)):
            out = out * self
        return out

    def compress(self, abs_tol: float = 1e-12) -> FermionOperator:
        """New operator without terms whose coefficient magnitude is <= ``abs_tol``;
        complex coefficients with a tiny imaginary part become real."""
        out = FermionOperator()
        for k, v in self.terms.items():
            if _is_zero(v, abs_tol):
                continue
            if isinstance(v, complex) and abs(v.imag) <= abs_tol:
                v = v.real
            out.terms[k] = v
        return out

    def hermitian(self) -> FermionOperator:
        """Hermitian conjugate: reversed products, swapped actions, conjugated coefficients."""
        return FermionOperator.from_terms(
            {tuple((m, 1 - a) for m, a in reversed(k)): _conj(v) for k, v in self.terms.items()}
        )

    dagger = hermitian

    def normal_ordered(self) -> FermionOperator:
        """Same as :func:`normal_ordered`."""
        return normal_ordered(self)

    @property
    def real(self) -> FermionOperator:
        """Operator with the real parts of the coefficients."""
        return FermionOperator.from_terms(
            {k: (v.real if isinstance(v, ParameterResolver) else complex(v).real)
             for k, v in self.terms.items()})

    @property
    def imag(self) -> FermionOperator:
        """Operator with the imaginary parts of the coefficients."""
        return FermionOperator.from_terms(
            {k: (v.imag if isinstance(v, ParameterResolver) else complex(v).imag)
             for k, v in self.terms.items()})

    def subs(self, values: Mapping[str, Any]) -> FermionOperator:
        """Replace parameters in coefficients by numbers."""
        out = FermionOperator()
        for k, v in self.terms.items():
            out.terms[k] = _as_coeff(v.combination(values)) if isinstance(
                v, ParameterResolver) else v
        return out

    def __eq__(self, other: object) -> bool:
        if isinstance(other, numbers.Number):
            other = FermionOperator("", other)
        if not isinstance(other, FermionOperator):
            return NotImplemented
        return not normal_ordered(self - other).compress(1e-12).terms

    __hash__ = None  # type: ignore[assignment]

    def matrix(self, n_modes: int | None = None):
        """Sparse CSR matrix ``(2**n, 2**n)`` in the Jordan-Wigner occupation basis
        (mode ``j`` is bit ``j`` of the index)."""
        from .transforms import jordan_wigner

        n = self.n_modes if n_modes is None else int(n_modes)
        return jordan_wigner(self).matrix(n)

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


def _order_term(term: FTerm, coeff: Any, out: dict[FTerm, Any]) -> None:
    """Add the normal-ordered form of ``coeff * term`` into ``out`` (bubble sort with
    anticommutation; a contraction a_p a_p^dagger -> 1 - a_p^dagger a_p spawns a term)."""
    ops = list(term)
    sign = 1
    n = len(ops)
    for i in range(1, n):
        for j in range(i, 0, -1):
            right, left = ops[j], ops[j - 1]
            if right[1] == 1 and left[1] == 0:  # annihilation left of a creation
                if right[0] == left[0]:  # a_p a_p^+ = 1 - a_p^+ a_p
                    _order_term(tuple(ops[: j - 1] + ops[j + 1:]), coeff * sign, out)
                ops[j - 1], ops[j] = right, left
                sign = -sign
            elif right[1] == left[1]:
                if right[0] == left[0]:  # a_p a_p = 0
                    return
                if right[0] > left[0]:
                    ops[j - 1], ops[j] = right, left
                    sign = -sign
                else:
                    break
            else:
                break
    key = tuple(ops)
    c = coeff * sign
    out[key] = out[key] + c if key in out else c


def normal_ordered(op: FermionOperator) -> FermionOperator:
    """Normal-ordered form: creations left, each group by descending mode index.

    Terms with a repeated creation (or annihilation) of one mode vanish.
    """
    if not isinstance(op, FermionOperator):
        raise TypeError(f"normal_ordered needs a FermionOperator, got {type(op).__name__}")
    out: dict[FTerm, Any] = {}
    for k, v in op.terms.items():
        _order_term(k, v, out)
    return FermionOperator.from_terms(out).compress(0.0)


def hermitian_conjugated(op: FermionOperator) -> FermionOperator:
    """The Hermitian conjugate of ``op`` (MindQuantum/OpenFermion name)."""
    return op.hermitian()


def number_operator(n_modes: int, mode: int | None = None,
                    coefficient: float = 1.0) -> FermionOperator:
    """``sum_p a_p^dagger a_p`` over ``n_modes`` modes, or ``a_mode^dagger a_mode`` alone."""
    modes = range(n_modes) if mode is None else [mode]
    out = FermionOperator()
    for p in modes:
        out += FermionOperator(((p, 1), (p, 0)), coefficient)
    return out
