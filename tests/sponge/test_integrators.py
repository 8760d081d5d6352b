"""Integrators against OpenMM and against physics.

- LangevinMiddle with zero friction is deterministic: its trajectory on a
  rigid TIP3P box (SETTLE, PME) and on alanine dipeptide (HBonds, SHAKE) must
  follow OpenMM's ``LangevinMiddleIntegrator`` (Reference platform, double)
  step for step (measured: ~1e-12 nm after 10 steps).
- Velocity Verlet conserves energy with an error that scales as dt^2.
- LangevinMiddle and Bussi sample the canonical kinetic-energy distribution
  (Gamma with shape dof/2 and scale kT; KS test) at the right mean temperature.
- Runs are bit-for-bit reproducible from a seed and across get_state/set_state.
- A blow-up raises SimulationInstabilityError naming the step and atoms.

Helpers here (``water_box``, ``ala2_vacuum``, ``single_threaded``) are shared
with the other md-a test modules.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import sponge
from sponge.quantities import BOLTZ

from .openmm_reference import DATA

mm = pytest.importorskip("openmm")
app = pytest.importorskip("openmm.app")
unit = pytest.importorskip("openmm.unit")


@pytest.fixture(autouse=True)
def single_threaded():
    """Run numba kernels on one thread: tiny systems on a shared machine are
    dominated by thread synchronisation otherwise."""
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(old)


@functools.cache
def _water_box_cached(size: float, cutoff: float, remove_cm: bool, model: str = "tip3p"):
    ff = app.ForceField(f"amber14/{model}.xml")
    mod = app.Modeller(app.Topology(), [])
    mod.addSolvent(ff, boxSize=mm.Vec3(size, size, size) * unit.nanometer, model=model)
    omm = ff.createSystem(mod.topology, nonbondedMethod=app.PME,
                          nonbondedCutoff=cutoff * unit.nanometer, constraints=app.HBonds,
                          rigidWater=True, removeCMMotion=remove_cm)
    pos = np.array(mod.positions.value_in_unit(unit.nanometer))
    # put the Modeller geometry exactly on the constraints (OpenMM, tight tolerance)
    ctx = mm.Context(omm, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("Reference"))
    ctx.setPositions(pos)
    ctx.applyConstraints(1e-12)
    pos = ctx.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(
        unit.nanometer)
    return omm, mod.topology, np.array(pos)


def water_box(size: float = 2.0, cutoff: float = 0.9, remove_cm: bool = True,
              model: str = "tip3p"):
    """``(openmm_system, sponge_system, state)`` of a water box (PME, rigid water);
    ``model`` "tip3p" or "tip4pew" (with virtual sites)."""
    omm, top, pos = _water_box_cached(size, cutoff, remove_cm, model)
    system, state = sponge.from_openmm(omm, pos, topology=top)
    _exact_constraints(system, state)
    return omm, system, state


def _exact_constraints(system, state) -> None:
    """SHAKE the positions onto the constraints to 1e-12 (OpenMM's applyConstraints
    leaves the Modeller water geometry ~3e-8 off, and SETTLE keeps that error)."""
    if len(system.constraints):
        solver = sponge.ConstraintSolver.from_system(system, tolerance=1e-12,
                                                     use_settle=False)
        solver.apply_positions(state.positions.copy(), state.positions)


def ala2_vacuum(constraints=app.HBonds, remove_cm: bool = True):
    """``(openmm_system, sponge_system, state)`` of alanine dipeptide in vacuum (ff14SB)."""
    folder = DATA / "ala2" / "alanine_dipeptide_gb1"
    if not folder.exists():
        pytest.skip(f"{folder} not present")
    prm = app.AmberPrmtopFile(str(folder / "system.parm7"))
    inp = app.AmberInpcrdFile(str(folder / "system.rst7"))
    omm = prm.createSystem(nonbondedMethod=app.NoCutoff, constraints=constraints,
                           removeCMMotion=remove_cm)
    pos = np.array(inp.positions.value_in_unit(unit.nanometer))
    if omm.getNumConstraints():
        ctx = mm.Context(omm, mm.VerletIntegrator(0.001),
                         mm.Platform.getPlatformByName("Reference"))
        ctx.setPositions(pos)
        ctx.applyConstraints(1e-12)
        pos = np.array(ctx.getState(getPositions=True).getPositions(asNumpy=True)._value)
    system, state = sponge.from_openmm(omm, pos)
    _exact_constraints(system, state)
    return omm, system, state


def _openmm_langevin_run(omm, pos, vel, dt, n_chunks, chunk):
    integ = mm.LangevinMiddleIntegrator(300.0, 0.0, dt)
    integ.setConstraintTolerance(1e-12)
    ctx = mm.Context(omm, integ, mm.Platform.getPlatformByName("Reference"))
    ctx.setPositions(pos)
    ctx.setVelocities(vel)
    out = []
    for _ in range(n_chunks):
        integ.step(chunk)
        st = ctx.getState(getPositions=True, getVelocities=True, getEnergy=True)
        out.append((np.array(st.getPositions(asNumpy=True)._value),
                    np.array(st.getVelocities(asNumpy=True)._value),
                    st.getPotentialEnergy()._value))
    return out


@pytest.mark.parametrize("case", ["water_settle_pme", "tip4pew_virtual_sites", "ala2_shake",
                                  "ala2_allbonds", "ala2_hangles"])
def test_langevin_middle_frictionless_matches_openmm(case):
    if case == "tip4pew_virtual_sites":
        omm, system, state = water_box(1.9, 0.9, remove_cm=False, model="tip4pew")
        assert len(system.virtual_sites) == system.n_atoms // 4
        assert sponge.quantities.degrees_of_freedom(system) == 6 * (system.n_atoms // 4)
        dt, tol_x = 0.001, 2e-8
    elif case == "water_settle_pme":
        # OpenMM's SETTLE lands ~3e-8 relative off its own H-H distance (measured:
        # O-H +5.9e-9, H-H -3.08e-8; sponge's SETTLE holds both to 1e-15), so
        # positions can only agree to ~5e-9 nm here.
        omm, system, state = water_box(1.9, 0.9, remove_cm=False)
        dt, tol_x = 0.001, 2e-8
    else:
        kind = {"ala2_shake": app.HBonds, "ala2_allbonds": app.AllBonds,
                "ala2_hangles": app.HAngles}[case]
        omm, system, state = ala2_vacuum(constraints=kind, remove_cm=False)
        dt, tol_x = 0.002, 1e-9
    rng = np.random.default_rng(5)
    vel = sponge.quantities.maxwell_boltzmann(system.masses, 300.0, rng)
    solver = sponge.ConstraintSolver.from_system(system)
    solver.apply_velocities(state.positions, vel)
    state.velocities = vel.copy()
    ref = _openmm_langevin_run(omm, state.positions.copy(), vel.copy(), dt, 3, 4)
    integ = sponge.LangevinMiddleIntegrator(300.0, 0.0, dt)
    integ.bind(system, seed=0)
    for x_ref, v_ref, e_ref in ref:
        integ.step(state, 4)
        assert np.abs(state.positions - x_ref).max() < tol_x
        assert np.abs(state.velocities - v_ref).max() < 1e3 * tol_x
        assert integ.potential_energy == pytest.approx(e_ref, rel=1e3 * tol_x, abs=1e-6)
    assert state.step == 12 and state.time == pytest.approx(12 * dt)


def test_constraints_held_during_dynamics():
    """SETTLE geometry to 1e-8 relative (float64), SHAKE to its tolerance, RATTLE velocities."""
    _, system, state = water_box(1.9, 0.9)
    integ = sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002)
    integ.bind(system, seed=3)
    state.velocities = sponge.quantities.maxwell_boltzmann(system.masses, 300.0,
                                                           np.random.default_rng(1))
    integ.step(state, 20)
    c = system.constraints
    r = state.positions[c.indices[:, 0]] - state.positions[c.indices[:, 1]]
    rel = np.abs(np.linalg.norm(r, axis=1) - c.distances) / c.distances
    assert rel.max() < 1e-8
    assert len(integ.constraints.waters) == len(c) // 3

    _, system, state = ala2_vacuum()
    for integ in (sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002),
                  sponge.VelocityVerletIntegrator(0.002)):
        integ.bind(system, seed=3)
        integ.step(state, 50)
        c = system.constraints
        r = state.positions[c.indices[:, 0]] - state.positions[c.indices[:, 1]]
        rel = np.abs(np.linalg.norm(r, axis=1) - c.distances) / c.distances
        assert rel.max() < 1e-9
        if isinstance(integ, sponge.VelocityVerletIntegrator):
            vij = state.velocities[c.indices[:, 0]] - state.velocities[c.indices[:, 1]]
            assert np.abs(np.einsum("ij,ij->i", r, vij)).max() / c.distances.min() ** 2 < 1e-8


def test_degrees_of_freedom():
    _, system, _ = water_box(1.9, 0.9)
    n_w = system.n_atoms // 3
    integ = sponge.VelocityVerletIntegrator(0.001)
    integ.bind(system)
    assert integ.degrees_of_freedom == 6 * n_w - 3 == sponge.quantities.degrees_of_freedom(system)
    _, system, _ = ala2_vacuum(remove_cm=False)
    assert sponge.quantities.degrees_of_freedom(system) == 3 * 22 - 12


def _energy_error(dt: float, steps: int) -> float:
    _, system, state = ala2_vacuum()
    state.velocities = sponge.quantities.maxwell_boltzmann(system.masses, 300.0,
                                                           np.random.default_rng(2))
    integ = sponge.VelocityVerletIntegrator(dt)
    integ.bind(system)
    integ.constraints.apply_velocities(state.positions, state.velocities)
    total = []
    for _ in range(steps):
        integ.step(state, 1)
        total.append(integ.potential_energy + integ.kinetic_energy(state))
    return float(np.std(total))


def test_velocity_verlet_energy_error_scales_as_dt_squared():
    """Shadow-Hamiltonian behaviour: halving dt divides the energy fluctuation by ~4."""
    e1 = _energy_error(0.001, 400)
    e2 = _energy_error(0.0005, 800)
    assert e1 < 0.5  # kJ/mol over 0.4 ps of alanine dipeptide
    assert 3.0 < e1 / e2 < 5.3


@pytest.mark.parametrize("kind", ["langevin", "bussi", "nose_hoover"])
def test_canonical_kinetic_energy(kind):
    """KE samples vs Gamma(dof/2, kT) (KS test) and <T> within 5 standard errors."""
    stats = pytest.importorskip("scipy.stats")
    _, system, state = ala2_vacuum()
    t_ref = 300.0
    if kind == "langevin":
        integ = sponge.LangevinMiddleIntegrator(t_ref, 10.0, 0.002)
    elif kind == "bussi":
        integ = sponge.BussiThermostatIntegrator(t_ref, 0.05, 0.002)
    else:
        integ = sponge.NoseHooverChainIntegrator(t_ref, 20.0, 0.002, chain_length=3)
        state.velocities = sponge.quantities.maxwell_boltzmann(system.masses, t_ref,
                                                               np.random.default_rng(0))
    integ.bind(system, seed=11)
    integ.step(state, 500)
    ke = []
    for _ in range(1500):
        integ.step(state, 10)
        ke.append(integ.kinetic_energy(state))
    ke = np.array(ke)
    dof = integ.degrees_of_freedom
    kt = BOLTZ * t_ref
    p = stats.kstest(ke, stats.gamma(0.5 * dof, scale=kt).cdf).pvalue
    assert p > 1e-3, f"KS p-value {p}"
    temps = 2 * ke / (dof * BOLTZ)
    blocks = temps.reshape(30, -1).mean(axis=1)
    se = blocks.std(ddof=1) / np.sqrt(len(blocks))
    assert abs(temps.mean() - t_ref) < 5 * se + 1.0, (temps.mean(), se)


def test_reproducible_and_restart_bit_for_bit():
    _, system, state0 = ala2_vacuum()

    def run(seed, n):
        s = state0.copy()
        integ = sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002)
        integ.bind(system, seed=seed)
        integ.step(s, n)
        return s, integ

    a, _ = run(7, 40)
    b, _ = run(7, 40)
    c, _ = run(8, 40)
    assert np.array_equal(a.positions, b.positions)
    assert np.array_equal(a.velocities, b.velocities)
    assert not np.array_equal(a.positions, c.positions)
    # 20 steps, save, 20 more in a fresh integrator == 40 straight
    half, integ = run(7, 20)
    saved = integ.get_state()
    fresh = sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002)
    fresh.bind(system, seed=123)
    fresh.set_state(saved)
    fresh.step(half, 20)
    assert np.array_equal(half.positions, a.positions)
    assert np.array_equal(half.velocities, a.velocities)
    assert half.step == 40


def test_bussi_restart_bit_for_bit():
    _, system, state0 = ala2_vacuum()
    s1, s2 = state0.copy(), state0.copy()
    i1 = sponge.BussiThermostatIntegrator(300.0, 0.1, 0.002)
    i1.bind(system, seed=4)
    i1.step(s1, 30)
    i2 = sponge.BussiThermostatIntegrator(300.0, 0.1, 0.002)
    i2.bind(system, seed=4)
    i2.step(s2, 10)
    d = i2.get_state()
    i3 = sponge.BussiThermostatIntegrator(300.0, 0.1, 0.002)
    i3.bind(system, seed=99)
    i3.set_state(d)
    i3.step(s2, 20)
    assert np.array_equal(s1.positions, s2.positions)
    with pytest.raises(ValueError, match="LangevinMiddleIntegrator"):
        lm = sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002)
        lm.bind(system)
        lm.set_state(d)


def test_instability_names_step_and_atoms():
    _, system, state = ala2_vacuum()
    integ = sponge.VelocityVerletIntegrator(0.002)
    integ.bind(system, seed=0)
    integ.step(state, 3)
    state.velocities[7] = [3000.0, 0.0, 0.0]  # atom 7 flies into its neighbours
    integ.invalidate()
    with pytest.raises(sponge.SimulationInstabilityError) as err:
        integ.step(state, 50)
    assert err.value.step > 3
    assert 7 in err.value.atoms
    assert "step" in str(err.value)
    # NaN positions are caught at once
    _, system, state = ala2_vacuum()
    state.positions[4] = np.nan
    integ = sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002)
    integ.bind(system)
    with pytest.raises(sponge.SimulationInstabilityError, match="not finite"):
        integ.step(state, 1)


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="friction"):
        sponge.LangevinMiddleIntegrator(300.0, -1.0, 0.002)
    with pytest.raises(ValueError, match="timestep"):
        sponge.VelocityVerletIntegrator(0.0)
    with pytest.raises(ValueError, match="tau"):
        sponge.BussiThermostatIntegrator(300.0, 0.0, 0.002)
    with pytest.raises(RuntimeError, match="bind"):
        sponge.VelocityVerletIntegrator(0.001).step(sponge.State(np.zeros((1, 3))))


class _Spring:
    """Bias: harmonic spring of every particle to the origin, k kJ/mol/nm^2."""

    def __init__(self, k: float) -> None:
        self.k = k

    def modify(self, state, energy, forces):
        x = state.positions
        return energy + 0.5 * self.k * float(np.sum(x * x)), forces - self.k * x


def test_bias_drives_the_dynamics():
    """Free particles on a spring bias oscillate with period 2 pi sqrt(m/k)
    (velocity Verlet: phase error O(dt^2)); the unbiased energy stays 0."""
    m, k = 10.0, 1000.0
    system = sponge.System(masses=np.full(4, m))
    x0 = np.random.default_rng(0).uniform(-0.1, 0.1, (4, 3))
    state = sponge.State(x0.copy())
    integ = sponge.VelocityVerletIntegrator(0.0005)
    integ.bias = _Spring(k)
    integ.bind(system)
    period = 2 * np.pi * np.sqrt(m / k)
    n = int(round(period / 0.0005))
    integ.step(state, n // 2)
    assert np.abs(state.positions + x0).max() < 2e-3 * np.abs(x0).max() + 1e-3
    integ.step(state, n - n // 2)
    assert np.abs(state.positions - x0).max() < 1e-3
    assert integ.potential_energy == 0.0
    e_total = integ.biased_energy + integ.kinetic_energy(state)
    assert e_total == pytest.approx(0.5 * k * np.sum(x0 * x0), rel=1e-4)


def test_nose_hoover_chain_conserves_its_extended_energy():
    """The NHC extended Hamiltonian is conserved to O(dt^2): its fluctuation shrinks
    ~4x when dt halves, and the chain state survives get_state/set_state."""
    def run(dt, n):
        _, system, state = ala2_vacuum()
        state.velocities = sponge.quantities.maxwell_boltzmann(system.masses, 300.0,
                                                               np.random.default_rng(0))
        integ = sponge.NoseHooverChainIntegrator(300.0, 10.0, dt, chain_length=4)
        integ.bind(system)
        integ.constraints.apply_velocities(state.positions, state.velocities)
        h = []
        for _ in range(n):
            integ.step(state, 1)
            h.append(integ.conserved_energy(state))
        return float(np.std(h)), integ, state

    e1, integ, state = run(0.001, 400)
    e2, _, _ = run(0.0005, 800)
    assert e1 < 0.5 and 3.0 < e1 / e2 < 5.3
    assert np.any(integ.vxi != 0)
    d = integ.get_state()
    other = sponge.NoseHooverChainIntegrator(300.0, 10.0, 0.001, chain_length=4)
    other.bind(integ.system)
    other.set_state(d)
    s2 = state.copy()
    integ.step(state, 5)
    other.step(s2, 5)
    assert np.array_equal(state.positions, s2.positions)
