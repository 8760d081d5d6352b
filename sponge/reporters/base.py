"""Reporter protocol and the helpers every reporter shares.

Reporters observe the simulation loop the way OpenMM's do: before each chunk
of steps the loop asks every reporter how many steps remain until it next
wants a report (:meth:`Reporter.steps_until_next`), runs the integrator for
the smallest of those numbers in one call, and hands the current state to the
reporters whose interval divides the step counter (:meth:`Reporter.report`).
Nothing runs in Python between two reports except the integrator itself.

Files are written so that an interrupted run leaves them readable: text and
trajectory reporters flush after every frame, checkpoints are written to a
temporary file and moved into place with :func:`os.replace`
(:func:`atomic_write_bytes`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from sponge.simulation import Simulation
    from sponge.state import State


def check_interval(interval: object, who: str) -> int:
    """Validate a reporting interval (a positive integer number of steps)."""
    if isinstance(interval, bool) or not isinstance(interval, int | np.integer) or interval <= 0:
        raise ValueError(f"{who}: interval must be a positive integer number of steps, "
                         f"got {interval!r}")
    return int(interval)


class Reporter:
    """Base class: a reporter that wants a report every ``interval`` steps.

    Subclasses implement :meth:`report` and, if they hold files, :meth:`close`.

    Args:
        interval: steps between reports (> 0).
    """

    def __init__(self, interval: int) -> None:
        self.interval = check_interval(interval, type(self).__name__)

    def steps_until_next(self, step: int) -> int:
        """Steps from ``step`` until the next report (1 ... interval)."""
        return self.interval - step % self.interval

    def wants_report(self, step: int) -> bool:
        """True when ``step`` is a reporting step."""
        return step % self.interval == 0

    def start(self, simulation: Simulation) -> None:
        """Called once before the first chunk of each :meth:`Simulation.run`."""

    def report(self, simulation: Simulation, state: State) -> None:
        """Record ``state`` (positions nm, velocities nm/ps, box nm, time ps)."""
        raise NotImplementedError

    def close(self) -> None:
        """Flush and close any file the reporter holds."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically.

    The bytes go to a temporary file in the same folder, which is flushed,
    fsync'ed and then renamed over ``path`` with :func:`os.replace`; a crash
    at any moment leaves either the old file or the new one, never a torn one.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def openmm_topology(system, box: np.ndarray | None = None):
    """An ``openmm.app.Topology`` for ``system`` (needed by OpenMM's file writers).

    Built from ``system.topology`` (atom, residue, chain names, elements,
    bonds); a system without one gets a single residue ``UNK`` of atoms
    ``X0, X1, ...``. ``box`` ((3, 3) nm) marks the topology periodic.
    """
    from openmm import Vec3, app, unit

    top = app.Topology()
    t = system.topology
    n = system.n_atoms
    if t is None:
        chain = top.addChain()
        res = top.addResidue("UNK", chain)
        atoms = [top.addAtom(f"X{i}", None, res) for i in range(n)]
    else:
        if t.n_atoms != n:
            raise ValueError(f"system.topology has {t.n_atoms} atoms; system has {n} particles")
        chain_index = t.chain_index if t.chain_index is not None else np.zeros(t.n_residues, int)
        chains = [top.addChain() for _ in range(int(chain_index.max()) + 1 if len(chain_index)
                                                    else 1)]
        residues = [top.addResidue(name, chains[int(chain_index[k])], str(k + 1))
                    for k, name in enumerate(t.residue_names)]
        atoms = []
        for i in range(n):
            try:
                elem = app.Element.getBySymbol(t.elements[i]) if t.elements[i] else None
            except KeyError:
                elem = None
            atoms.append(top.addAtom(t.atom_names[i], elem, residues[int(t.residue_index[i])]))
        for a, b in np.asarray(t.bonds).reshape(-1, 2):
            top.addBond(atoms[int(a)], atoms[int(b)])
    if box is not None:
        b = np.asarray(box, dtype=float)
        top.setPeriodicBoxVectors([Vec3(*b[k]) for k in range(3)] * unit.nanometer)
    return top
