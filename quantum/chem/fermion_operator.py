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
from typing import Any

from ..operators.term_algebra import TermOperator

__all__ = ["FermionOperator", "normal_ordered", "hermitian_conjugated", "number_operator"]

FTerm = tuple[tuple[int, int], ...]
_TOKEN = re.compile(r"^(\d+)(\^?)$")


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


class FermionOperator(TermOperator):
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

    _parse_term = staticmethod(lambda term: (1, _parse_term(term)))
    _term_str = staticmethod(_term_str)
    _key = staticmethod(tuple)

    @staticmethod
    def _term_dagger(key: FTerm) -> FTerm:
        """Reversed product with creations and annihilations swapped."""
        return tuple((m, 1 - a) for m, a in reversed(key))

    def _canonical(self) -> FermionOperator:
        return normal_ordered(self)

    @property
    def n_modes(self) -> int:
        """1 + the largest mode index (0 for a constant)."""
        return self._width()

    def normal_ordered(self) -> FermionOperator:
        """Same as :func:`normal_ordered`."""
        return normal_ordered(self)

    def matrix(self, n_modes: int | None = None):
        """Sparse CSR matrix ``(2**n, 2**n)`` in the Jordan-Wigner occupation basis
        (mode ``j`` is bit ``j`` of the index)."""
        from .transforms import jordan_wigner

        n = self.n_modes if n_modes is None else int(n_modes)
        return jordan_wigner(self).matrix(n)


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
