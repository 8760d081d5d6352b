"""Shared helpers for the simulation/reporter/checkpoint/CLI tests (no tests here).

``water_box`` builds a small TIP3P box through OpenMM (PME, rigid water);
``make_integrator`` returns a LangevinMiddleIntegrator.
"""

from __future__ import annotations

import functools

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


def water_box(box_nm: float = 1.6, rigid: bool = True):
    """``(system, state, openmm_system)`` for a TIP3P box of side ``box_nm`` nm (PME 0.7 nm)."""
    omm, pos, top = _omm_water(box_nm, rigid)
    system, state = sponge.from_openmm(omm, pos, box=top.getPeriodicBoxVectors(), topology=top)
    return system, state, omm


def make_integrator(temperature: float = 300.0, friction: float = 1.0, timestep: float = 0.002):
    """A LangevinMiddleIntegrator (rigid water, 2 fs by default)."""
    return sponge.LangevinMiddleIntegrator(temperature, friction, timestep)
