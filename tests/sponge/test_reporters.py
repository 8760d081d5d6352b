"""Reporters: OpenMM's CSV columns, trajectories readable by mdtraj, restart appends."""

from __future__ import annotations

import io

import numpy as np
import pytest

import sponge
from sponge.reporters import openmm_topology
from tests.sponge.test_simulation_support import make_integrator, water_box


class _Keep(sponge.Reporter):
    def __init__(self, interval):
        super().__init__(interval)
        self.states = []

    def report(self, simulation, state):
        self.states.append(state.copy())


def _openmm_header(**cols) -> str:
    """The header line OpenMM's own StateDataReporter writes for these columns."""
    import openmm
    from openmm import app, unit

    system = openmm.System()
    system.addParticle(1.0)
    top = app.Topology()
    top.addAtom("X", None, top.addResidue("UNK", top.addChain()))
    sim = app.Simulation(top, system, openmm.VerletIntegrator(0.001),
                         openmm.Platform.getPlatformByName("Reference"))
    sim.context.setPositions([openmm.Vec3(0, 0, 0)] * unit.nanometer)
    buf = io.StringIO()
    rep = app.StateDataReporter(buf, 1, **cols)
    sim.reporters.append(rep)
    sim.step(1)
    return buf.getvalue().splitlines()[0]


def test_csv_header_matches_openmm_and_values_parse(tmp_path):
    cols = dict(step=True, time=True, potential_energy=True, kinetic_energy=True,
                total_energy=True, temperature=True, volume=True, density=True, speed=True)
    omm_cols = dict(step=True, time=True, potentialEnergy=True, kineticEnergy=True,
                    totalEnergy=True, temperature=True, volume=True, density=True, speed=True)
    system, state, _ = water_box(1.6)
    path = tmp_path / "e.csv"
    keep = _Keep(5)
    sim = sponge.Simulation(system, make_integrator(), state.copy(),
                            reporters=[sponge.StateDataReporter(str(path), 5, **cols), keep],
                            seed=1)
    sim.run(10)
    sim.reporters[0].close()
    lines = path.read_text().splitlines()
    assert lines[0] == _openmm_header(**omm_cols)
    assert len(lines) == 3
    row = lines[-1].split(",")
    step, t, pe, ke, te, temp, vol, dens = (float(x) for x in row[:8])
    assert step == 10 and t == pytest.approx(10 * sim.integrator.timestep)
    assert pe == pytest.approx(sim.potential_energy, rel=1e-12)
    assert te == pytest.approx(pe + ke, rel=1e-12)
    assert temp == pytest.approx(sim.temperature(), rel=1e-12)
    assert vol == pytest.approx(np.linalg.det(sim.state.box), rel=1e-12)
    mass_g = system.masses.sum() * 1.66053906660e-24
    assert dens == pytest.approx(mass_g / (vol * 1e-21), rel=1e-9)
    assert row[8] == "--" or float(row[8]) > 0


def test_trajectories_readable_by_mdtraj_and_match_states(tmp_path):
    import mdtraj

    system, state, _ = water_box(1.6)
    keep = _Keep(4)
    reps = [sponge.DCDReporter(tmp_path / "t.dcd", 4), sponge.XTCReporter(tmp_path / "t.xtc", 4),
            sponge.PDBReporter(tmp_path / "t.pdb", 4), keep]
    sim = sponge.Simulation(system, make_integrator(), state.copy(), reporters=reps, seed=2)
    sim.run(12)
    for r in reps:
        r.close()
    top = mdtraj.Topology.from_openmm(openmm_topology(system, state.box))
    ref = np.array([s.positions for s in keep.states])
    boxes = np.array([np.diag(s.box) for s in keep.states])
    dcd = mdtraj.load(str(tmp_path / "t.dcd"), top=top)
    xtc = mdtraj.load(str(tmp_path / "t.xtc"), top=top)
    pdb = mdtraj.load(str(tmp_path / "t.pdb"))
    assert dcd.n_frames == xtc.n_frames == pdb.n_frames == 3
    np.testing.assert_allclose(dcd.xyz, ref, atol=1e-5)      # float32 Angstrom
    np.testing.assert_allclose(xtc.xyz, ref, atol=1.1e-3)    # XTC precision 1e-3 nm
    np.testing.assert_allclose(pdb.xyz, ref, atol=1.1e-4)    # PDB 0.001 Angstrom
    np.testing.assert_allclose(dcd.unitcell_lengths, boxes, rtol=1e-6)
    np.testing.assert_allclose(xtc.unitcell_lengths, boxes, rtol=1e-3)
    assert pdb.topology.n_residues == system.topology.n_residues
    assert [a.name for a in pdb.topology.atoms][:3] == system.topology.atom_names[:3]


def test_restart_appends_to_trajectories(tmp_path):
    import mdtraj

    system, state, _ = water_box(1.6)
    dcd, xtc, csv, ck = (str(tmp_path / f"t.{x}") for x in ("dcd", "xtc", "csv", "chk"))
    reps = [sponge.DCDReporter(dcd, 3), sponge.XTCReporter(xtc, 3),
            sponge.StateDataReporter(csv, 3), sponge.CheckpointReporter(ck, 6)]
    sim = sponge.Simulation(system, make_integrator(), state.copy(), reporters=reps, seed=5)
    sim.run(6)
    for r in reps:
        r.close()
    reps2 = [sponge.DCDReporter(dcd, 3, append=True), sponge.XTCReporter(xtc, 3, append=True),
             sponge.StateDataReporter(csv, 3, append=True)]
    sim2 = sponge.Simulation.from_checkpoint(ck, system, make_integrator(), reporters=reps2)
    sim2.run(6)
    for r in reps2:
        r.close()
    top = mdtraj.Topology.from_openmm(openmm_topology(system, state.box))
    t = mdtraj.load(dcd, top=top)
    assert t.n_frames == 4
    np.testing.assert_allclose(t.xyz[-1], sim2.state.positions, atol=1e-5)
    assert mdtraj.load(xtc, top=top).n_frames == 4
    lines = open(csv).read().splitlines()
    assert [int(x.split(",")[0]) for x in lines[1:]] == [3, 6, 9, 12]


def test_progress_bar_shows_ns_per_day():
    system, state, _ = water_box(1.6)
    buf = io.StringIO()
    bar = sponge.ProgressReporter(10, interval=5, file=buf)
    sim = sponge.Simulation(system, make_integrator(), state.copy(), reporters=[bar], seed=1)
    sim.run(10)
    bar.close()
    text = buf.getvalue()
    assert "10/10" in text and "ns/day" in text
