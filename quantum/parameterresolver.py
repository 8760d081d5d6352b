"""Linear parameter expressions for gate angles.

A :class:`ParameterResolver` (PR) is the linear expression

    const + sum_k coeff_k * p_k

over named parameters ``p_k``, as in MindQuantum: ``RX({"a": 2})`` rotates by
``2 a``, ``RX("a")`` by ``a`` and ``RX(0.3)`` by the constant 0.3. Every
parameter carries two flags:

- its kind: *ansatz* (trainable weight, the default) or *encoder* (data fed in
  batches); a parameter cannot be both;
- ``requires_grad``: whether gradients with respect to it are wanted.

Coefficients and the constant may be real or complex numbers. The value of
the expression for given parameter values is :meth:`ParameterResolver.combination`.

Example:
    >>> pr = ParameterResolver({"a": 2.0}, const=0.5)
    >>> float(pr.combination({"a": 0.25}))
    1.0
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Union

import numpy as np

Number = int | float | complex | np.number
PRLike = Union["ParameterResolver", str, Number, Mapping[str, Number]]  # noqa: UP007

__all__ = ["ParameterResolver", "to_pr"]


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise TypeError(f"Parameter name must be a non-empty str, got {name!r}")
    if not (name[0].isalpha() or name[0] == "_") or not all(
        ch.isalnum() or ch in "_." for ch in name
    ):
        raise ValueError(
            f"Invalid parameter name {name!r}: use letters, digits, '_' or '.', "
            "starting with a letter or '_'"
        )
    return name


def _check_number(value: Any, what: str) -> Number:
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise TypeError(f"{what} must be a real or complex number, got {value!r}")
    if isinstance(value, complex | np.complexfloating):
        value = complex(value)
        if value.imag == 0.0:
            return float(value.real)
        return value
    return float(value)


class ParameterResolver:
    """Linear expression ``const + sum_k coeff_k * p_k`` over named parameters.

    Args:
        data: ``None`` (no parameter), a parameter name ``"a"`` (coefficient 1),
            a number (a constant), a mapping ``{name: coeff}``, or another
            ParameterResolver (copied, flags included).
        const: constant term added to ``data`` (float or complex).

    Raises:
        TypeError / ValueError: for non-numeric coefficients or invalid names.
    """

    __slots__ = ("_data", "const", "_encoder", "_no_grad")

    def __init__(self, data: PRLike | None = None, const: Number = 0.0) -> None:
        self._data: dict[str, Number] = {}
        self._encoder: set[str] = set()
        self._no_grad: set[str] = set()
        self.const: Number = _check_number(const, "ParameterResolver const")
        if data is None:
            return
        if isinstance(data, ParameterResolver):
            self._data = dict(data._data)
            self._encoder = set(data._encoder)
            self._no_grad = set(data._no_grad)
            self.const = self.const + data.const
        elif isinstance(data, str):
            self._data[_check_name(data)] = 1.0
        elif isinstance(data, numbers.Number) and not isinstance(data, bool):
            self.const = self.const + _check_number(data, "ParameterResolver value")
        elif isinstance(data, Mapping):
            for name, coeff in data.items():
                self._data[_check_name(name)] = _check_number(
                    coeff, f"Coefficient of parameter {name!r}"
                )
        else:
            raise TypeError(
                "ParameterResolver data must be None, a str, a number, a dict or a "
                f"ParameterResolver; got {type(data).__name__}"
            )

    # ----------------------------------------------------------------- access
    def keys(self) -> Iterator[str]:
        """Parameter names, in insertion order."""
        return iter(list(self._data))

    def values(self) -> Iterator[Number]:
        """Coefficients, in the order of :meth:`keys`."""
        return iter(list(self._data.values()))

    def items(self) -> Iterator[tuple[str, Number]]:
        """``(name, coeff)`` pairs, in insertion order."""
        return iter(list(self._data.items()))

    @property
    def params_name(self) -> list[str]:
        """Parameter names as a list (order of insertion)."""
        return list(self._data)

    def __iter__(self) -> Iterator[str]:
        return self.keys()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def __getitem__(self, name: str) -> Number:
        if name not in self._data:
            raise KeyError(f"Parameter {name!r} not in {self!r}")
        return self._data[name]

    def __setitem__(self, name: str, coeff: Number) -> None:
        self._data[_check_name(name)] = _check_number(coeff, f"Coefficient of {name!r}")

    def is_const(self) -> bool:
        """True when the expression has no parameter (only a constant)."""
        return not self._data

    @property
    def is_complex(self) -> bool:
        """True when the constant or any coefficient has a non-zero imaginary part."""
        return isinstance(self.const, complex) or any(
            isinstance(v, complex) for v in self._data.values()
        )

    # ------------------------------------------------------------------ flags
    @property
    def encoder_parameters(self) -> set[str]:
        """Names tagged as encoder (data) parameters."""
        return {k for k in self._data if k in self._encoder}

    @property
    def ansatz_parameters(self) -> set[str]:
        """Names tagged as ansatz (trainable) parameters."""
        return {k for k in self._data if k not in self._encoder}

    @property
    def requires_grad_parameters(self) -> set[str]:
        """Names whose gradient is wanted."""
        return {k for k in self._data if k not in self._no_grad}

    @property
    def no_grad_parameters(self) -> set[str]:
        """Names whose gradient is not wanted."""
        return {k for k in self._data if k in self._no_grad}

    def _select(self, names: Iterable[str] | None) -> list[str]:
        if names is None:
            return list(self._data)
        if isinstance(names, str):
            names = [names]
        names = list(names)
        for n in names:
            if n not in self._data:
                raise KeyError(f"Parameter {n!r} is not in this ParameterResolver {self!r}")
        return names

    def as_encoder(self, names: Iterable[str] | None = None) -> ParameterResolver:
        """Tag ``names`` (default all) as encoder parameters, in place; returns self."""
        self._encoder.update(self._select(names))
        return self

    def as_ansatz(self, names: Iterable[str] | None = None) -> ParameterResolver:
        """Tag ``names`` (default all) as ansatz parameters, in place; returns self."""
        self._encoder.difference_update(self._select(names))
        return self

    def encoder_part(self, *names: str) -> ParameterResolver:
        """Tag the given names as encoder parameters (MindQuantum spelling)."""
        return self.as_encoder(names)

    def ansatz_part(self, *names: str) -> ParameterResolver:
        """Tag the given names as ansatz parameters (MindQuantum spelling)."""
        return self.as_ansatz(names)

    def requires_grad(self) -> ParameterResolver:
        """Mark every parameter as requiring a gradient, in place; returns self."""
        self._no_grad.clear()
        return self

    def no_grad(self) -> ParameterResolver:
        """Mark every parameter as not requiring a gradient, in place; returns self."""
        self._no_grad.update(self._data)
        return self

    def requires_grad_part(self, *names: str) -> ParameterResolver:
        """Mark ``names`` as requiring a gradient, in place; returns self."""
        if len(names) == 1 and not isinstance(names[0], str):
            names = tuple(names[0])
        self._no_grad.difference_update(self._select(names))
        return self

    def no_grad_part(self, *names: str) -> ParameterResolver:
        """Mark ``names`` as not requiring a gradient, in place; returns self."""
        if len(names) == 1 and not isinstance(names[0], str):
            names = tuple(names[0])
        self._no_grad.update(self._select(names))
        return self

    # ------------------------------------------------------------- evaluation
    def combination(self, values: Mapping[str, Number] | ParameterResolver | None = None) -> Number:
        """Value of the expression: ``const + sum_k coeff_k * values[p_k]``.

        Args:
            values: a mapping or a ParameterResolver from parameter name to value.

        Returns:
            A float (or complex when the expression or a value is complex).

        Raises:
            ValueError: naming the first parameter that has no value.
        """
        if values is None:
            values = {}
        elif isinstance(values, ParameterResolver):
            values = dict(values.items())
        out: Number = self.const
        for name, coeff in self._data.items():
            if name not in values:
                raise ValueError(
                    f"No value given for parameter {name!r} (expression {self.expression()}); "
                    f"values were given for {sorted(values)}"
                )
            out = out + coeff * values[name]
        if isinstance(out, complex | np.complexfloating):
            out = complex(out)
            return float(out.real) if out.imag == 0.0 else out
        return float(out)

    def subs(self, values: Mapping[str, Number]) -> ParameterResolver:
        """New expression with the parameters in ``values`` replaced by numbers."""
        out = ParameterResolver(const=self.const)
        for name, coeff in self._data.items():
            if name in values:
                out.const = out.const + coeff * _check_number(values[name], f"value of {name!r}")
            else:
                out._data[name] = coeff
        out._encoder = self._encoder & set(out._data)
        out._no_grad = self._no_grad & set(out._data)
        return out

    # ------------------------------------------------------------- arithmetic
    def copy(self) -> ParameterResolver:
        """Independent copy (data and flags)."""
        return ParameterResolver(self)

    def _merge_flags(self, other: ParameterResolver) -> None:
        common = set(self._data) & set(other._data)
        for name in common:
            if (name in self._encoder) != (name in other._encoder):
                raise ValueError(
                    f"Parameter {name!r} is an encoder parameter on one side and an ansatz "
                    "parameter on the other"
                )
        self._encoder |= other._encoder & set(other._data)
        self._no_grad |= other._no_grad & set(other._data)

    def __add__(self, other: PRLike) -> ParameterResolver:
        other = to_pr(other)
        out = self.copy()
        out._merge_flags(other)
        for name, coeff in other._data.items():
            out._data[name] = out._data.get(name, 0.0) + coeff
        out.const = out.const + other.const
        return out

    __radd__ = __add__

    def __neg__(self) -> ParameterResolver:
        return self * -1.0

    def __pos__(self) -> ParameterResolver:
        return self.copy()

    def __sub__(self, other: PRLike) -> ParameterResolver:
        return self + (-to_pr(other))

    def __rsub__(self, other: PRLike) -> ParameterResolver:
        return to_pr(other) + (-self)

    def __mul__(self, other: Number | ParameterResolver) -> ParameterResolver:
        if isinstance(other, ParameterResolver):
            if other.is_const():
                other = other.const
            elif self.is_const():
                return other * self.const
            else:
                raise TypeError(
                    f"Product of two non-constant expressions ({self.expression()}) * "
                    f"({other.expression()}) is not linear"
                )
        factor = _check_number(other, "Multiplier of a ParameterResolver")
        out = self.copy()
        out._data = {k: v * factor for k, v in self._data.items()}
        out.const = self.const * factor
        return out

    __rmul__ = __mul__

    def __truediv__(self, other: Number | ParameterResolver) -> ParameterResolver:
        if isinstance(other, ParameterResolver):
            if not other.is_const():
                raise TypeError("Division by a non-constant ParameterResolver is not linear")
            other = other.const
        factor = _check_number(other, "Divisor of a ParameterResolver")
        if factor == 0:
            raise ZeroDivisionError("ParameterResolver divided by zero")
        return self * (1.0 / factor)

    def conjugate(self) -> ParameterResolver:
        """Complex conjugate of every coefficient and the constant."""
        out = self.copy()
        out._data = {k: np.conj(v).item() for k, v in self._data.items()}
        out.const = np.conj(self.const).item()
        return out

    @property
    def real(self) -> ParameterResolver:
        """Real part of every coefficient and the constant."""
        out = self.copy()
        out._data = {k: float(np.real(v)) for k, v in self._data.items()}
        out.const = float(np.real(self.const))
        return out

    @property
    def imag(self) -> ParameterResolver:
        """Imaginary part of every coefficient and the constant."""
        out = self.copy()
        out._data = {k: float(np.imag(v)) for k, v in self._data.items()}
        out.const = float(np.imag(self.const))
        return out

    def compress(self, tol: float = 1e-12) -> ParameterResolver:
        """Drop parameters whose coefficient magnitude is below ``tol``."""
        out = self.copy()
        out._data = {k: v for k, v in self._data.items() if abs(v) > tol}
        return out

    def __eq__(self, other: object) -> bool:
        if isinstance(other, numbers.Number):
            return self.is_const() and self.const == other
        if not isinstance(other, ParameterResolver):
            return NotImplemented
        return (
            self._data == other._data
            and self.const == other.const
            and self.encoder_parameters == other.encoder_parameters
            and self.no_grad_parameters == other.no_grad_parameters
        )

    __hash__ = None  # type: ignore[assignment]

    # ----------------------------------------------------------------- display
    def expression(self) -> str:
        """Readable form, e.g. ``2*a - b + 0.5``."""
        parts: list[str] = []
        for name, coeff in self._data.items():
            if coeff == 1:
                term = name
            elif coeff == -1:
                term = f"-{name}"
            else:
                term = f"{_fmt(coeff)}*{name}"
            parts.append(term)
        if self.const != 0 or not parts:
            parts.append(_fmt(self.const))
        text = parts[0]
        for p in parts[1:]:
            text += f" - {p[1:]}" if p.startswith("-") else f" + {p}"
        return text

    def __str__(self) -> str:
        return self.expression()

    def __repr__(self) -> str:
        flags = ""
        if self.encoder_parameters:
            flags += f", encoder={sorted(self.encoder_parameters)}"
        if self.no_grad_parameters:
            flags += f", no_grad={sorted(self.no_grad_parameters)}"
        return f"ParameterResolver({self._data!r}, const={self.const!r}{flags})"


def _fmt(x: Number) -> str:
    if isinstance(x, complex):
        return f"({x.real:.6g}{x.imag:+.6g}j)"
    return f"{x:.6g}" if float(x) != round(float(x)) or abs(x) >= 1e6 else str(round(float(x)))


def to_pr(value: PRLike) -> ParameterResolver:
    """Convert a name, number, mapping or ParameterResolver to a ParameterResolver.

    A ParameterResolver is returned as is (not copied).
    """
    if isinstance(value, ParameterResolver):
        return value
    return ParameterResolver(value)
