"""Constraint solvers: SETTLE against SHAKE (the exact solution it must reproduce),
both against OpenMM's constraint projection, RATTLE velocities, error messages."""

from __future__ import annotations

import numpy as np
import pytest

import sponge
from sponge.constraints import ConstraintSolver

from .test_integrators import ala2_vacuum, single_threaded  # noqa: F401

D_OH, D_HH = 0.09572, 0.15139


def _waters(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ang = 2 * np.arcsin(D_HH / 2 / D_OH)
    local = np.array([[0, 0, 0], [D_OH, 0, 0], [D_OH * np.cos(ang), D_OH * np.sin(ang), 0]])
    pos = []
    for _ in range(n):
        q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
        pos.extend(rng.uniform(0, 3, 3) + local @ q.T)
    pos = np.array(pos)
    masses = np.tile([15.99943, 1.007947, 1.007947], n)
    idx, dist = [], []
    for w in range(n):
        o = 3 * w
        idx += [(o, o + 1), (o, o + 2), (o + 1, o + 2)]
        dist += [D_OH, D_OH, D_HH]
    return pos, masses, np.array(idx), np.array(dist)


def test_settle_is_the_exact_shake_solution():
    pos, m, idx, dist = _waters(40)
    settle = ConstraintSolver(m, idx, dist)
    shake = ConstraintSolver(m, idx, dist, tolerance=1e-13, use_settle=False)
    assert len(settle.waters) == 40 and len(settle.pairs) == 0
    assert len(shake.waters) == 0 and len(shake.pairs) == 120
    new = pos + 0.004 * np.random.default_rng(1).standard_normal(pos.shape)
    a, b = new.copy(), new.copy()
    settle.apply_positions(pos, a)
    shake.apply_positions(pos, b)
    assert settle.max_relative_error(a) < 1e-12
    assert np.abs(a - b).max() < 1e-11
    # the centre of mass of every water is unchanged
    com = lambda x: (m[:, None] * x).reshape(40, 3, 3).sum(1)  # noqa: E731
    assert np.abs(com(a) - com(new)).max() < 1e-12


def test_settle_velocities_remove_bond_velocities_and_keep_momentum():
    pos, m, idx, dist = _waters(30, seed=2)
    v = np.random.default_rng(3).standard_normal(pos.shape)
    a, b = v.copy(), v.copy()
    ConstraintSolver(m, idx, dist).apply_velocities(pos, a)
    ConstraintSolver(m, idx, dist, tolerance=1e-14, use_settle=False).apply_velocities(pos, b)
    r = pos[idx[:, 0]] - pos[idx[:, 1]]
    rv = np.einsum("ij,ij->i", r, a[idx[:, 0]] - a[idx[:, 1]])
    assert np.abs(rv).max() < 1e-14
    assert np.abs(a - b).max() < 1e-11
    assert np.abs(m @ a - m @ v).max() < 1e-12


def test_shake_and_rattle_match_openmm_projection():
    """HBonds on alanine dipeptide: positions and velocities projected as OpenMM does
    (its CCMA solves the same equations; agreement to 1e-10 nm, 1e-9 nm/ps)."""
    mm = pytest.importorskip("openmm")
    omm, system, state = ala2_vacuum()
    rng = np.random.default_rng(4)
    x = state.positions + 0.002 * rng.standard_normal(state.positions.shape)
    v = rng.standard_normal(x.shape)
    ctx = mm.Context(omm, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("Reference"))
    ctx.setPositions(x)
    ctx.applyConstraints(1e-12)
    x_ref = np.array(ctx.getState(getPositions=True).getPositions(asNumpy=True)._value)
    ctx.setVelocities(v)
    ctx.applyVelocityConstraints(1e-12)
    v_ref = np.array(ctx.getState(getVelocities=True).getVelocities(asNumpy=True)._value)
    solver = ConstraintSolver.from_system(system, tolerance=1e-12)
    mine = x.copy()
    solver.apply_positions(x.copy(), mine)
    assert solver.max_relative_error(mine) < 1e-11
    assert np.abs(mine - x_ref).max() < 1e-10
    vel = v.copy()
    solver.apply_velocities(x_ref, vel)
    assert np.abs(vel - v_ref).max() < 1e-9


def test_water_detection_needs_rigid_triangles():
    pos, m, idx, dist = _waters(2)
    # only two bonds of the second water constrained: SHAKE, not SETTLE
    s = ConstraintSolver(m, idx[:5], dist[:5])
    assert len(s.waters) == 1 and len(s.pairs) == 2


def test_constraint_errors_name_the_atoms():
    m = np.array([16.0, 1.0, 0.0])
    with pytest.raises(ValueError, match=r"constraint 1 joins atoms \(0, 2\).*massless"):
        ConstraintSolver(m, [(0, 1), (0, 2)], [0.1, 0.1])
    with pytest.raises(ValueError, match=r"constraint 0 joins atoms \(0, 5\)"):
        ConstraintSolver(m, [(0, 5)], [0.1])
    s = ConstraintSolver(m[:2], [(0, 1)], [0.1], max_iterations=2)
    ref = np.array([[0.0, 0, 0], [0.1, 0, 0]])
    new = np.array([[0.0, 0, 0], [0.0, 0.0, 5.0]])  # moved perpendicular: SHAKE cannot fix
    with pytest.raises(sponge.ConstraintError, match="atoms 0 and 1"):
        s.apply_positions(ref, new)


def test_degrees_of_freedom_skip_virtual_sites():
    system = sponge.System(masses=np.array([16.0, 1.0, 1.0, 0.0]),
                           constraints=sponge.Constraints(np.array([[0, 1], [0, 2], [1, 2]]),
                                                          np.array([D_OH, D_OH, D_HH])))
    assert sponge.quantities.degrees_of_freedom(system) == 6
    system.remove_cm_motion = True
    assert sponge.quantities.degrees_of_freedom(system) == 3
