"""BussiThermostatIntegrator: velocity Verlet + stochastic velocity rescaling.

After each velocity-Verlet step the kinetic energy ``K`` is rescaled to
``K'`` drawn from the exact solution of the Bussi-Donadio-Parrinello
stochastic equation (J. Chem. Phys. 126, 014101 (2007), appendix)::

    c  = exp(-dt/tau),   K_t = Nf kT/2
    K' = c K + (1-c) K_t (R1^2 + S)/Nf + 2 R1 sqrt(c (1-c) K K_t / Nf)

with ``R1 ~ N(0,1)`` and ``S ~ chi^2(Nf - 1)``; velocities are scaled by
``alpha = sqrt(K'/K)``, sign chosen as in the paper. ``Nf`` is the number of
degrees of freedom after constraints and CM removal. This samples the
canonical ensemble and keeps the dynamics close to NVE for large ``tau``.
"""

from __future__ import annotations

import math

from sponge.integrators.kernels import kinetic_energy_kernel, scale_velocities
from sponge.integrators.verlet import VelocityVerletIntegrator
from sponge.quantities import BOLTZ
from sponge.state import State


class BussiThermostatIntegrator(VelocityVerletIntegrator):
    """Canonical sampling through velocity rescaling (CSVR).

    Args:
        temperature: K.
        tau: thermostat relaxation time, ps.
        timestep: ps.
        constraint_tolerance: relative SHAKE/RATTLE tolerance.
        energy_jump: instability threshold, kJ/mol.
    """

    def __init__(self, temperature: float, tau: float, timestep: float,
                 constraint_tolerance: float = 1e-10, energy_jump: float | None = None) -> None:
        if temperature <= 0:
            raise ValueError(f"BussiThermostatIntegrator: temperature must be > 0 K; "
                             f"got {temperature}")
        if tau <= 0:
            raise ValueError(f"BussiThermostatIntegrator: tau must be > 0 ps; got {tau}")
        self.temperature = float(temperature)
        self.tau = float(tau)
        super().__init__(timestep, constraint_tolerance, energy_jump)

    def _thermostat(self, state: State) -> None:
        v = state.velocities
        ke = kinetic_energy_kernel(v, self.masses)
        if ke <= 0.0:
            return
        nf = self.degrees_of_freedom
        kt = 0.5 * nf * BOLTZ * self.temperature
        c = math.exp(-self.timestep / self.tau)
        r1 = self._rng.standard_normal()
        s = 2.0 * self._rng.standard_gamma(0.5 * (nf - 1)) if nf > 1 else 0.0
        new = (c * ke + (1.0 - c) * kt * (r1 * r1 + s) / nf
               + 2.0 * r1 * math.sqrt(c * (1.0 - c) * ke * kt / nf))
        alpha = math.sqrt(max(new, 0.0) / ke)
        if r1 + math.sqrt(c * nf * ke / ((1.0 - c) * kt)) < 0.0:
            alpha = -alpha
        scale_velocities(v, alpha)

    def __repr__(self) -> str:
        return (f"BussiThermostatIntegrator(temperature={self.temperature}, tau={self.tau}, "
                f"timestep={self.timestep})")
