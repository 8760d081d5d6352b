"""Cell-list Verlet neighbour list against a brute-force O(N^2) pair search."""

from __future__ import annotations

import numpy as np
import pytest

from sponge.neighbor_list import (
    NeighborList,
    brute_force_pairs,
    check_box,
    minimum_image,
)

BOXES = {
    "cubic": np.diag([3.0, 3.0, 3.0]),
    "orthorhombic": np.diag([2.6, 3.4, 4.1]),
    # reduced triclinic boxes as OpenMM defines them
    "triclinic": np.array([[3.0, 0.0, 0.0], [1.0, 3.2, 0.0], [-1.2, 1.1, 3.1]]),
    "dodecahedron": np.array([[3.6, 0, 0], [0, 3.6, 0], [1.8, 1.8, 3.6 * np.sqrt(0.5)]]),
    "octahedron": np.array(
        [
            [3.0, 0, 0],
            [1.0, 2.0 * np.sqrt(2.0), 0],
            [-1.0, np.sqrt(2.0), np.sqrt(6.0)],
        ]
    ),
}


def _random_system(box, n, seed=0):
    rng = np.random.default_rng(seed)
    # fractional coordinates slightly outside [0, 1) exercise the wrapping
    x = (rng.random((n, 3)) * 1.2 - 0.1) @ box
    ex = rng.integers(0, n, size=(n // 3, 2))
    ex = ex[ex[:, 0] != ex[:, 1]]
    return x, ex


@pytest.mark.parametrize("name", list(BOXES))
@pytest.mark.parametrize("cutoff,skin", [(0.9, 0.1), (1.2, 0.2), (0.5, 0.0)])
def test_pairs_equal_brute_force(name, cutoff, skin):
    box = BOXES[name]
    check_box(box)
    x, ex = _random_system(box, 700)
    nl = NeighborList(len(x), cutoff, skin, exclusions=ex, periodic=True)
    assert nl.update(x, box)
    np.testing.assert_array_equal(nl.pairs(), brute_force_pairs(x, box, cutoff + skin, ex))


def test_non_periodic_equals_brute_force():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, 3)) * [2.0, 1.0, 0.3]
    ex = np.array([[0, 1], [2, 1], [10, 500]])
    nl = NeighborList(len(x), 1.0, 0.15, exclusions=ex, periodic=False)
    nl.update(x)
    np.testing.assert_array_equal(nl.pairs(), brute_force_pairs(x, None, 1.15, ex))


def test_minimum_image_is_shortest_for_short_vectors():
    """For displacements within half the box height the rule picks the shortest image."""
    box = BOXES["triclinic"]
    rng = np.random.default_rng(5)
    d = rng.uniform(-4, 4, size=(3000, 3))
    mi = minimum_image(d, box)
    shifts = (
        np.array(
            [
                [i, j, k]
                for i in (-2, -1, 0, 1, 2)
                for j in (-2, -1, 0, 1, 2)
                for k in (-2, -1, 0, 1, 2)
            ]
        )
        @ box
    )
    best = np.min(np.linalg.norm(mi[:, None, :] + shifts[None], axis=2), axis=1)
    r = np.linalg.norm(mi, axis=1)
    short = best < 0.5 * min(np.diag(box))
    np.testing.assert_allclose(r[short], best[short], atol=1e-12)
    # every image differs from the input by a lattice vector
    frac = np.linalg.solve(box.T, (mi - d).T).T
    np.testing.assert_allclose(frac, np.round(frac), atol=1e-9)


def test_rebuild_triggers_at_half_skin():
    box = BOXES["orthorhombic"]
    x, ex = _random_system(box, 300, seed=2)
    skin = 0.2
    nl = NeighborList(len(x), 0.8, skin, exclusions=ex)
    assert nl.update(x, box) and nl.n_builds == 1
    y = x.copy()
    y[17, 0] += 0.49 * skin  # below half the skin: the list is kept
    assert not nl.update(y, box) and nl.n_builds == 1
    # the kept list still contains every pair within the cutoff
    held = {tuple(p) for p in nl.pairs()}
    assert {tuple(p) for p in brute_force_pairs(y, box, 0.8, ex)} <= held
    y[17, 0] += 0.02 * skin  # now beyond half the skin
    assert nl.update(y, box) and nl.n_builds == 2
    np.testing.assert_array_equal(nl.pairs(), brute_force_pairs(y, box, 1.0, ex))
    # a changed box also forces a rebuild
    assert nl.update(y, box * 1.01) and nl.n_builds == 3


def test_kept_list_covers_cutoff_under_random_motion():
    """Many small random moves: between rebuilds no pair within the cutoff is missed."""
    box = BOXES["triclinic"]
    x, ex = _random_system(box, 400, seed=4)
    rng = np.random.default_rng(9)
    nl = NeighborList(len(x), 0.9, 0.1, exclusions=ex)
    for _ in range(25):
        x = x + rng.normal(scale=0.01, size=x.shape)
        nl.update(x, box)
        held = {tuple(p) for p in nl.pairs()}
        assert {tuple(p) for p in brute_force_pairs(x, box, 0.9, ex)} <= held
    assert 1 < nl.n_builds < 25


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="reduced form"):
        check_box(np.array([[3.0, 0.1, 0], [0, 3, 0], [0, 0, 3]]))
    with pytest.raises(ValueError, match="reduced form"):
        check_box(np.array([[3.0, 0, 0], [2.0, 3, 0], [0, 0, 3]]))
    with pytest.raises(ValueError, match="twice the cutoff"):
        check_box(np.diag([3.0, 1.5, 3.0]), cutoff=1.0)
    nl = NeighborList(3, 1.0)
    with pytest.raises(ValueError, match="box"):
        nl.update(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"shape \(3, 3\)"):
        nl.update(np.zeros((4, 3)), np.eye(3) * 3)
    with pytest.raises(ValueError, match="exclusion 0"):
        NeighborList(3, 1.0, exclusions=[[0, 7]])
