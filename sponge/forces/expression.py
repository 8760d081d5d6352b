"""Recognise the harmonic-improper energy expressions of OpenMM CustomTorsionForces.

Force fields emit harmonic impropers as a ``CustomTorsionForce`` whose energy
is written in many equivalent ways, e.g.

    k*(theta-theta0)^2                                         (ForceField XML)
    k*min(dtheta, 2*pi-dtheta)^2; dtheta = abs(theta-theta0)   (Amber, CHARMM psf)
    0.5*k*(thetap-theta0)^2; thetap = step(...)...; pi = 3.14  (GROMACS top)

Instead of matching text, the expression (Lepton syntax: ``^`` for powers,
``;``-separated definitions, Lepton's function set) is evaluated numerically
and compared with the model ``c * k * w(theta - theta0)^2`` on probe points,
where ``w`` is the identity or the wrap onto (-pi, pi]. Anything else raises
:class:`UnsupportedExpressionError` naming the expression.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass


class UnsupportedExpressionError(ValueError):
    """An energy expression that no sponge term implements."""


def _step(x):
    return 1.0 if x >= 0 else 0.0


_FUNCS = {
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": math.log,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "atan2": math.atan2,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "erf": math.erf,
    "erfc": math.erfc,
    "step": _step,
    "delta": lambda x: 1.0 if x == 0 else 0.0,
    "square": lambda x: x * x,
    "cube": lambda x: x**3,
    "recip": lambda x: 1.0 / x,
    "min": min,
    "max": max,
    "abs": abs,
    "floor": math.floor,
    "ceil": math.ceil,
    "sec": lambda x: 1 / math.cos(x),
    "csc": lambda x: 1 / math.sin(x),
    "cot": lambda x: 1 / math.tan(x),
    "select": lambda x, a, b: a if x != 0 else b,
}
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def compile_expression(expression: str, variables: list[str]):
    """Compile a Lepton expression into a Python function of ``variables``.

    Raises:
        UnsupportedExpressionError: on a name that is neither a variable, a
            definition nor a Lepton function, or on invalid syntax.
    """
    parts = [p.strip() for p in expression.split(";") if p.strip()]
    if not parts:
        raise UnsupportedExpressionError(f"empty energy expression {expression!r}")
    main, defs = parts[0], []
    for p in parts[1:]:
        if "=" not in p:
            raise UnsupportedExpressionError(f"bad definition {p!r} in expression {expression!r}")
        name, value = p.split("=", 1)
        defs.append((name.strip(), value.strip()))
    known = set(variables) | set(_FUNCS) | {n for n, _ in defs}
    for text in [main] + [v for _, v in defs]:
        if "__" in text or "[" in text or "." in re.sub(r"\d\.|\.\d", "", text):
            raise UnsupportedExpressionError(f"cannot parse expression {expression!r}")
        for tok in _TOKEN.findall(re.sub(r"\d+\.?\d*[eE][-+]?\d+", "0", text)):
            if tok not in known:
                raise UnsupportedExpressionError(
                    f"unknown name {tok!r} in energy expression {expression!r}"
                )
    try:
        codes = [(n, compile(v.replace("^", "**"), "<expr>", "eval")) for n, v in defs]
        main_code = compile(main.replace("^", "**"), "<expr>", "eval")
    except SyntaxError as exc:
        raise UnsupportedExpressionError(f"cannot parse expression {expression!r}: {exc}") from None

    def f(**values):
        env = dict(_FUNCS)
        env.update(values)
        # Lepton definitions may refer to later ones: resolve from the last backwards
        for n, code in reversed(codes):
            env[n] = eval(code, {"__builtins__": {}}, env)  # noqa: S307 (restricted names)
        return eval(main_code, {"__builtins__": {}}, env)  # noqa: S307

    return f


@dataclass(frozen=True)
class HarmonicTorsionForm:
    """``E = factor * params[k_name] * w(theta - params[theta0_name])^2``."""

    k_name: str
    theta0_name: str
    factor: float
    wrap: bool


def _wrap(x: float) -> float:
    return x - 2 * math.pi * math.floor(x / (2 * math.pi) + 0.5)


def parse_harmonic_torsion(
    expression: str, parameter_names: list[str], globals_: dict[str, float] | None = None
) -> HarmonicTorsionForm:
    """Identify a harmonic-improper expression of a CustomTorsionForce.

    Args:
        expression: the OpenMM energy expression (variable ``theta``, rad).
        parameter_names: the per-torsion parameter names, in order.
        globals_: global parameters and their default values.

    Returns:
        the recognised form (which parameter is k, which theta0, the constant
        factor and whether the difference is wrapped).

    Raises:
        UnsupportedExpressionError: naming the expression when it is not of
            that form.
    """
    globals_ = dict(globals_ or {})
    variables = ["theta", *parameter_names, *globals_]
    f = compile_expression(expression, variables)
    if len(parameter_names) != 2:
        raise UnsupportedExpressionError(
            f"expression {expression!r} with per-torsion parameters {parameter_names}: "
            "only harmonic impropers k*(theta-theta0)^2 with two parameters are supported"
        )
    probes = [
        (0.3, 1.7, 0.2),
        (-2.9, 2.5, 3.0),
        (3.0, 0.8, -3.0),
        (1.1, 2.2, -0.4),
        (-0.7, 0.5, 2.9),
        (2.0, 1.3, -2.8),
    ]
    for k_name, t_name in itertools.permutations(parameter_names, 2):
        values = []
        try:
            for theta, k, t0 in probes:
                values.append(f(theta=theta, **{k_name: k, t_name: t0}, **globals_))
        except (ArithmeticError, ValueError, TypeError):
            continue
        theta, k, t0 = probes[0]
        factor = values[0] / (k * (theta - t0) ** 2)
        for wrap in (True, False):
            ok = True
            for (theta, k, t0), v in zip(probes, values, strict=True):
                d = _wrap(theta - t0) if wrap else theta - t0
                if not math.isclose(v, factor * k * d * d, rel_tol=1e-5, abs_tol=1e-9):
                    ok = False
                    break
            if ok:
                return HarmonicTorsionForm(k_name, t_name, float(factor), wrap)
    raise UnsupportedExpressionError(
        f"CustomTorsionForce energy {expression!r} is not a harmonic improper "
        "c*k*(theta-theta0)^2 (plain or periodically wrapped); no sponge term implements it"
    )
