"""Circuit builders and rewriters (MindQuantum names).

- ``UN(gate, maps_obj, maps_ctrl=None)``: one gate on many qubits;
- ``add_prefix(circ, prefix)`` / ``add_suffix``: rename every parameter;
- ``change_param_name(circ, {old: new})``;
- ``controlled(circ)(ctrl)``, ``dagger(circ)``, ``apply(circ, qubits)``: remap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..gates import BarrierGate, BasicGate, MeasureGate, ParameterGate
from ..parameterresolver import ParameterResolver
from .circuit import Circuit

__all__ = [
    "UN", "add_prefix", "add_suffix", "change_param_name", "controlled", "dagger", "apply",
]


def UN(gate: BasicGate, maps_obj: Any, maps_ctrl: Any = None) -> Circuit:  # noqa: N802
    """Apply ``gate`` on each of ``maps_obj`` (with the matching ``maps_ctrl``).

    Args:
        gate: an unplaced gate.
        maps_obj: an int, a list of int, or a list of target lists.
        maps_ctrl: None, or a list of the same length as ``maps_obj``.

    Example:
        ``UN(gates.H, 3)`` is H on 0, 1, 2; ``UN(gates.X, [1, 3], [0, 2])`` is
        two CNOTs.
    """
    if isinstance(maps_obj, int):
        maps_obj = list(range(maps_obj))
    maps_obj = list(maps_obj)
    if maps_ctrl is None:
        maps_ctrl = [None] * len(maps_obj)
    else:
        maps_ctrl = [maps_ctrl] * len(maps_obj) if isinstance(maps_ctrl, int) else list(maps_ctrl)
    if len(maps_ctrl) != len(maps_obj):
        raise ValueError(
            f"UN: {len(maps_obj)} target entries but {len(maps_ctrl)} control entries"
        )
    return Circuit(gate.on(o, c) for o, c in zip(maps_obj, maps_ctrl, strict=True))


def _rename(circ: Circuit, fn: Callable[[str], str]) -> Circuit:
    out = Circuit()
    for g in circ:
        new = g._copy()
        if isinstance(new, ParameterGate):
            params = []
            for p in new.params:
                q = ParameterResolver(const=p.const)
                for name, coeff in p.items():
                    q[fn(name)] = coeff
                q.as_encoder([fn(n) for n in p.encoder_parameters])
                q.no_grad_part(*[fn(n) for n in p.no_grad_parameters])
                params.append(q)
            new.params = params
        out.append(new)
    return out


def add_prefix(circ: Circuit, prefix: str) -> Circuit:
    """New circuit with every parameter ``p`` renamed ``{prefix}_{p}``."""
    return _rename(circ, lambda n: f"{prefix}_{n}")


def add_suffix(circ: Circuit, suffix: str) -> Circuit:
    """New circuit with every parameter ``p`` renamed ``{p}_{suffix}``."""
    return _rename(circ, lambda n: f"{n}_{suffix}")


def change_param_name(circ: Circuit, name_map: Mapping[str, str]) -> Circuit:
    """New circuit with parameters renamed by ``name_map`` (others unchanged).

    Raises:
        KeyError: a key of ``name_map`` is not a parameter of the circuit.
    """
    names = set(circ.params_name)
    for old in name_map:
        if old not in names:
            raise KeyError(f"change_param_name: {old!r} is not a parameter of the circuit")
    return _rename(circ, lambda n: name_map.get(n, n))


def controlled(circ: Circuit | BasicGate) -> Callable[[int | Iterable[int]], Circuit]:
    """``controlled(circ)(ctrl)``: every gate gets the extra control qubits ``ctrl``."""
    if isinstance(circ, BasicGate):
        circ = Circuit(circ)

    def wrap(ctrl: int | Iterable[int]) -> Circuit:
        extra = [ctrl] if isinstance(ctrl, int) else list(ctrl)
        out = Circuit()
        for g in circ:
            if isinstance(g, MeasureGate | BarrierGate):
                raise ValueError(f"controlled: cannot control {g}")
            out.append(g.on(g.obj_qubits, g.ctrl_qubits + extra))
        return out

    return wrap


def dagger(circ: Circuit | BasicGate) -> Circuit:
    """The inverse circuit (see :meth:`Circuit.dagger`)."""
    return (Circuit(circ) if isinstance(circ, BasicGate) else circ).dagger()


def apply(circ: Circuit, qubits: list[int]) -> Circuit:
    """Relabel qubit ``i`` of ``circ`` as ``qubits[i]``.

    Raises:
        ValueError: ``qubits`` is shorter than ``circ.n_qubits``.
    """
    if len(qubits) < circ.n_qubits:
        raise ValueError(f"apply: circuit uses {circ.n_qubits} qubits, got map {qubits}")
    out = Circuit()
    for g in circ:
        obj = [qubits[q] for q in g.obj_qubits]
        ctrl = [qubits[q] for q in g.ctrl_qubits]
        new = g._copy()
        new.obj_qubits, new.ctrl_qubits = [], []
        out.append(new.on(obj, ctrl) if ctrl else new.on(obj))
    return out
