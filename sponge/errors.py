"""Errors raised while a simulation runs.

:class:`SimulationInstabilityError` is what an integrator or the simulation
loop raises when the dynamics blow up (non-finite positions, velocities or
forces, or a potential-energy jump beyond a threshold). It names the step and
the atoms with the largest forces, so that the user can look at them.
"""

from __future__ import annotations

from collections.abc import Sequence


class SimulationInstabilityError(RuntimeError):
    """The simulation became unstable.

    Args:
        step: the integration step at which the instability was detected.
        atoms: indices of the atoms with the largest (or non-finite) forces,
            largest first.
        message: what was detected (NaN positions, an energy jump, ...).

    Attributes:
        step, atoms, message: as given.
    """

    def __init__(self, step: int, atoms: Sequence[int], message: str) -> None:
        self.step = int(step)
        self.atoms = [int(a) for a in atoms]
        self.message = str(message)
        super().__init__(
            f"simulation unstable at step {self.step}: {self.message}; "
            f"atoms with the largest forces: {self.atoms}"
        )
