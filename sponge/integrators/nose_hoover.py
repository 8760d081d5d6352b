"""NoseHooverChainIntegrator: velocity Verlet coupled to a Nose-Hoover chain.

Equations of Martyna, Klein & Tuckerman (J. Chem. Phys. 97, 2635 (1992)),
integrated with the Trotter splitting of Martyna, Tuckerman, Tobias & Klein
(Mol. Phys. 87, 1117 (1996)): a half step of the chain (Suzuki-Yoshida
weights), a velocity-Verlet step with RATTLE/SETTLE, a half step of the chain.
Chain masses ``Q_1 = Nf kT tau^2``, ``Q_j = kT tau^2`` with ``tau = 1 /
collision_frequency``. The chain only rescales all velocities uniformly, so
constraints stay satisfied. The conserved quantity

    H = K + U + sum_j Q_j vxi_j^2 / 2 + Nf kT xi_1 + kT sum_{j>1} xi_j

is :meth:`NoseHooverChainIntegrator.conserved_energy` (kJ/mol).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sponge.integrators.kernels import kinetic_energy_kernel, scale_velocities
from sponge.integrators.verlet import VelocityVerletIntegrator
from sponge.quantities import BOLTZ
from sponge.state import State

_YOSHIDA = {
    1: (1.0,),
    3: (1.0 / (2.0 - 2.0 ** (1.0 / 3.0)), 1.0 - 2.0 / (2.0 - 2.0 ** (1.0 / 3.0)),
        1.0 / (2.0 - 2.0 ** (1.0 / 3.0))),
}
_w5 = 1.0 / (4.0 - 4.0 ** (1.0 / 3.0))
_YOSHIDA[5] = (_w5, _w5, 1.0 - 4.0 * _w5, _w5, _w5)


@njit(cache=True)
def _g(j, ke2, nf, kt, q, vxi):
    """Force on chain thermostat ``j``."""
    if j == 0:
        return (ke2 - nf * kt) / q[0]
    return (q[j - 1] * vxi[j - 1] * vxi[j - 1] - kt) / q[j]


@njit(cache=True)
def _nhc_half_step(v, mass, xi, vxi, q, nf, kt, length, weights):
    """Advance the chain (``xi``, ``vxi`` in place) by ``length`` ps; rescale ``v``."""
    ke2 = 2.0 * kinetic_energy_kernel(v, mass)
    m = xi.shape[0]
    scale = 1.0
    for w in weights:
        h = w * length
        vxi[m - 1] += 0.5 * h * _g(m - 1, ke2, nf, kt, q, vxi)
        for j in range(m - 2, -1, -1):
            a = math.exp(-0.25 * h * vxi[j + 1])
            vxi[j] = (vxi[j] * a + 0.5 * h * _g(j, ke2, nf, kt, q, vxi)) * a
        s = math.exp(-h * vxi[0])
        scale *= s
        ke2 *= s * s
        for j in range(m):
            xi[j] += h * vxi[j]
        for j in range(m - 1):
            a = math.exp(-0.25 * h * vxi[j + 1])
            vxi[j] = (vxi[j] * a + 0.5 * h * _g(j, ke2, nf, kt, q, vxi)) * a
        vxi[m - 1] += 0.5 * h * _g(m - 1, ke2, nf, kt, q, vxi)
    scale_velocities(v, scale)


class NoseHooverChainIntegrator(VelocityVerletIntegrator):
    """Canonical sampling with a Nose-Hoover chain.

    Args:
        temperature: K.
        collision_frequency: 1/ps (``tau = 1/collision_frequency`` sets the chain masses).
        timestep: ps.
        chain_length: number of thermostats in the chain (>= 1).
        yoshida_order: 1, 3 or 5 Suzuki-Yoshida weights per half step.
        constraint_tolerance: relative SHAKE/RATTLE tolerance.
        energy_jump: instability threshold, kJ/mol.
    """

    def __init__(self, temperature: float, collision_frequency: float, timestep: float,
                 chain_length: int = 3, yoshida_order: int = 3,
                 constraint_tolerance: float = 1e-10, energy_jump: float | None = None) -> None:
        if temperature <= 0:
            raise ValueError(f"NoseHooverChainIntegrator: temperature must be > 0 K; "
                             f"got {temperature}")
        if collision_frequency <= 0:
            raise ValueError(f"NoseHooverChainIntegrator: collision_frequency must be > 0 1/ps; "
                             f"got {collision_frequency}")
        if chain_length < 1:
            raise ValueError(f"NoseHooverChainIntegrator: chain_length must be >= 1; "
                             f"got {chain_length}")
        if yoshida_order not in _YOSHIDA:
            raise ValueError(f"NoseHooverChainIntegrator: yoshida_order must be 1, 3 or 5; "
                             f"got {yoshida_order}")
        self.temperature = float(temperature)
        self.collision_frequency = float(collision_frequency)
        self.chain_length = int(chain_length)
        self.yoshida_order = int(yoshida_order)
        super().__init__(timestep, constraint_tolerance, energy_jump)

    def _bind_extra(self) -> None:
        kt = BOLTZ * self.temperature
        tau = 1.0 / self.collision_frequency
        self._kt = kt
        self._q = np.full(self.chain_length, kt * tau * tau)
        self._q[0] *= self.degrees_of_freedom
        self.xi = np.zeros(self.chain_length)
        self.vxi = np.zeros(self.chain_length)
        self._weights = np.array(_YOSHIDA[self.yoshida_order])

    def _chain(self, state: State, length: float) -> None:
        """Advance the chain by ``length`` ps and rescale the velocities."""
        _nhc_half_step(state.velocities, self.masses, self.xi, self.vxi, self._q,
                       float(self.degrees_of_freedom), self._kt, length, self._weights)

    def _thermostat_pre(self, state: State) -> None:
        self._chain(state, 0.5 * self.timestep)

    def _thermostat(self, state: State) -> None:
        self._chain(state, 0.5 * self.timestep)

    def conserved_energy(self, state: State) -> float:
        """``K + U + sum Q vxi^2/2 + Nf kT xi_1 + kT sum_{j>1} xi_j``, kJ/mol."""
        return (self.kinetic_energy(state) + self.biased_energy
                + 0.5 * float(np.sum(self._q * self.vxi ** 2))
                + self.degrees_of_freedom * self._kt * self.xi[0]
                + self._kt * float(np.sum(self.xi[1:])))

    def _extra_state(self) -> dict:
        return {"xi": self.xi.tolist(), "vxi": self.vxi.tolist()}

    def _set_extra_state(self, d: dict) -> None:
        self.xi = np.asarray(d["xi"], dtype=np.float64)
        self.vxi = np.asarray(d["vxi"], dtype=np.float64)

    def __repr__(self) -> str:
        return (f"NoseHooverChainIntegrator(temperature={self.temperature}, "
                f"collision_frequency={self.collision_frequency}, timestep={self.timestep}, "
                f"chain_length={self.chain_length})")
