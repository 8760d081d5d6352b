"""Checkpoints: bit-for-bit restart, atomic writes, runs killed mid-write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import sponge
from sponge.reporters import CheckpointError, read_checkpoint, write_checkpoint
from tests.sponge.test_simulation_support import make_integrator, water_box

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("npt", [False, True], ids=["nvt", "npt"])
def test_restart_is_bit_for_bit(tmp_path, npt):
    """N steps, checkpoint, N more == 2N straight (LangevinMiddle, SETTLE, PME water)."""
    n = 8

    def baro():
        return sponge.MonteCarloBarostat(1.0, 300.0, frequency=2) if npt else None

    system, state0, _ = water_box(1.6)
    ck = tmp_path / "half.chk"

    straight = sponge.Simulation(system, make_integrator(), state0.copy(), seed=11,
                                 barostat=baro())
    straight.run(2 * n)
    if npt:
        assert not np.array_equal(straight.state.box, state0.box)  # volume moves happened

    first = sponge.Simulation(system, make_integrator(), state0.copy(), seed=11, barostat=baro())
    first.run(n)
    first.save_checkpoint(ck)

    # a fresh system object, as in a new process: its neighbour lists start empty
    system2, _, _ = water_box(1.6)
    resumed = sponge.Simulation.from_checkpoint(ck, system2, make_integrator(), barostat=baro())
    assert resumed.state.step == n
    resumed.run(n)

    assert resumed.state.step == straight.state.step == 2 * n
    assert resumed.state.time == straight.state.time
    assert np.array_equal(resumed.state.positions, straight.state.positions)
    assert np.array_equal(resumed.state.velocities, straight.state.velocities)
    assert np.array_equal(resumed.state.box, straight.state.box)
    assert resumed.potential_energy == straight.potential_energy


def test_checkpoint_contents_and_errors(tmp_path):
    system, state0, _ = water_box(1.6)
    sim = sponge.Simulation(system, make_integrator(), state0.copy(), seed=1)
    sim.run(3)
    ck = tmp_path / "a.chk"
    sim.save_checkpoint(ck)
    d = read_checkpoint(ck)
    assert d["step"] == 3 and d["n_atoms"] == system.n_atoms
    assert np.array_equal(d["positions"], sim.state.positions)
    assert np.array_equal(d["box"], sim.state.box)
    assert d["integrator"] == type(sim.integrator).__name__
    bad = tmp_path / "bad.chk"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="bad.chk"):
        read_checkpoint(bad)
    small, _, _ = water_box(1.5)
    with pytest.raises((CheckpointError, ValueError), match="particles"):
        sponge.Simulation.from_checkpoint(ck, small, make_integrator())


def test_interrupted_checkpoint_write_keeps_the_previous_file(tmp_path, monkeypatch):
    system, state0, _ = water_box(1.6)
    sim = sponge.Simulation(system, make_integrator(), state0.copy(), seed=1)
    ck = tmp_path / "run.chk"
    sim.run(2)
    write_checkpoint(ck, sim)
    sim.run(2)

    def boom(src, dst):
        raise KeyboardInterrupt("killed during the rename")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        write_checkpoint(ck, sim)
    monkeypatch.undo()
    assert read_checkpoint(ck)["step"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.chk"]  # no temp file left


_KILLED_RUN = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    import sponge
    from tests.sponge.test_simulation_support import make_integrator, water_box
    out = {out!r}
    system, state, _ = water_box(1.6)
    reps = [sponge.DCDReporter(out + "/t.dcd", 2), sponge.XTCReporter(out + "/t.xtc", 2),
            sponge.PDBReporter(out + "/t.pdb", 4), sponge.CheckpointReporter(out + "/t.chk", 2),
            sponge.StateDataReporter(out + "/t.csv", 2)]
    sim = sponge.Simulation(system, make_integrator(), state, reporters=reps, seed=3)
    sim.run(100000)
""")


def test_killed_run_leaves_readable_files(tmp_path):
    import mdtraj

    code = _KILLED_RUN.format(root=str(ROOT), out=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            if (tmp_path / "t.pdb").exists() and (tmp_path / "t.csv").exists() and \
                    len((tmp_path / "t.csv").read_text().splitlines()) >= 7:
                break
            if proc.poll() is not None:
                pytest.fail(proc.stderr.read().decode()[-2000:])
            time.sleep(0.05)
        else:
            pytest.fail("the run wrote no frames in 120 s")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    system, state, _ = water_box(1.6)
    top = mdtraj.Topology.from_openmm(sponge.reporters.openmm_topology(system, state.box))
    dcd = mdtraj.load(str(tmp_path / "t.dcd"), top=top)
    xtc = mdtraj.load(str(tmp_path / "t.xtc"), top=top)
    pdb = mdtraj.load(str(tmp_path / "t.pdb"))
    assert dcd.n_frames >= 3 and xtc.n_frames >= 3 and pdb.n_frames >= 1
    assert np.isfinite(dcd.xyz).all()
    ck = read_checkpoint(tmp_path / "t.chk")
    assert ck["step"] % 2 == 0 and ck["step"] >= 6
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[0].startswith('#"Step"')
    float(lines[-2].split(",")[2])  # every complete line parses
    # the checkpoint continues the run
    sim = sponge.Simulation.from_checkpoint(tmp_path / "t.chk", system, make_integrator())
    sim.run(2)
    assert sim.state.step == ck["step"] + 2
