"""Shared helpers for the simulation/reporter/checkpoint/CLI tests (no tests here).

``water_box`` builds a small TIP3P box through OpenMM (PME); ``make_integrator``
returns md-a's LangevinMiddleIntegrator when it is importable, otherwise a
minimal Langevin-middle stand-in without constraints (flexible water).
"""

from __future__ import annotations

import functools

import numpy as np

import sponge

KB = 0.00831446261815324


@functools.lru_cache(maxsize=4)
def _omm_water(box_nm: float, rigid: bool):
    from openmm import app, unit

    ff = app.ForceField("amber14/tip3p.xml")
    m = app.Modeller(app.Topology(), [])
    m.addSolvent(ff, model="tip3p", boxSize=(box_nm, box_nm, box_nm) * unit.nanometer)
    omm = ff.createSystem(m.topology, nonbondedMethod=app.PME,
                          nonbondedCutoff=0.7 * unit.nanometer,
                          constraints=None, rigidWater=rigid)
    return omm, m.positions, m.topology


def water_box(box_nm: float = 1.6, rigid: bool | None = None):
    """``(system, state, openmm_system)`` for a TIP3P box of side ``box_nm`` nm."""
    if rigid is None:
        rigid = HAVE_MD_A
    omm, pos, top = _omm_water(box_nm, rigid)
    system, state = sponge.from_openmm(omm, pos, box=top.getPeriodicBoxVectors(), topology=top)
    return system, state, omm


class StandInLangevin:
    """Langevin middle scheme (kick, half drift, O-U, half drift) without constraints."""

    def __init__(self, temperature: float, friction: float, timestep: float) -> None:
        self.temperature, self.friction, self.timestep = temperature, friction, timestep

    def bind(self, system, seed=None) -> None:
        self.system = system
        m = system.masses
        self._inv_m = np.where(m > 0, 1.0 / np.where(m > 0, m, 1.0), 0.0)[:, None]
        self._sig = np.sqrt(KB * self.temperature * self._inv_m)
        self.rng = np.random.default_rng(seed)
        self.degrees_of_freedom = 3 * int((m > 0).sum()) - len(system.constraints)
        self._e = None
        self._f = None

    def invalidate(self) -> None:
        self._f = None

    def _compute(self, state) -> None:
        self._e, self._f = self.system.energy_forces(state)

    def step(self, state, n_steps: int = 1) -> None:
        dt = self.timestep
        a = np.exp(-self.friction * dt)
        b = np.sqrt(1 - a * a)
        for _ in range(n_steps):
            if self._f is None:
                self._compute(state)
            state.velocities += dt * self._f * self._inv_m
            state.positions += 0.5 * dt * state.velocities
            state.velocities *= a
            state.velocities += b * self._sig * self.rng.standard_normal(state.positions.shape)
            state.positions += 0.5 * dt * state.velocities
            state.time += dt
            state.step += 1
            self._compute(state)

    @property
    def potential_energy(self) -> float:
        return self._e

    @property
    def forces(self):
        return self._f

    def get_state(self) -> dict:
        return {"rng": self.rng.bit_generator.state}

    def set_state(self, d: dict) -> None:
        self.rng.bit_generator.state = d["rng"]


try:  # md-a's integrators, once merged
    from sponge import LangevinMiddleIntegrator  # noqa: F401

    HAVE_MD_A = True
except ImportError:
    HAVE_MD_A = False


def make_integrator(temperature: float = 300.0, friction: float = 1.0, timestep: float | None = None):
    """md-a's LangevinMiddleIntegrator if available (2 fs, rigid water), else the stand-in (0.5 fs)."""
    if HAVE_MD_A:
        return sponge.LangevinMiddleIntegrator(temperature, friction, timestep or 0.002)
    return StandInLangevin(temperature, friction, timestep or 0.0005)
