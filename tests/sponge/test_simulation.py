"""Simulation loop: chunking by reporters, energies vs OpenMM, stability guard, platforms."""

from __future__ import annotations

import numpy as np
import pytest

import sponge
from sponge.errors import SimulationInstabilityError
from sponge.reporters import Reporter, read_checkpoint
from tests.sponge.test_simulation_support import KB, make_integrator, water_box


def _openmm_energy(omm_system, positions, box) -> float:
    import openmm
    from openmm import unit

    ctx = openmm.Context(omm_system, openmm.VerletIntegrator(0.001),
                         openmm.Platform.getPlatformByName("Reference"))
    ctx.setPeriodicBoxVectors(*box)
    ctx.setPositions(positions)
    return ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)


class _Recorder(Reporter):
    """Records the steps at which it was called and a copy of each state."""

    def __init__(self, interval: int) -> None:
        super().__init__(interval)
        self.steps: list[int] = []
        self.states = []

    def report(self, simulation, state) -> None:
        self.steps.append(state.step)
        self.states.append((state.copy(), simulation.potential_energy))


class _CountingIntegrator:
    """Wraps an integrator and records the chunk sizes the loop asks for."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls: list[int] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def step(self, state, n_steps: int = 1) -> None:
        self.calls.append(n_steps)
        self.inner.step(state, n_steps)


@pytest.fixture(scope="module")
def water():
    return water_box(1.6)


def test_reporters_are_called_on_their_steps_and_the_loop_runs_in_chunks(water):
    system, state, _ = water
    integ = _CountingIntegrator(make_integrator())
    r3, r5 = _Recorder(3), _Recorder(5)
    sim = sponge.Simulation(system, integ, state.copy(), reporters=[r3, r5], seed=1)
    sim.run(12)
    assert r3.steps == [3, 6, 9, 12]
    assert r5.steps == [5, 10]
    # chunks end exactly at the union of reporting steps: 3,5,6,9,10,12
    assert integ.calls == [3, 2, 1, 3, 1, 2]
    assert sim.state.step == 12
    assert sim.state.time == pytest.approx(12 * integ.timestep)
    sim.run(0)
    assert sim.state.step == 12


def test_reported_energy_matches_openmm_and_temperature_definition(water):
    system, state, omm = water
    rec = _Recorder(4)
    sim = sponge.Simulation(system, make_integrator(), state.copy(), reporters=[rec], seed=3)
    sim.set_velocities_to_temperature(300.0, seed=4)
    sim.run(8)
    st, pe = rec.states[-1]
    box = [tuple(v) for v in st.box]
    e_ref = _openmm_energy(omm, st.positions, box)
    assert abs(pe - e_ref) < 1e-6 * max(1.0, abs(e_ref))
    ke = 0.5 * np.sum(system.masses[:, None] * st.velocities ** 2)
    assert sim.kinetic_energy() == pytest.approx(ke, rel=1e-12)
    dof = sim.integrator.degrees_of_freedom
    assert sim.temperature() == pytest.approx(2 * ke / (dof * KB), rel=1e-12)
    assert sim.volume() == pytest.approx(np.linalg.det(st.box), rel=1e-12)


def test_maxwell_boltzmann_velocities_have_the_requested_temperature(water):
    system, state, _ = water
    sim = sponge.Simulation(system, make_integrator(), state.copy(), seed=1)
    temps = []
    for seed in range(8):
        sim.set_velocities_to_temperature(300.0, seed=seed)
        temps.append(sim.temperature())
        if len(system.constraints):  # velocities have no component along constraints
            i, j = system.constraints.indices.T
            dx = sim.state.positions[i] - sim.state.positions[j]
            dv = sim.state.velocities[i] - sim.state.velocities[j]
            assert np.abs(np.einsum("ij,ij->i", dx, dv)).max() < 1e-8
    dof = sim.integrator.degrees_of_freedom
    # mean of 8 draws of a chi^2_dof / dof variable times 300 K: sigma = 300 sqrt(2/dof/8)
    assert abs(np.mean(temps) - 300.0) < 4 * 300.0 * np.sqrt(2.0 / dof / 8)


def test_bad_arguments_are_named(water):
    system, state, _ = water
    with pytest.raises(ValueError, match="platform must be one of"):
        sponge.Simulation(system, make_integrator(), state.copy(), platform="tpu")
    with pytest.raises(RuntimeError, match="platform 'cuda'"):
        sponge.Simulation(system, make_integrator(), state.copy(), platform="cuda")
    sim = sponge.Simulation(system, make_integrator(), state.copy())
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        sim.run(-1)
    with pytest.raises(ValueError, match="interval must be a positive integer"):
        sponge.StateDataReporter("x.csv", 0)


def test_blow_up_stops_with_step_and_atoms_and_keeps_files(water, tmp_path):
    import mdtraj

    system, state, _ = water
    ck = tmp_path / "run.chk"
    dcd = tmp_path / "traj.dcd"
    reps = [sponge.CheckpointReporter(ck, 5), sponge.DCDReporter(dcd, 5)]
    sim = sponge.Simulation(system, make_integrator(), state.copy(), reporters=reps, seed=2,
                            guard_interval=1)
    sim.run(10)
    good = read_checkpoint(ck)
    assert good["step"] == 10
    # push water 0 (rigidly) onto water 40: a huge, finite energy jump
    far = 3 * 40
    sim.state.positions[0:3] += sim.state.positions[far] + 0.01 - sim.state.positions[0]
    sim.integrator.invalidate()
    with pytest.raises(SimulationInstabilityError) as info:
        sim.run(10)
    err = info.value
    assert err.step in (10, 11)  # detected in the first step after the push
    assert set(err.atoms[:2]) <= {0, 1, 2, far, far + 1, far + 2}
    assert f"step {err.step}" in str(err)
    assert read_checkpoint(ck)["step"] == 10  # last good checkpoint intact
    traj = mdtraj.load(str(dcd), top=mdtraj.Topology.from_openmm(
        sponge.reporters.openmm_topology(system, state.box)))
    assert traj.n_frames == 2
    np.testing.assert_allclose(traj.xyz[-1], good["positions"], atol=2e-6)


def test_nan_positions_are_reported_as_such(water):
    system, state, _ = water
    sim = sponge.Simulation(system, make_integrator(), state.copy(), seed=2, guard_interval=1)
    sim.run(2)
    sim.state.positions[7, 1] = np.nan
    sim.integrator.invalidate()
    with pytest.raises(SimulationInstabilityError, match="finite") as info:
        sim.run(3)
    assert info.value.step in (2, 3)
    assert 7 in info.value.atoms
