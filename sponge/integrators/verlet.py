"""VelocityVerletIntegrator (NVE) with RATTLE/SETTLE constraints.

One step::

    v += dt/2 F(x)/m;  x' = x + dt v;  SHAKE/SETTLE x';  v += (x'_c - x'_u)/dt;  x = x'
    F = F(x);          v += dt/2 F/m;  RATTLE velocities

(Andersen, J. Comput. Phys. 52, 24 (1983)). Velocities are at full steps, so
``potential + kinetic`` is the conserved energy with no half-step estimate.
"""

from __future__ import annotations

from sponge.integrators.base import Integrator
from sponge.integrators.kernels import verlet_first_kernel, verlet_second_kernel
from sponge.state import State


class VelocityVerletIntegrator(Integrator):
    """Microcanonical velocity Verlet.

    Args:
        timestep: ps.
        constraint_tolerance: relative SHAKE/RATTLE tolerance.
        energy_jump: instability threshold, kJ/mol.
    """

    def _advance(self, state: State, has_sites: bool) -> None:
        x, v = state.positions, state.velocities
        self._thermostat_pre(state)
        status = verlet_first_kernel(x, v, self._forces, self.inv_mass, self.timestep,
                                     self._xp, self._xu, self._has_constraints, *self._cargs_p)
        self._check(status, state)
        self._moved(state, has_sites)
        status = verlet_second_kernel(x, v, self._forces, self.inv_mass, self.timestep,
                                      self._has_constraints, *self._cargs_v)
        self._check(status, state)
        self._thermostat(state)

    def _thermostat_pre(self, state: State) -> None:
        """Hook run before the first half kick (thermostat half steps)."""

    def _thermostat(self, state: State) -> None:
        """Hook run after the second half kick (none in NVE)."""
