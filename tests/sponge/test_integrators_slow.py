"""Long statistical validations on a TIP3P box (rigid water, SETTLE, PME 0.9 nm),
run with ``pytest -m slow -s`` (they print their numbers). Each starts from a
box equilibrated by OpenMM (CPU platform) so sponge and OpenMM share the start.

- NVE, 1 fs: energy drift per ns per degree of freedom, sponge's velocity
  Verlet and OpenMM's VerletIntegrator (Reference, double), same start; sponge's
  |drift| must not exceed OpenMM's by more than three combined standard errors.
- NVT LangevinMiddle at 300 K: <T> within statistical error of 300 K; KE
  distribution consistent with Gamma(dof/2, kT) (KS test).
- NPT (Monte Carlo barostat, 300 K, 1 bar): mean density within 1% of
  OpenMM's (LangevinMiddle + MonteCarloBarostat) on the same box.
"""

from __future__ import annotations

import functools
import time

import numpy as np
import pytest

import sponge
from sponge.quantities import BOLTZ, density

from .test_integrators import _water_box_cached, single_threaded  # noqa: F401

mm = pytest.importorskip("openmm")
unit = pytest.importorskip("openmm.unit")

pytestmark = pytest.mark.slow
SIZE, CUTOFF = 1.9, 0.9


@functools.cache
def _equilibrated():
    """(openmm_system, positions, velocities, box) after 0.2 ps min + 10 ps NPT in OpenMM."""
    omm, top, pos = _water_box_cached(SIZE, CUTOFF, True)
    import copy

    s = copy.deepcopy(omm)
    s.addForce(mm.MonteCarloBarostat(1.0, 300.0, 25))
    integ = mm.LangevinMiddleIntegrator(300.0, 1.0, 0.002)
    integ.setRandomNumberSeed(1)
    ctx = mm.Context(s, integ, mm.Platform.getPlatformByName("CPU"))
    ctx.setPositions(pos)
    mm.LocalEnergyMinimizer.minimize(ctx, 10.0)
    ctx.setVelocitiesToTemperature(300.0, 1)
    integ.step(5000)
    st = ctx.getState(getPositions=True, getVelocities=True, enforcePeriodicBox=False)
    box = np.array(st.getPeriodicBoxVectors(asNumpy=True)._value)
    return (omm, np.array(st.getPositions(asNumpy=True)._value),
            np.array(st.getVelocities(asNumpy=True)._value), box)


def _sponge_start():
    omm, pos, vel, box = _equilibrated()
    system, state = sponge.from_openmm(omm, pos, box=box)
    solver = sponge.ConstraintSolver.from_system(system, tolerance=1e-12, use_settle=False)
    solver.apply_positions(state.positions.copy(), state.positions)
    state.velocities = vel.copy()
    solver.apply_velocities(state.positions, state.velocities)
    return omm, system, state


def _slope(t_ps, e):
    """Least-squares slope (kJ/mol/ps) and its standard error."""
    a = np.vstack([t_ps, np.ones_like(t_ps)]).T
    coef, res, *_ = np.linalg.lstsq(a, e, rcond=None)
    resid = e - a @ coef
    se = np.sqrt(resid @ resid / (len(e) - 2) / np.sum((t_ps - t_ps.mean()) ** 2))
    return float(coef[0]), float(se)


def test_nve_energy_drift_vs_openmm():
    steps, every, dt = 3000, 10, 0.001
    omm, system, state = _sponge_start()
    integ = sponge.VelocityVerletIntegrator(dt)
    integ.bind(system)
    dof = integ.degrees_of_freedom
    t0 = time.perf_counter()
    e_s = []
    for _ in range(steps // every):
        integ.step(state, every)
        e_s.append(integ.potential_energy + integ.kinetic_energy(state))
    wall_s = time.perf_counter() - t0
    _, pos, vel, box = _equilibrated()
    start = _sponge_start()[2]
    oi = mm.VerletIntegrator(dt)
    oi.setConstraintTolerance(1e-10)
    ctx = mm.Context(omm, oi, mm.Platform.getPlatformByName("Reference"))
    ctx.setPeriodicBoxVectors(*[mm.Vec3(*r) for r in box])
    ctx.setPositions(start.positions)
    ctx.setVelocities(start.velocities)
    e_o = []
    t0 = time.perf_counter()
    for _ in range(steps // every):
        oi.step(every)
        st = ctx.getState(getEnergy=True)
        e_o.append(st.getPotentialEnergy()._value + st.getKineticEnergy()._value)
    wall_o = time.perf_counter() - t0
    t = np.arange(1, steps // every + 1) * every * dt
    ds, ses = _slope(t, np.array(e_s))
    do, seo = _slope(t, np.array(e_o))
    per = 1000.0 / dof  # kJ/mol/ps -> kJ/mol/ns/dof
    print(f"\nNVE {system.n_atoms} atoms, dof {dof}, {steps} x {dt} ps: drift kJ/mol/ns/dof "
          f"sponge {ds * per:+.4f} +- {ses * per:.4f}, OpenMM Reference {do * per:+.4f} "
          f"+- {seo * per:.4f}; fluctuation std sponge {np.std(e_s):.3f} OpenMM "
          f"{np.std(e_o):.3f} kJ/mol; wall sponge {wall_s:.0f} s OpenMM {wall_o:.0f} s")
    assert abs(ds) <= abs(do) + 3.0 * (ses + seo)


def test_nvt_langevin_temperature_and_kinetic_distribution():
    stats = pytest.importorskip("scipy.stats")
    _, system, state = _sponge_start()
    integ = sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002)
    integ.bind(system, seed=2)
    integ.step(state, 250)
    ke = []
    for _ in range(2500):  # 50 ps: about 100 independent KE samples at friction 1/ps
        integ.step(state, 10)
        ke.append(integ.kinetic_energy(state))
    ke = np.array(ke)
    dof = integ.degrees_of_freedom
    temps = 2 * ke / (dof * BOLTZ)
    blocks = temps.reshape(10, -1).mean(axis=1)
    se = blocks.std(ddof=1) / np.sqrt(10)
    from tests.sponge.test_integrators import _decorrelated

    sub = _decorrelated(ke)  # the KS test needs (nearly) independent samples
    assert len(sub) >= 40, f"only {len(sub)} independent samples"
    p = stats.kstest(sub, stats.gamma(0.5 * dof, scale=BOLTZ * 300.0).cdf).pvalue
    print(f"\nNVT {system.n_atoms} atoms, dof {dof}: <T> = {temps.mean():.2f} +- {se:.2f} K, "
          f"std(T) = {temps.std():.2f} K (canonical {300 * np.sqrt(2 / dof):.2f}), "
          f"KS p = {p:.3f} ({len(sub)} samples)")
    assert abs(temps.mean() - 300.0) < 4 * se + 0.5
    assert p > 1e-3


def test_npt_density_matches_openmm():
    equil, prod, every = 1000, 10000, 25
    omm, system, state = _sponge_start()
    _, pos, vel, box = _equilibrated()
    integ = sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002)
    integ.barostat = sponge.MonteCarloBarostat(1.0, 300.0, frequency=25)
    integ.bind(system, seed=3)
    integ.step(state, equil)
    rho_s = []
    for _ in range(prod // every):
        integ.step(state, every)
        rho_s.append(density(system.masses, state.box))
    import copy

    s = copy.deepcopy(omm)
    s.addForce(mm.MonteCarloBarostat(1.0, 300.0, 25))
    oi = mm.LangevinMiddleIntegrator(300.0, 1.0, 0.002)
    oi.setRandomNumberSeed(3)
    ctx = mm.Context(s, oi, mm.Platform.getPlatformByName("CPU"))
    ctx.setPeriodicBoxVectors(*[mm.Vec3(*r) for r in box])
    ctx.setPositions(pos)
    ctx.setVelocities(vel)
    oi.step(equil)
    rho_o = []
    for _ in range(2 * prod // every):
        oi.step(every)
        b = ctx.getState().getPeriodicBoxVectors(asNumpy=True)._value
        rho_o.append(density(system.masses, np.array(b)))

    def mean_se(x):
        x = np.asarray(x)
        blocks = x[: len(x) // 10 * 10].reshape(10, -1).mean(axis=1)
        return x.mean(), blocks.std(ddof=1) / np.sqrt(10)

    ms, ss = mean_se(rho_s)
    mo, so = mean_se(rho_o)
    print(f"\nNPT {system.n_atoms} atoms, 300 K, 1 bar: density sponge {ms:.4f} +- {ss:.4f}, "
          f"OpenMM {mo:.4f} +- {so:.4f} g/mL; difference {100 * (ms - mo) / mo:+.2f}% "
          f"(sponge {prod * 0.002:.0f} ps, OpenMM {2 * prod * 0.002:.0f} ps)")
    assert abs(ms - mo) / mo < 0.01
