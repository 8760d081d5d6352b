"""Integrators: LangevinMiddle (NVT), velocity Verlet (NVE), Bussi velocity rescaling and
Nose-Hoover chain (NVT).

All follow :class:`Integrator` (``bind``, ``step``, ``invalidate``,
``potential_energy``, ``forces``, ``get_state``/``set_state``,
``degrees_of_freedom``); attach a :class:`sponge.MonteCarloBarostat` through
``integrator.barostat`` for NPT.
"""

from sponge.integrators.base import Integrator
from sponge.integrators.bussi import BussiThermostatIntegrator
from sponge.integrators.langevin import LangevinMiddleIntegrator
from sponge.integrators.nose_hoover import NoseHooverChainIntegrator
from sponge.integrators.verlet import VelocityVerletIntegrator

__all__ = [
    "BussiThermostatIntegrator",
    "Integrator",
    "LangevinMiddleIntegrator",
    "NoseHooverChainIntegrator",
    "VelocityVerletIntegrator",
]
