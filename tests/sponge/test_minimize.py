"""minimize(): lowers the energy, reaches the RMS-force tolerance (OpenMM 8's
criterion), holds constraints, and lands where OpenMM's LocalEnergyMinimizer does."""

from __future__ import annotations

import numpy as np
import pytest

import sponge

from .test_integrators import ala2_vacuum, single_threaded, water_box  # noqa: F401


def test_minimize_ala2_matches_openmm():
    mm = pytest.importorskip("openmm")
    omm, system, state = ala2_vacuum()
    e0 = system.potential_energy(state)
    out = sponge.minimize(system, state, tolerance=1.0)
    info = out.extra["minimize"]
    assert info["converged"] and info["rms_force"] < 1.0
    assert info["energy"] < e0 - 10.0
    c = system.constraints
    r = np.linalg.norm(out.positions[c.indices[:, 0]] - out.positions[c.indices[:, 1]], axis=1)
    assert np.abs(r - c.distances).max() / c.distances.min() < 1e-9
    assert np.array_equal(state.positions, ala2_vacuum()[2].positions)  # input untouched
    ctx = mm.Context(omm, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("Reference"))
    ctx.setPositions(state.positions)
    mm.LocalEnergyMinimizer.minimize(ctx, 1.0)
    e_omm = ctx.getState(getEnergy=True).getPotentialEnergy()._value
    assert info["energy"] == pytest.approx(e_omm, abs=1.0)


def test_minimize_water_box_step_limit_and_settle():
    _, system, state = water_box(1.9, 0.9)
    e0 = system.potential_energy(state)
    out = sponge.minimize(system, state, tolerance=10.0, max_iterations=25)
    info = out.extra["minimize"]
    assert info["iterations"] <= 25
    assert info["energy"] < e0 - 100.0
    c = system.constraints
    r = np.linalg.norm(out.positions[c.indices[:, 0]] - out.positions[c.indices[:, 1]], axis=1)
    assert np.abs(r - c.distances).max() / c.distances.min() < 1e-8


def test_minimize_rejects_bad_arguments():
    _, system, state = ala2_vacuum()
    with pytest.raises(ValueError, match="tolerance"):
        sponge.minimize(system, state, tolerance=0.0)
    with pytest.raises(ValueError, match="max_iterations"):
        sponge.minimize(system, state, max_iterations=-1)
