"""Text drawing of a circuit: one wire per qubit, gates packed into columns.

Targets show the gate label in a box on their wire, controls a dot, and a
vertical line joins the qubits of a multi-qubit gate (wires it crosses show a
cross). ``unicode=False`` gives plain ASCII.

Example (unicode)::

    q0: ───┤H├─────●───
                   │
    q1: ──┤RX(a)├─┤X├──
"""

from __future__ import annotations

from typing import Any

from ..gates import BarrierGate

__all__ = ["draw_circuit"]

_UNI = {"wire": "─", "ctrl": "●", "vert": "│", "cross": "┼", "barrier": "║", "box": "┤{}├"}
_ASCII = {"wire": "-", "ctrl": "*", "vert": "|", "cross": "+", "barrier": "#", "box": "[{}]"}


def _columns(circuit: Any) -> list[list[Any]]:
    cols: list[list[Any]] = []
    front: dict[int, int] = {}
    for g in circuit:
        qs = g.obj_qubits + g.ctrl_qubits
        lo, hi = min(qs), max(qs)
        span = range(lo, hi + 1)
        level = max((front.get(q, 0) for q in span), default=0)
        if level == len(cols):
            cols.append([])
        cols[level].append(g)
        for q in span:
            front[q] = level + 1
    return cols


def draw_circuit(circuit: Any, unicode: bool = True) -> str:
    """Return the drawing of ``circuit`` as a string (empty circuit: ``""``)."""
    sym = _UNI if unicode else _ASCII
    n = circuit.n_qubits
    if n == 0:
        return ""
    width_q = len(f"q{n - 1}: ")
    wires = [[f"q{q}: ".ljust(width_q) + sym["wire"]] for q in range(n)]
    links = [[" " * (width_q + 1)] for _ in range(n - 1)]
    for col in _columns(circuit):
        cells: dict[int, str] = {}
        vert: set[int] = set()
        for g in col:
            qs = g.obj_qubits + g.ctrl_qubits
            lo, hi = min(qs), max(qs)
            if isinstance(g, BarrierGate):
                for q in g.obj_qubits:
                    cells[q] = sym["barrier"]
                for q in range(lo, hi):
                    if q in g.obj_qubits and q + 1 in g.obj_qubits:
                        vert.add(q)
                continue
            label = g.draw_label()
            if not unicode:
                label = label.replace("†", "dag")
            for q in g.obj_qubits:
                cells[q] = sym["box"].format(label)
            for q in g.ctrl_qubits:
                cells[q] = sym["ctrl"]
            for q in range(lo, hi + 1):
                if q not in cells:
                    cells[q] = sym["cross"]
            vert.update(range(lo, hi))
        width = max(len(c) for c in cells.values()) + 2
        for q in range(n):
            cell = cells.get(q, "")
            wires[q].append(cell.center(width, sym["wire"]) + sym["wire"])
        for q in range(n - 1):
            mark = sym["vert"] if q in vert else " "
            links[q].append(mark.center(width) + " ")
    rows: list[str] = []
    for q in range(n):
        rows.append("".join(wires[q]))
        if q < n - 1:
            rows.append("".join(links[q]).rstrip())
    return "\n".join(rows)
