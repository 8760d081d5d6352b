"""Every fused kernel: forces equal minus central finite differences of its energy.

One shared checker (:func:`check_term_forces`) for all terms, on small random
geometries (float64, step 1e-6 nm, tolerance 1e-5 relative to the largest
force component + 1e-6 absolute), plus the float32 fast path (1e-4 relative)
and virtual sites through :class:`sponge.System`.
"""

from __future__ import annotations

import numpy as np
import pytest

from sponge import State, System, VirtualSites
from sponge.forces import (
    CMAPTerm,
    ForceTerm,
    HarmonicAngleTerm,
    HarmonicBondTerm,
    HarmonicImproperTerm,
    PeriodicTorsionTerm,
    RBTorsionTerm,
)

RNG = np.random.default_rng(20261122)
N = 12


def random_positions(n=N, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.0, 0.6, size=(n, 3))


def check_term_forces(term, positions, h=1e-6, rtol=1e-5, atol=1e-6):
    """Assert ``energy_forces`` returns the energy and ``-dE/dx`` (central differences)."""
    assert isinstance(term, ForceTerm)
    e, f = term.energy_forces(positions)
    assert f.shape == positions.shape
    assert e == pytest.approx(term.energy(positions), rel=1e-12)
    assert sum(term.energy_components(positions).values()) == pytest.approx(e, rel=1e-12)
    num = np.zeros_like(positions)
    for i in range(positions.shape[0]):
        for k in range(3):
            p = positions.copy()
            p[i, k] += h
            ep = term.energy(p)
            p[i, k] -= 2 * h
            em = term.energy(p)
            num[i, k] = -(ep - em) / (2 * h)
    scale = np.abs(num).max()
    np.testing.assert_allclose(f, num, atol=atol + rtol * scale)
    np.testing.assert_allclose(f.sum(axis=0), 0.0, atol=1e-9 * max(scale, 1.0))
    return e, f


def _quads(n, m, seed):
    rng = np.random.default_rng(seed)
    return np.array([rng.choice(n, 4, replace=False) for _ in range(m)])


def make_terms(dtype=np.float64):
    rng = np.random.default_rng(1)
    pairs = np.array([rng.choice(N, 2, replace=False) for _ in range(10)])
    triples = np.array([rng.choice(N, 3, replace=False) for _ in range(10)])
    quads = _quads(N, 10, 2)
    cmap_grid = rng.normal(size=(2, 24 * 24)) * 5.0
    chains = np.array([rng.choice(N, 5, replace=False) for _ in range(6)])
    return [
        HarmonicBondTerm(N, pairs, rng.uniform(1e3, 5e3, 10), rng.uniform(0.1, 0.3, 10),
                         dtype=dtype),
        HarmonicAngleTerm(N, triples, rng.uniform(100, 500, 10), rng.uniform(1.5, 2.5, 10),
                          dtype=dtype),
        PeriodicTorsionTerm(N, quads, rng.integers(1, 5, 10), rng.uniform(-5, 5, 10),
                            rng.uniform(-np.pi, np.pi, 10), dtype=dtype),
        RBTorsionTerm(N, quads, rng.normal(size=(10, 6)) * 5, dtype=dtype),
        HarmonicImproperTerm(N, quads, rng.uniform(10, 100, 10), rng.uniform(-np.pi, np.pi, 10),
                             wrap=True, dtype=dtype),
        HarmonicImproperTerm(N, quads, rng.uniform(10, 100, 10), rng.uniform(-1, 1, 10),
                             wrap=False, name="improper_plain", dtype=dtype),
        CMAPTerm(N, list(cmap_grid), rng.integers(0, 2, 6),
                 np.concatenate([chains[:, :4], chains[:, 1:]], axis=1), dtype=dtype),
    ]


@pytest.mark.parametrize("index", range(7), ids=lambda i: make_terms()[i].name)
def test_forces_are_minus_gradient(index):
    term = make_terms()[index]
    for seed in range(3):
        check_term_forces(term, random_positions(seed=seed))


@pytest.mark.parametrize("index", range(7), ids=lambda i: make_terms()[i].name)
def test_float32_fast_path_agrees(index):
    t64, t32 = make_terms()[index], make_terms(np.float32)[index]
    pos = random_positions(seed=5)
    e64, f64 = t64.energy_forces(pos)
    e32, f32 = t32.energy_forces(pos)
    assert f32.dtype == np.float32
    assert e32 == pytest.approx(e64, rel=1e-4, abs=1e-3)
    np.testing.assert_allclose(f32, f64, atol=1e-3 * np.abs(f64).max() + 1e-3)


def test_cmap_reproduces_grid_values_at_nodes():
    """The bicubic patch passes through the tabulated energies at the grid nodes."""
    grid = np.random.default_rng(4).normal(size=(24, 24))
    term = CMAPTerm(8, [grid.ravel()], [0], [[0, 1, 2, 3, 4, 5, 6, 7]])
    c = term.coefficients.reshape(24 * 24, 16)
    # at u = v = 0 the patch value is its constant coefficient
    np.testing.assert_allclose(c[:, 0], grid.ravel(), atol=1e-12)


@pytest.mark.parametrize("chained", [False, True])
def test_virtual_sites_forces_through_system(chained):
    """Energy of a term acting on sites, as a function of the real atoms only.

    ``chained``: the fixed-distance site is built on another site (one at a time path).
    """
    n = 10
    vs = VirtualSites(n)
    vs.add_two_particle_average(6, 0, 1, 0.3, 0.7)
    vs.add_three_particle_average(7, 1, 2, 3, 0.5, 0.25, 0.25)
    vs.add_out_of_plane(8, 3, 4, 5, 0.4, 0.3, 2.5)
    vs.add_fixed_distance(9, 0, 6 if chained else 2, 4, 0.05, 0.4)
    pairs = np.array([[6, 2], [7, 4], [8, 0], [6, 8], [7, 5], [9, 3], [9, 7]])
    bond = HarmonicBondTerm(n, pairs, np.full(7, 3000.0), np.full(7, 0.15))
    masses = np.array([12.0] * 6 + [0.0] * 4)
    system = System(masses, terms=[bond], virtual_sites=vs)
    pos = random_positions(n, seed=7)

    def energy(p):
        return system.potential_energy(State(p))

    f = system.forces(State(pos))
    assert np.all(f[6:] == 0.0)
    num = np.zeros_like(pos)
    h = 1e-6
    for i in range(6):
        for k in range(3):
            p = pos.copy()
            p[i, k] += h
            ep = energy(p)
            p[i, k] -= 2 * h
            num[i, k] = -(ep - energy(p)) / (2 * h)
    np.testing.assert_allclose(f, num, atol=1e-6 + 1e-6 * np.abs(num).max())
    # the sites were placed by the system, not taken from the input
    pos_sites = pos.copy()
    vs.compute_positions(pos_sites)
    assert np.allclose(pos_sites[6], 0.3 * pos[0] + 0.7 * pos[1])
    p2 = pos_sites[6] if chained else pos[2]
    direction = p2 - pos[0] + 0.4 * (pos[4] - p2)
    assert np.allclose(pos_sites[9], pos[0] + 0.05 * direction / np.linalg.norm(direction))


def _site_vs_openmm(make_site, n_parents, seed):
    """Place one site from OpenMM's definition and spread a force on it, as OpenMM does."""
    mm = pytest.importorskip("openmm")
    from sponge import from_openmm

    n = n_parents + 1
    omm = mm.System()
    for _ in range(n):
        omm.addParticle(1.0)
    omm.setParticleMass(n - 1, 0.0)
    omm.setVirtualSite(n - 1, make_site(mm))
    f = mm.CustomExternalForce("x*x+2*y-z+y*z")
    f.addParticle(n - 1, [])
    omm.addForce(f)
    ctx = mm.Context(omm, mm.VerletIntegrator(1e-3), mm.Platform.getPlatformByName("Reference"))
    pos = random_positions(n, seed=seed)
    ctx.setPositions(pos)
    ctx.computeVirtualSites()
    st = ctx.getState(getPositions=True, getForces=True)
    system, _ = from_openmm(omm, pos, skip_forces=("CustomExternalForce",))
    vs = system.virtual_sites
    p = pos.copy()
    vs.compute_positions(p)
    np.testing.assert_allclose(p[-1], st.getPositions(asNumpy=True)._value[-1], atol=1e-12)
    force = np.zeros((n, 3))
    x, y, z = p[-1]
    force[-1] = [-2 * x, -2.0 - z, 1.0 - y]
    vs.distribute_forces(p, force)
    np.testing.assert_allclose(force[:-1], st.getForces(asNumpy=True)._value[:-1], atol=1e-10)
    assert np.all(force[-1] == 0)


@pytest.mark.parametrize("seed", [9, 10])
def test_out_of_plane_site_matches_openmm(seed):
    _site_vs_openmm(lambda mm: mm.OutOfPlaneSite(0, 1, 2, 0.4, 0.3, 2.5), 3, seed)


@pytest.mark.parametrize("seed", [9, 10])
def test_local_coordinates_site_matches_openmm(seed):
    def site(mm):
        return mm.LocalCoordinatesSite([0, 1, 2, 3], [0.5, 0.2, 0.2, 0.1], [-1.0, 0.6, 0.4, 0.0],
                                       [-1.0, 0.0, 0.3, 0.7], mm.Vec3(0.05, -0.03, 0.04))
    _site_vs_openmm(site, 4, seed)
