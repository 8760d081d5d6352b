"""Trajectory reporters: DCD, XTC and PDB frames through OpenMM's writers.

Every frame is on disk when :meth:`report` returns (DCD and PDB streams are
flushed, OpenMM's XTC writer appends and closes the file per frame), so a run
that is killed, or stopped by :class:`sponge.SimulationInstabilityError`,
leaves a trajectory that mdtraj reads up to the last complete frame. Positions
are written for every particle (virtual sites included), in the units of each
format (DCD: Angstrom, XTC: nm, PDB: Angstrom).
"""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING

import numpy as np

from sponge.reporters.base import Reporter, openmm_topology

if TYPE_CHECKING:  # pragma: no cover
    from sponge.simulation import Simulation
    from sponge.state import State


def _vec3_box(box: np.ndarray | None):
    from openmm import Vec3, unit

    if box is None:
        return None
    return [Vec3(*map(float, box[k])) for k in range(3)] * unit.nanometer


def _positions(state: State):
    from openmm import unit

    return state.positions * unit.nanometer


class _FrameReporter(Reporter):
    """Shared set-up: lazy file opening at the first :meth:`start`."""

    def __init__(self, file: str | os.PathLike, interval: int, append: bool = False) -> None:
        super().__init__(interval)
        self.path = os.fspath(file)
        self.append = bool(append)
        self._writer = None
        self.n_frames = 0

    def _open(self, simulation: Simulation) -> None:
        raise NotImplementedError

    def start(self, simulation: Simulation) -> None:
        if self._writer is None:
            self._open(simulation)


class DCDReporter(_FrameReporter):
    """Write a CHARMM/NAMD DCD trajectory (OpenMM's ``DCDFile``).

    Args:
        file: path of the ``.dcd`` file.
        interval: steps between frames.
        append: add frames to an existing file (after a checkpoint restart).
    """

    def _open(self, simulation: Simulation) -> None:
        from openmm import app, unit

        box = simulation.state.box
        top = openmm_topology(simulation.system, box)
        self._fh = open(self.path, "r+b" if self.append else "wb")  # noqa: SIM115
        dt = simulation.integrator.timestep * unit.picosecond
        self._writer = app.DCDFile(self._fh, top, dt, simulation.state.step, self.interval,
                                   self.append)

    def report(self, simulation: Simulation, state: State) -> None:
        self._writer.writeModel(_positions(state), periodicBoxVectors=_vec3_box(state.box))
        self._fh.flush()
        self.n_frames += 1

    def close(self) -> None:
        if self._writer is not None and not self._fh.closed:
            self._fh.close()


class XTCReporter(_FrameReporter):
    """Write a compressed GROMACS XTC trajectory (OpenMM's ``XTCFile``, precision 1e-3 nm).

    Args:
        file: path of the ``.xtc`` file.
        interval: steps between frames.
        append: add frames to an existing file (after a checkpoint restart).
    """

    def _open(self, simulation: Simulation) -> None:
        from openmm import unit
        from openmm.app.xtcfile import XTCFile

        top = openmm_topology(simulation.system, simulation.state.box)
        if not self.append and os.path.exists(self.path):
            os.unlink(self.path)  # XTCFile refuses to overwrite
        dt = simulation.integrator.timestep * unit.picosecond
        self._writer = XTCFile(self.path, top, dt, simulation.state.step, self.interval,
                               self.append)

    def report(self, simulation: Simulation, state: State) -> None:
        self._writer.writeModel(_positions(state), periodicBoxVectors=_vec3_box(state.box))
        self.n_frames += 1


class PDBReporter(_FrameReporter):
    """Write PDB snapshots as successive ``MODEL`` records of one file.

    Args:
        file: path of the ``.pdb`` file.
        interval: steps between models.
        append: add models to an existing file.
    """

    def _open(self, simulation: Simulation) -> None:
        from openmm import app

        self._top = openmm_topology(simulation.system, simulation.state.box)
        # Unbuffered: every model reaches the file in one write() system call,
        # so a run killed at any moment leaves only whole MODEL records.
        self._fh = open(self.path, "ab" if self.append else "wb", buffering=0)  # noqa: SIM115
        self._writer = app.PDBFile
        if not self.append:
            self._top.setPeriodicBoxVectors(_vec3_box(simulation.state.box))
            self._write(app.PDBFile.writeHeader, self._top)
        self._model = 1

    def _write(self, writer, *args, **kwargs) -> None:
        buf = io.StringIO()
        writer(*args, buf, **kwargs)
        data = buf.getvalue().encode()
        view = memoryview(data)
        while view:  # FileIO.write may (rarely) write less than asked
            view = view[self._fh.write(view):]

    def report(self, simulation: Simulation, state: State) -> None:
        from openmm import app

        if state.box is not None:
            self._top.setPeriodicBoxVectors(_vec3_box(state.box))
        self._write(app.PDBFile.writeModel, self._top, _positions(state), modelIndex=self._model)
        self._model += 1
        self.n_frames += 1

    def close(self) -> None:
        if self._writer is not None and not self._fh.closed:
            from openmm import app

            self._write(app.PDBFile.writeFooter, self._top)
            self._fh.close()
