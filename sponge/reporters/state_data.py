"""Energies, temperature, volume, density and speed as CSV (OpenMM's columns).

The header and value formats follow ``openmm.app.StateDataReporter`` so that
scripts written for OpenMM's output read sponge's unchanged, e.g.::

    #"Step","Time (ps)","Potential Energy (kJ/mole)","Kinetic Energy (kJ/mole)",...
    100,0.2,-29821.4,5407.2,-24414.2,301.2,1.5e+02

plus the ``"Speed (ns/day)"`` column (simulated ns per wall-clock day since
the reporter's first report, as OpenMM computes it). When the simulation has a
bias with ``report_columns() -> dict`` (SITS: ``E_s``, ``bias``, ``f_b``), its
values at the reported step are appended as further columns, named by the keys.
"""

from __future__ import annotations

import sys
import time
from typing import IO, TYPE_CHECKING

from sponge.reporters.base import Reporter

if TYPE_CHECKING:  # pragma: no cover
    from sponge.simulation import Simulation
    from sponge.state import State

#: g/mL per (amu / nm^3)
AMU_PER_NM3_TO_G_PER_ML = 1.66053906660e-3


class StateDataReporter(Reporter):
    """Write one CSV line of thermodynamic data every ``interval`` steps.

    Args:
        file: a path (opened for writing, or appending when ``append``) or an
            open text stream such as ``sys.stdout``.
        interval: steps between lines.
        step, time, potential_energy, kinetic_energy, total_energy,
        temperature, volume, density, speed, progress: which columns to write
            (time ps, energies kJ/mol, temperature K, volume nm^3, density g/mL,
            speed ns/day, progress %).
        total_steps: needed for the progress column.
        separator: column separator.
        append: append to an existing file without a header (restarts).

    Each line is flushed as soon as it is written.
    """

    def __init__(
        self,
        file: str | IO[str],
        interval: int,
        step: bool = True,
        time: bool = True,
        potential_energy: bool = True,
        kinetic_energy: bool = True,
        total_energy: bool = True,
        temperature: bool = True,
        volume: bool = False,
        density: bool = False,
        speed: bool = True,
        progress: bool = False,
        total_steps: int | None = None,
        separator: str = ",",
        append: bool = False,
    ) -> None:
        super().__init__(interval)
        if progress and total_steps is None:
            raise ValueError("StateDataReporter: progress=True needs total_steps")
        self._cols = dict(progress=progress, step=step, time=time,
                          potential_energy=potential_energy, kinetic_energy=kinetic_energy,
                          total_energy=total_energy, temperature=temperature, volume=volume,
                          density=density, speed=speed)
        self.total_steps = total_steps
        self.separator = separator
        self._append = append
        if isinstance(file, str) or hasattr(file, "__fspath__"):
            self._file = open(file, "a" if append else "w", buffering=1)  # noqa: SIM115
            self._owns = True
        else:
            self._file = file if file is not None else sys.stdout
            self._owns = False
        self._header_done = append
        self._t0: float | None = None
        self._step0 = 0
        self._time0 = 0.0

    def headers(self) -> list[str]:
        """Column titles, as OpenMM writes them."""
        names = {
            "progress": "Progress (%)", "step": "Step", "time": "Time (ps)",
            "potential_energy": "Potential Energy (kJ/mole)",
            "kinetic_energy": "Kinetic Energy (kJ/mole)",
            "total_energy": "Total Energy (kJ/mole)", "temperature": "Temperature (K)",
            "volume": "Box Volume (nm^3)", "density": "Density (g/mL)",
            "speed": "Speed (ns/day)",
        }
        return [names[k] for k, on in self._cols.items() if on]

    @staticmethod
    def _bias_columns(simulation: Simulation) -> dict:
        cols = getattr(getattr(simulation, "bias", None), "report_columns", None)
        return dict(cols()) if callable(cols) else {}

    def start(self, simulation: Simulation) -> None:
        self._bias_keys = list(self._bias_columns(simulation))
        if not self._header_done:
            heads = self.headers() + self._bias_keys
            self._file.write("#" + self.separator.join(f'"{h}"' for h in heads) + "\n")
            self._file.flush()
            self._header_done = True
        if self._t0 is None:
            self._t0 = time.perf_counter()
            self._step0 = simulation.state.step
            self._time0 = simulation.state.time

    def values(self, simulation: Simulation, state: State) -> list:
        """The values of one line (same order as :meth:`headers`)."""
        c = self._cols
        pe = simulation.potential_energy
        ke = simulation.kinetic_energy()
        out: list = []
        if c["progress"]:
            out.append(f"{100.0 * state.step / self.total_steps:.1f}%")
        if c["step"]:
            out.append(state.step)
        if c["time"]:
            out.append(round(state.time, 10))
        if c["potential_energy"]:
            out.append(pe)
        if c["kinetic_energy"]:
            out.append(ke)
        if c["total_energy"]:
            out.append(pe + ke)
        if c["temperature"]:
            out.append(simulation.temperature())
        if c["volume"] or c["density"]:
            vol = simulation.volume()
            if c["volume"]:
                out.append(vol)
            if c["density"]:
                out.append(float(simulation.system.masses.sum()) / vol * AMU_PER_NM3_TO_G_PER_ML)
        if c["speed"]:
            elapsed = time.perf_counter() - (self._t0 or time.perf_counter())
            sim_ns = (state.time - self._time0) * 1e-3
            out.append("--" if elapsed <= 0 else f"{sim_ns / elapsed * 86400.0:.3g}")
        keys = getattr(self, "_bias_keys", None)
        if keys:
            vals = self._bias_columns(simulation)
            out.extend(vals.get(k, float("nan")) for k in keys)
        return out

    def report(self, simulation: Simulation, state: State) -> None:
        line = self.separator.join(str(v) for v in self.values(simulation, state))
        self._file.write(line + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._owns and not self._file.closed:
            self._file.close()
