"""LangevinMiddleIntegrator: OpenMM's and SPONGE's middle scheme (BAOAB order).

One step of length ``dt`` with friction ``gamma`` (1/ps) at temperature ``T``::

    v += dt F(x)/m;            RATTLE velocities
    x' = x + v dt/2
    v  = a v + sqrt(1 - a^2) sqrt(kT/m) R,   a = exp(-gamma dt),  R ~ N(0, 1)
    x' += v dt/2;              SHAKE/SETTLE x' (reference x)
    v += (x'_constrained - x'_unconstrained)/dt;   x = x'

exactly as OpenMM's ``LangevinMiddleIntegrator`` (Zhang, Liu et al., J. Chem.
Phys. 151, 234106 (2019); J. Zhang et al. JCP 147, 034109 (2017)). With
``friction=0`` it is deterministic and equals velocity Verlet on positions.
"""

from __future__ import annotations

import math

import numpy as np

from sponge.integrators.base import Integrator
from sponge.integrators.kernels import langevin_middle_kernel
from sponge.quantities import BOLTZ
from sponge.state import State


class LangevinMiddleIntegrator(Integrator):
    """Langevin dynamics with the middle scheme.

    Args:
        temperature: K.
        friction: 1/ps.
        timestep: ps.
        constraint_tolerance: relative SHAKE/RATTLE tolerance.
        energy_jump: instability threshold, kJ/mol (see :class:`Integrator`).

    Example:
        >>> integ = LangevinMiddleIntegrator(300.0, 1.0, 0.002)
        >>> integ.bind(system, seed=1)                      # doctest: +SKIP
        >>> integ.step(state, 100)                          # doctest: +SKIP
    """

    def __init__(self, temperature: float, friction: float, timestep: float,
                 constraint_tolerance: float = 1e-10, energy_jump: float | None = None) -> None:
        if temperature < 0:
            raise ValueError(f"LangevinMiddleIntegrator: temperature must be >= 0 K; "
                             f"got {temperature}")
        if friction < 0:
            raise ValueError(f"LangevinMiddleIntegrator: friction must be >= 0 1/ps; "
                             f"got {friction}")
        self.temperature = float(temperature)
        self.friction = float(friction)
        super().__init__(timestep, constraint_tolerance, energy_jump)

    def _bind_extra(self) -> None:
        self._noise = np.zeros((len(self.masses), 3))
        self._update_factors()

    def _update_factors(self) -> None:
        kt = BOLTZ * self.temperature
        self._sigma = np.sqrt(kt * self.inv_mass)
        self._vscale = math.exp(-self.timestep * self.friction)
        self._noisescale = math.sqrt(max(0.0, 1.0 - self._vscale * self._vscale))

    def set_temperature(self, temperature: float) -> None:
        """Change the bath temperature (K)."""
        self.temperature = float(temperature)
        if self.system is not None:
            self._update_factors()

    def _advance(self, state: State, has_sites: bool) -> None:
        if self._noisescale > 0.0:
            self._rng.standard_normal(out=self._noise)
        status = langevin_middle_kernel(
            state.positions, state.velocities, self._forces, self.inv_mass, self._sigma,
            self._noise, self.timestep, self._vscale, self._noisescale, self._xp, self._xu,
            self._has_constraints, *self._cargs_p)
        self._check(status, state)
        self._moved(state, has_sites)

    def __repr__(self) -> str:
        return (f"LangevinMiddleIntegrator(temperature={self.temperature}, "
                f"friction={self.friction}, timestep={self.timestep})")
