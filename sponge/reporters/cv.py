"""CV values and bias columns per step as CSV (the input of ``sponge pmf``).

One header line and one row per report::

    step,time,phi,psi,bias,rbias,ct
    500,1.0,-1.41,2.87,3.05,-0.52,3.57

``time`` is in ps, CV columns in nm or rad, bias columns in kJ/mol. The bias
columns are the simulation bias's ``report_columns(state)`` (metadynamics:
``bias``, ``rbias = bias - c(t)``, ``ct``; SITS: ``E_s``, ``bias``, ``f_b``;
MetaITS: all of them); reweight with ``rbias`` when present, else ``bias``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sponge.reporters.base import Reporter

if TYPE_CHECKING:  # pragma: no cover
    from sponge.simulation import Simulation
    from sponge.state import State


class CVReporter(Reporter):
    """Write CV values and the bias's columns every ``interval`` steps.

    Args:
        file: output CSV path.
        interval: steps between rows.
        cvs: collective variables to evaluate (default: the bias's own ``cvs``).
        bias: "auto" (the simulation's bias, when it reports columns), None
            (no bias columns) or a bias object.
        append: append to an existing file without a new header (restarts).
    """

    def __init__(self, file: str | os.PathLike, interval: int, cvs: Sequence | None = None,
                 bias="auto", append: bool = False) -> None:
        super().__init__(interval)
        self.path = os.fspath(file)
        self.cvs = None if cvs is None else list(cvs)
        self.bias = bias
        self._fh = open(self.path, "a" if append else "w", buffering=1)  # noqa: SIM115
        self._header: list[str] | None = [] if append else None

    def _bias(self, simulation):
        if self.bias == "auto":
            b = getattr(simulation, "bias", None)
            return b if hasattr(b, "report_columns") else None
        return self.bias

    def _cvs(self, bias) -> list:
        if self.cvs is not None:
            return self.cvs
        inner = [bias] + list(getattr(bias, "biases", []))
        for b in inner:
            if b is not None and getattr(b, "cvs", None):
                return list(b.cvs)
        return []

    def values(self, simulation: Simulation, state: State) -> dict[str, float]:
        """The columns of one row, by name."""
        bias = self._bias(simulation)
        row: dict[str, float] = {"step": state.step, "time": round(state.time, 10)}
        for cv in self._cvs(bias):
            row[cv.name] = cv.value(state.positions, state.box)
        if bias is not None:
            try:
                cols = bias.report_columns(state)
            except TypeError:
                cols = bias.report_columns()
            for k, v in cols.items():
                row.setdefault(k, v)
        return row

    def report(self, simulation: Simulation, state: State) -> None:
        row = self.values(simulation, state)
        if self._header is None:
            self._header = list(row)
            self._fh.write(",".join(self._header) + "\n")
        keys = self._header or list(row)
        self._fh.write(",".join(repr(float(row.get(k, float("nan")))) if k != "step"
                                else str(int(row[k])) for k in keys) + "\n")

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()
