"""Errors raised while simulating.

:class:`SimulationInstabilityError` is what an integrator raises when a run
blows up: positions, forces or the energy became NaN/inf, or the potential
energy jumped by more than the integrator's threshold in one step. It names
the step and the atoms with the largest forces so the user can find the
offending part of the model.
"""

from __future__ import annotations

import numpy as np


class SimulationInstabilityError(RuntimeError):
    """A simulation became unstable.

    Attributes:
        step: the integration step at which the problem was detected.
        atoms: indices of the atoms with the largest forces (largest first).
        message: a human-readable description.
    """

    def __init__(self, step: int, atoms: list[int] | np.ndarray, message: str) -> None:
        self.step = int(step)
        self.atoms = [int(a) for a in atoms]
        self.message = message
        super().__init__(f"step {self.step}: {message} (atoms with the largest forces: "
                         f"{self.atoms})")

    @classmethod
    def from_forces(cls, step: int, forces: np.ndarray | None, message: str,
                    n_atoms: int = 5) -> SimulationInstabilityError:
        """Build the error, picking the ``n_atoms`` atoms with the largest |F| (NaN first)."""
        atoms: list[int] = []
        if forces is not None and len(forces):
            mag = np.linalg.norm(np.asarray(forces, dtype=np.float64), axis=1)
            mag = np.where(np.isfinite(mag), mag, np.inf)
            atoms = list(np.argsort(-mag, kind="stable")[:n_atoms])
        return cls(step, atoms, message)


class ConstraintError(RuntimeError):
    """A constraint solver did not converge (names the constraint and its atoms)."""
