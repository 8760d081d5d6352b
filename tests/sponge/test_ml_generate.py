"""Training-data sampling: metadynamics frames over (phi, psi), unbiased labels, and
trajectories that stop cleanly at an instability (active learning with a bad model)."""

from pathlib import Path

import numpy as np
import pytest

import sponge
from sponge.ml import label_configurations
from sponge.ml.generate import sample_configurations, sample_metadynamics, sample_trajectory

DATA = Path(__file__).resolve().parents[1] / "data" / "sponge"
PHI, PSI = (4, 6, 8, 14), (6, 8, 14, 16)


def _ala2():
    return sponge.load_amber(DATA / "ala2_vacuum.parm7", DATA / "ala2_vacuum.rst7",
                             nonbonded="NoCutoff")


def _dihedral_deg(p, idx):
    """Textbook dihedral (IUPAC sign) from the four positions, degrees."""
    a, b, c, d = (p[i] for i in idx)
    b1, b2, b3 = b - a, c - b, d - c
    y = np.linalg.norm(b2) * (b1 @ np.cross(b2, b3))
    return np.degrees(np.arctan2(y, np.cross(b1, b2) @ np.cross(b2, b3)))


def test_metadynamics_frames_leave_the_start_basin_and_carry_unbiased_labels():
    system, state = _ala2()
    cvs = [sponge.cv.Dihedral(*PHI, name="phi"), sponge.cv.Dihedral(*PSI, name="psi")]
    # strong, frequent hills so that a short run crosses to phi > 0 (alpha_L / C7ax)
    pos, s = sample_metadynamics(system, state, cvs, 300.0, 60, interval=500, height=6.0,
                                 sigma=0.4, bias_factor=30.0, pace=50, timestep=0.002, seed=3)
    assert pos.shape == (60, 22, 3) and s.shape == (60, 2)
    ref = np.array([[_dihedral_deg(p, PHI), _dihedral_deg(p, PSI)] for p in pos])
    np.testing.assert_allclose(np.degrees(s), ref, atol=1e-8)
    # plain MD of the same length from the same start never leaves phi < 0 at 300 K
    plain, _ = sample_configurations(system, state, [300.0], 60, interval=500,
                                     equilibration=0, timestep=0.002, seed=3)
    phi_plain = np.array([_dihedral_deg(p, PHI) for p in plain])
    assert (phi_plain < 0).all()
    assert (ref[:, 0] > 0).sum() >= 3, ref[:, 0]
    # labels are the unbiased classical energies and forces
    ds = label_configurations(system, np.zeros(22, int), pos[-3:])
    e, f = system.energy_forces(sponge.State(pos[-1]))
    assert ds.energy[-1] == pytest.approx(e, rel=1e-12)
    np.testing.assert_allclose(ds.forces[-1], f, rtol=1e-12, atol=1e-12)


def test_sample_trajectory_returns_frames_before_an_instability():
    system, state = _ala2()
    # a 20 fs step with unconstrained hydrogens blows up within a few steps
    pos, ok = sample_trajectory(system, state, 300.0, 50, interval=2, timestep=0.02, seed=0)
    assert not ok
    assert pos.ndim == 3 and pos.shape[1:] == (22, 3) and len(pos) < 50
    with pytest.raises(sponge.SimulationInstabilityError):
        sample_trajectory(system, state, 300.0, 50, interval=2, timestep=0.02, seed=0,
                          stop_on_instability=False)
    good, ok = sample_trajectory(system, state, 300.0, 4, interval=5, timestep=0.0005, seed=0)
    assert ok and good.shape == (4, 22, 3)
    with pytest.raises(ValueError, match="temperature"):
        sample_trajectory(system, state, -1.0, 4)
