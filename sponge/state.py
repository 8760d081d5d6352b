"""Simulation state: the dynamic variables of one configuration.

A :class:`State` holds what changes during a simulation (positions,
velocities, periodic box, time) and nothing else; the force field lives in
:class:`sponge.System`. Units are the OpenMM/GROMACS set: nm, nm/ps, ps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class State:
    """Positions, velocities and box of one configuration.

    Attributes:
        positions: ``(n_atoms, 3)`` float64, nm (virtual sites included).
        velocities: ``(n_atoms, 3)`` float64, nm/ps (zeros when unknown).
        box: ``(3, 3)`` float64 periodic box vectors as rows, nm, in OpenMM's
            reduced triclinic form; ``None`` for a non-periodic system.
        time: simulation time, ps.
        step: integration step counter.
    """

    positions: np.ndarray
    velocities: np.ndarray | None = None
    box: np.ndarray | None = None
    time: float = 0.0
    step: int = 0
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.positions = np.ascontiguousarray(self.positions, dtype=np.float64)
        if self.positions.ndim != 2 or self.positions.shape[1] != 3:
            raise ValueError(
                f"State.positions must have shape (n_atoms, 3); got {self.positions.shape}"
            )
        if self.velocities is None:
            self.velocities = np.zeros_like(self.positions)
        else:
            self.velocities = np.ascontiguousarray(self.velocities, dtype=np.float64)
            if self.velocities.shape != self.positions.shape:
                raise ValueError(
                    f"State.velocities must have shape {self.positions.shape}; "
                    f"got {self.velocities.shape}"
                )
        if self.box is not None:
            self.box = np.ascontiguousarray(self.box, dtype=np.float64)
            if self.box.shape == (3,):
                self.box = np.diag(self.box)
            if self.box.shape != (3, 3):
                raise ValueError(f"State.box must have shape (3, 3) nm; got {self.box.shape}")

    @property
    def n_atoms(self) -> int:
        """Number of particles (virtual sites included)."""
        return int(self.positions.shape[0])

    def copy(self) -> State:
        """A deep copy (arrays copied)."""
        return State(
            positions=self.positions.copy(),
            velocities=None if self.velocities is None else self.velocities.copy(),
            box=None if self.box is None else self.box.copy(),
            time=self.time,
            step=self.step,
            extra=dict(self.extra),
        )
