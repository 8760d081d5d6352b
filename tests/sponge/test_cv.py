"""Collective variables: values against mdtraj, gradients against finite differences."""

from __future__ import annotations

import math

import mdtraj as md
import numpy as np
import pytest

from sponge.cv import (
    RMSD,
    Angle,
    Dihedral,
    Distance,
    LinearCombination,
    Position,
    periodic_difference,
)

RNG = np.random.default_rng(7)


def _traj(pos, box=None):
    top = md.Topology()
    ch = top.add_chain()
    res = top.add_residue("UNK", ch)
    for i in range(len(pos)):
        top.add_atom(f"C{i}", md.element.carbon, res)
    t = md.Trajectory(pos[None].astype(np.float64), top)
    if box is not None:
        t.unitcell_vectors = np.asarray(box, dtype=np.float32)[None]
    return t


def _fd_gradient(cv, pos, box=None, h=1e-6):
    g = np.zeros_like(pos)
    for i in range(pos.shape[0]):
        for m in range(3):
            p = pos.copy()
            p[i, m] += h
            sp = cv.value(p, box)
            p[i, m] -= 2 * h
            sm = cv.value(p, box)
            g[i, m] = periodic_difference(sp, sm, cv.period) / (2 * h)
    return g


def _configs(n, count=5, scale=0.3):
    return [RNG.normal(scale=scale, size=(n, 3)) for _ in range(count)]


@pytest.mark.parametrize("make", [
    lambda: Position(2, "y"),
    lambda: Distance(0, 3),
    lambda: Angle(0, 1, 2),
    lambda: Dihedral(0, 1, 2, 3),
    lambda: RMSD(RNG.normal(scale=0.3, size=(5, 3))),
    lambda: RMSD(RNG.normal(scale=0.3, size=(5, 3)), atoms=[0, 2, 4], align=False),
    lambda: LinearCombination([Dihedral(0, 1, 2, 3), Dihedral(1, 2, 3, 4)], [1.0, -0.5]),
    lambda: LinearCombination([Distance(0, 1), Angle(2, 3, 4)], [2.0, 0.3], offset=1.0),
])
def test_gradient_matches_finite_differences(make):
    cv = make()
    for pos in _configs(5):
        s, g = cv.value_and_gradient(pos)
        assert g.shape == pos.shape
        assert s == pytest.approx(cv.value(pos))
        np.testing.assert_allclose(g, _fd_gradient(cv, pos), atol=2e-6 * max(1, abs(g).max()))


@pytest.mark.parametrize("make", [
    lambda: Distance(0, 3),
    lambda: Angle(0, 1, 2),
    lambda: Dihedral(0, 1, 2, 3),
    lambda: RMSD(RNG.normal(scale=0.3, size=(5, 3)) + 1.0),
])
def test_gradient_with_periodic_box(make):
    cv = make()
    box = np.array([[2.0, 0, 0], [0.3, 1.8, 0], [-0.2, 0.4, 1.9]])
    for pos in _configs(5, scale=0.3):
        shifted = pos + RNG.integers(-2, 3, size=(5, 1)) * box[RNG.integers(0, 3, 5)]
        assert cv.value(shifted, box) == pytest.approx(cv.value(pos, box), abs=1e-10)
        s, g = cv.value_and_gradient(shifted, box)
        np.testing.assert_allclose(g, _fd_gradient(cv, shifted, box), atol=2e-6)


def test_values_match_mdtraj():
    for pos in _configs(6):
        t = _traj(pos)
        assert Distance(1, 4).value(pos) == pytest.approx(
            md.compute_distances(t, [[1, 4]], periodic=False)[0, 0], rel=2e-6)
        assert Angle(0, 2, 5).value(pos) == pytest.approx(
            md.compute_angles(t, [[0, 2, 5]], periodic=False)[0, 0], rel=2e-6)
        assert Dihedral(0, 1, 3, 5).value(pos) == pytest.approx(
            md.compute_dihedrals(t, [[0, 1, 3, 5]], periodic=False)[0, 0], rel=2e-6)
        ref = RNG.normal(scale=0.3, size=(6, 3))
        assert RMSD(ref).value(pos) == pytest.approx(
            md.rmsd(t, _traj(ref), 0)[0], rel=1e-5)
        sel = [0, 2, 3, 5]
        assert RMSD(ref, atoms=sel).value(pos) == pytest.approx(
            md.rmsd(t, _traj(ref), 0, atom_indices=sel)[0], rel=1e-5)


def test_minimum_image_matches_mdtraj():
    box = np.diag([1.5, 1.6, 1.7])
    for pos in _configs(4, scale=0.8):
        t = _traj(pos, box)
        assert Distance(0, 1).value(pos, box) == pytest.approx(
            md.compute_distances(t, [[0, 1]], periodic=True)[0, 0], rel=1e-6)
        assert Angle(0, 1, 2).value(pos, box) == pytest.approx(
            md.compute_angles(t, [[0, 1, 2]], periodic=True)[0, 0], rel=1e-5)
        assert Dihedral(0, 1, 2, 3).value(pos, box) == pytest.approx(
            md.compute_dihedrals(t, [[0, 1, 2, 3]], periodic=True)[0, 0], rel=1e-5)


def test_rmsd_invariant_to_rigid_motion_and_zero_at_reference():
    ref = RNG.normal(scale=0.3, size=(8, 3))
    cv = RMSD(ref)
    q = RNG.normal(size=4)
    q /= np.linalg.norm(q)
    a, b, c, d = q
    rot = np.array([[a*a+b*b-c*c-d*d, 2*(b*c-a*d), 2*(b*d+a*c)],
                    [2*(b*c+a*d), a*a-b*b+c*c-d*d, 2*(c*d-a*b)],
                    [2*(b*d-a*c), 2*(c*d+a*b), a*a-b*b-c*c+d*d]])
    moved = ref @ rot.T + np.array([0.5, -1.0, 2.0])
    assert cv.value(moved) == pytest.approx(0.0, abs=1e-7)
    # a mirror image is not superposable: RMSD stays positive
    assert cv.value(ref * np.array([-1.0, 1.0, 1.0])) > 0.05


def test_periodic_metadata_and_wrapping():
    phi = Dihedral(0, 1, 2, 3)
    assert phi.periodic and phi.period == pytest.approx(2 * math.pi)
    assert not Distance(0, 1).periodic
    assert phi.difference(3.0, -3.0) == pytest.approx(6.0 - 2 * math.pi)
    combo = LinearCombination([phi, Dihedral(1, 2, 3, 4)], [1, 1], period=2 * math.pi)
    pos = _configs(5)[0]
    assert -math.pi <= combo.value(pos) < math.pi


def test_bad_input_names_the_cv_and_atom():
    with pytest.raises(ValueError, match="distinct"):
        Dihedral(0, 1, 1, 2)
    with pytest.raises(ValueError, match="out of range"):
        Distance(0, 9).value(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="reduced form"):
        Distance(0, 1).value(np.zeros((2, 3)), np.ones((3, 3)))
