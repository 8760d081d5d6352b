"""Well-tempered metadynamics: grid interpolation, forces, convergence on an analytic toy."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import sponge
from sponge.analysis import pmf_1d, reweight
from sponge.cv import Dihedral, Distance, Position, periodic_difference
from sponge.metadynamics import Metadynamics
from tests.sponge.toys import KT, DoubleWell, T, aligned_deviation, bin_pmf

RNG = np.random.default_rng(3)


def _gauss_sum(s, centers, sigma, heights, periods):
    v = 0.0
    for c, h in zip(centers, heights, strict=True):
        d = [periodic_difference(si, ci, p) for si, ci, p in zip(s, c, periods, strict=True)]
        v += h * math.exp(-sum((di / sg) ** 2 for di, sg in zip(d, sigma, strict=True)) / 2)
    return v


def _four_atoms():
    return np.array([[0.0, 0.1, 0.0], [0.1, 0.0, 0.0], [0.25, 0.02, 0.01], [0.3, 0.12, 0.1]])


def test_grid_matches_sum_of_gaussians_1d_and_2d_periodic():
    phi, dist = Dihedral(0, 1, 2, 3), Distance(0, 3)
    md = Metadynamics([phi, dist], T, height=2.0, sigma=[0.3, 0.04], pace=1,
                      grid_min=[None, 0.1], grid_max=[None, 0.6], grid_bins=[90, 100])
    centers = [(RNG.uniform(-math.pi, math.pi), RNG.uniform(0.2, 0.5)) for _ in range(6)]
    centers.append((3.1, 0.3))  # near the periodic seam
    heights = [md.deposit(c) for c in centers]
    assert heights[0] == pytest.approx(2.0)  # plain metadynamics: constant height
    for _ in range(30):
        s = (RNG.uniform(-math.pi, math.pi), RNG.uniform(0.15, 0.55))
        exact = _gauss_sum(s, centers, md.sigma, heights, [2 * math.pi, None])
        assert md.bias_at(s) == pytest.approx(exact, abs=2e-3 * max(heights))
    md1 = Metadynamics(Position(0), T, height=1.0, sigma=0.05, bias_factor=4.0, pace=1,
                       grid_min=-1, grid_max=1)
    cs = RNG.uniform(-0.5, 0.5, 5)
    hs = [md1.deposit([c]) for c in cs]
    # well-tempered: each height is h0 exp(-V(s)/(k_B (gamma-1) T)) of the bias before it
    v_before = _gauss_sum([cs[1]], [[cs[0]]], [0.05], hs[:1], [None])
    assert hs[1] == pytest.approx(math.exp(-v_before / (3.0 * KT)), rel=1e-3)
    for s in RNG.uniform(-0.8, 0.8, 20):
        exact = _gauss_sum([s], [[c] for c in cs], [0.05], hs, [None])
        assert md1.bias_at([s]) == pytest.approx(exact, abs=1e-4)


def test_forces_are_minus_gradient_of_biased_energy():
    phi, dist = Dihedral(0, 1, 2, 3), Distance(0, 3)
    md = Metadynamics([phi, dist], T, height=2.0, sigma=[0.3, 0.04], bias_factor=5, pace=1,
                      grid_min=[None, 0.1], grid_max=[None, 0.6])
    pos0 = _four_atoms()
    s0 = md.cv_values(pos0)
    for _ in range(8):
        md.deposit(s0 + RNG.normal(scale=[0.2, 0.03]))
    state = sponge.State(positions=pos0)
    e, f = md.modify(state, 0.0, np.zeros((4, 3)))
    assert e == pytest.approx(md.bias_at(s0))
    h = 1e-6
    for i in range(4):
        for m in range(3):
            p = pos0.copy()
            p[i, m] += h
            ep = md.modify(sponge.State(positions=p), 0.0, np.zeros((4, 3)))[0]
            p[i, m] -= 2 * h
            em = md.modify(sponge.State(positions=p), 0.0, np.zeros((4, 3)))[0]
            assert -(ep - em) / (2 * h) == pytest.approx(f[i, m], abs=1e-5 * (1 + abs(f).max()))


def test_bad_parameters_name_the_cv():
    with pytest.raises(ValueError, match="grid_min and grid_max"):
        Metadynamics(Distance(0, 1, name="d"), T, height=1.0, sigma=0.1)
    with pytest.raises(ValueError, match="bias_factor"):
        Metadynamics(Dihedral(0, 1, 2, 3), T, height=1.0, sigma=0.1, bias_factor=0.5)
    with pytest.raises(ValueError, match="sigma"):
        Metadynamics([Dihedral(0, 1, 2, 3), Dihedral(1, 2, 3, 4)], T, height=1.0, sigma=[0.1])
    md = Metadynamics(Position(0, name="x"), T, height=1.0, sigma=0.1, grid_min=-1, grid_max=1)
    with pytest.warns(RuntimeWarning, match="'x' = 1.5 is outside"):
        md.modify(sponge.State(positions=[[1.5, 0, 0]]), 0.0, np.zeros((1, 3)))


def test_hills_file_restart_and_checkpoint_state(tmp_path):
    hills = tmp_path / "HILLS"
    kw = dict(height=1.5, sigma=[0.3, 0.35], bias_factor=6.0, pace=1)
    cvs = [Dihedral(0, 1, 2, 3, name="phi"), Dihedral(1, 2, 3, 0, name="psi")]
    md = Metadynamics(cvs, T, hills_file=hills, **kw)
    for k in range(10):
        md.deposit(RNG.uniform(-3, 3, 2), time=0.1 * k)
    state = md.get_state()
    md.close()
    again = Metadynamics(cvs, T, hills_file=hills, restart=True, **kw)
    assert again.n_hills == 10
    np.testing.assert_allclose(again.grid.values, md.grid.values, atol=1e-12)
    assert again.ct == pytest.approx(md.ct)
    again.deposit([0.0, 0.0], time=5.0)
    again.close()
    rows = [ln for ln in hills.read_text().splitlines() if not ln.startswith("#")]
    assert len(rows) == 11
    fresh = Metadynamics(cvs, T, **kw)
    fresh.set_state(state)
    np.testing.assert_array_equal(fresh.grid.values, md.grid.values)
    md.write_grid(tmp_path / "grid.dat")
    data = np.loadtxt(tmp_path / "grid.dat")
    assert data.shape[1] == 5 and np.isclose(data[:, 2].max(), md.grid.values.max())


def _toy_run(tmp_path, steps, seed=11, dt=0.004):
    toy = DoubleWell(10 * KT, 0.5)
    system = sponge.System(masses=[1.0], terms=[toy])
    state = sponge.State(positions=[[-0.5, 0.0, 0.0]])
    md = Metadynamics(Position(0, "x", name="x"), T, height=0.3 * KT, sigma=0.025,
                      bias_factor=5.0, pace=20, grid_min=-1.0, grid_max=1.0)
    csv = tmp_path / "cv.csv"
    rep = sponge.CVReporter(csv, 10)
    sim = sponge.Simulation(system, sponge.LangevinMiddleIntegrator(T, 5.0, dt), state,
                            bias=md, reporters=[rep], seed=seed)
    sim.run(steps)
    rep.close()
    return toy, md, csv


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    return _toy_run(tmp_path_factory.mktemp("metad"), 200_000)


def test_well_tempered_bias_converges_to_scaled_minus_pmf(toy_run):
    toy, md, _ = toy_run
    x = md.grid.axes[0]
    gamma = md.bias_factor
    target = -(gamma - 1) / gamma * toy.pmf(x)
    # basins and walls up to 6 kT: within 0.3 kT
    basins = toy.pmf(x) <= 6 * KT
    assert x[basins].min() < -0.6 and x[basins].max() > 0.6
    assert aligned_deviation(md.grid.values, target, basins) / KT < 0.3
    # the whole range up to 6 kT on the outer walls, 10 kT barrier included: the last
    # hills on the barrier top are still tall at this run length (measured 0.39 kT)
    sampled = np.abs(x) <= 0.66
    assert toy.pmf(0.0) == pytest.approx(10 * KT)
    assert aligned_deviation(md.grid.values, target, sampled) / KT < 0.5
    _, f_est = md.free_energy()
    assert aligned_deviation(f_est, toy.pmf(x), basins) / KT < 0.4


def test_reweighted_samples_give_the_analytic_pmf(toy_run):
    toy, md, csv = toy_run
    data = np.genfromtxt(csv, delimiter=",", names=True)
    assert {"x", "bias", "rbias", "ct"} <= set(data.dtype.names)
    keep = data["step"] > 0.2 * data["step"].max()
    w = reweight(data["rbias"][keep], T)
    res = pmf_1d(data["x"][keep], w, bins=30, range=(-0.75, 0.75), temperature=T,
                 units="kBT")
    ref = bin_pmf(toy.pmf, res.edges[0]) / KT
    ok = np.abs(res.centers[0]) <= 0.66       # both wells and the barrier
    assert ok.sum() >= 25
    assert aligned_deviation(res.free_energy, ref, ok) < 0.3
    # plain MD of the same length stays in its well
    system = sponge.System(masses=[1.0], terms=[toy])
    state = sponge.State(positions=[[-0.5, 0.0, 0.0]])
    sim = sponge.Simulation(system, sponge.LangevinMiddleIntegrator(T, 5.0, 0.004), state,
                            seed=5)
    xs = []
    for _ in range(100):
        sim.run(200)
        xs.append(sim.state.positions[0, 0])
    assert max(xs) < 0.0


def test_checkpoint_restart_is_bit_for_bit(tmp_path):
    toy = DoubleWell(10 * KT, 0.5)

    def make(hills):
        md = Metadynamics(Position(0, "x", name="x"), T, height=0.3 * KT, sigma=0.025,
                          bias_factor=5.0, pace=20, grid_min=-1.0, grid_max=1.0,
                          hills_file=hills)
        return md, sponge.System(masses=[1.0], terms=[toy])

    md, system = make(tmp_path / "HILLS_a")
    chk = sponge.CheckpointReporter(tmp_path / "run.chk", 1000)
    sim = sponge.Simulation(system, sponge.LangevinMiddleIntegrator(T, 5.0, 0.004),
                            sponge.State(positions=[[-0.5, 0.0, 0.0]]), bias=md,
                            reporters=[chk], seed=4)
    sim.run(1000)
    sim.reporters.clear()
    sim.run(1000)
    md.close()
    md2, system2 = make(tmp_path / "HILLS_a")    # same hills file: cut back to the checkpoint
    sim2 = sponge.Simulation.from_checkpoint(tmp_path / "run.chk", system2,
                                             sponge.LangevinMiddleIntegrator(T, 5.0, 0.004),
                                             bias=md2)
    assert md2.n_hills == 50
    sim2.run(1000)
    md2.close()
    np.testing.assert_array_equal(sim2.state.positions, sim.state.positions)
    np.testing.assert_array_equal(md2.grid.values, md.grid.values)
    rows = [ln for ln in (tmp_path / "HILLS_a").read_text().splitlines()
            if not ln.startswith("#")]
    assert len(rows) == 100


@pytest.mark.slow
def test_well_tempered_bias_converges_over_the_whole_range_long_run(tmp_path):
    """3x longer: the barrier top (10 kT) converges too (measured 0.10 kT, seed 11)."""
    toy, md, _ = _toy_run(tmp_path, 600_000)
    x = md.grid.axes[0]
    target = -(md.bias_factor - 1) / md.bias_factor * toy.pmf(x)
    assert aligned_deviation(md.grid.values, target, np.abs(x) <= 0.66) / KT < 0.3


def test_temperature_from_the_thermostat_and_atom_check():
    toy = DoubleWell(10 * KT, 0.5)
    system = sponge.System(masses=[1.0], terms=[toy])
    md = Metadynamics(Position(0, name="x"), None, height=1.0, sigma=0.05, bias_factor=4.0,
                      pace=5, grid_min=-1, grid_max=1)
    with pytest.raises(RuntimeError, match="temperature is unknown"):
        md.hill_height([0.0])
    sim = sponge.Simulation(system, sponge.LangevinMiddleIntegrator(T, 5.0, 0.004),
                            sponge.State(positions=[[-0.5, 0.0, 0.0]]), bias=md, seed=1)
    assert md.temperature == T
    sim.run(20)
    assert md.n_hills == 4
    bad = Metadynamics(Distance(0, 3, name="d03"), T, height=1.0, sigma=0.05, grid_min=0,
                       grid_max=1)
    with pytest.raises(ValueError, match="'d03' uses atom 3; the system has 1 atoms"):
        sponge.Simulation(system, sponge.LangevinMiddleIntegrator(T, 5.0, 0.004),
                          sponge.State(positions=[[0.0, 0.0, 0.0]]), bias=bad)


@pytest.mark.slow
def test_four_atom_torsion_bias_converges_over_the_whole_period():
    """Periodic CV in dynamics: a 4-atom chain whose phi PMF is its torsion energy (barrier
    12 kT). With bonds and angles independent of phi the Jacobian is flat, so
    PMF(phi) = 12 (1 + cos(2 phi - 0.4)) + 4 (1 + cos(3 phi + 0.6)) kJ/mol exactly.
    Measured 0.24 kT over the whole period after 300k steps (seed 1)."""
    from sponge.forces import HarmonicAngleTerm, HarmonicBondTerm, PeriodicTorsionTerm

    pos = np.array([[0.0, 0.15, 0.0], [0.0, 0.0, 0.0], [0.15, 0.0, 0.0], [0.2, 0.1, 0.1]])
    terms = [HarmonicBondTerm(4, [[0, 1], [1, 2], [2, 3]], [2e5] * 3, [0.15] * 3),
             HarmonicAngleTerm(4, [[0, 1, 2], [1, 2, 3]], [500.0] * 2, [1.91] * 2),
             PeriodicTorsionTerm(4, [[0, 1, 2, 3]] * 2, [2, 3], [12.0, 4.0], [0.4, -0.6])]
    system = sponge.System(masses=[12.0] * 4, terms=terms)
    md = Metadynamics(Dihedral(0, 1, 2, 3, name="phi"), T, height=0.3 * KT, sigma=0.2,
                      bias_factor=6.0, pace=20)
    sim = sponge.Simulation(system, sponge.LangevinMiddleIntegrator(T, 5.0, 0.002),
                            sponge.State(positions=pos), bias=md, seed=1)
    sim.minimize()
    sim.run(300_000)
    phi = md.grid.axes[0]
    pmf = 12 * (1 + np.cos(2 * phi - 0.4)) + 4 * (1 + np.cos(3 * phi + 0.6))
    target = -(md.bias_factor - 1) / md.bias_factor * pmf
    assert aligned_deviation(md.grid.values, target, np.ones(phi.size, bool)) / KT < 0.3


@pytest.mark.slow
def test_two_cv_bias_converges_on_a_2d_toy():
    """2-D WT metadynamics on (x, y) of a particle in an 8 kT double well in x times a
    harmonic well in y: after 1M steps the bias matches -(1 - 1/gamma) F(x, y) within
    0.35 kT where F <= 4 kT (measured 0.26 kT, seed 1)."""
    toy = DoubleWell(8 * KT, 0.5, k=2 * 3 * KT / 0.3**2)   # y: 3 kT at |y| = 0.3 nm
    system = sponge.System(masses=[1.0], terms=[toy])
    md = Metadynamics([Position(0, "x", name="x"), Position(0, "y", name="y")], T,
                      height=0.3 * KT, sigma=[0.04, 0.04], bias_factor=5.0, pace=10,
                      grid_min=[-1.0, -0.8], grid_max=[1.0, 0.8], grid_bins=[100, 80])
    sim = sponge.Simulation(system, sponge.LangevinMiddleIntegrator(T, 5.0, 0.004),
                            sponge.State(positions=[[-0.5, 0.0, 0.0]]), bias=md, seed=1)
    with warnings.catch_warnings():   # y may touch its 21 kT grid edge late in the run
        warnings.simplefilter("ignore", RuntimeWarning)
        sim.run(1_000_000)
    gx, gy = np.meshgrid(*md.grid.axes, indexing="ij")
    pmf = toy.pmf(gx) + 3 * KT * (gy / 0.3) ** 2
    target = -(md.bias_factor - 1) / md.bias_factor * pmf
    assert aligned_deviation(md.grid.values, target, pmf <= 4 * KT) / KT < 0.35


def test_combined_bias_adds_energies_forces_and_columns():
    pos0 = _four_atoms()
    a = Metadynamics(Dihedral(0, 1, 2, 3, name="phi"), T, height=2.0, sigma=0.3, pace=1,
                     name="m1")
    b = Metadynamics(Distance(0, 3, name="d"), T, height=1.0, sigma=0.03, pace=1,
                     grid_min=0.0, grid_max=1.0, name="m2")
    for k in range(5):
        a.deposit([a.cv_values(pos0)[0] + 0.1 * k])
        b.deposit([b.cv_values(pos0)[0] + 0.01 * k])
    both = sponge.CombinedBias([a, b])
    st = sponge.State(positions=pos0)
    e, f = both.modify(st, 1.0, np.zeros((4, 3)))
    ea, fa = a.modify(st, 0.0, np.zeros((4, 3)))
    eb, fb = b.modify(st, 0.0, np.zeros((4, 3)))
    assert e == pytest.approx(1.0 + ea + eb)
    np.testing.assert_allclose(f, fa + fb)
    cols = both.report_columns(st)
    assert cols["bias"] == pytest.approx(ea + eb)
    assert {"phi", "d", "m1_bias", "m2_bias", "m1_ct", "m2_ct"} <= set(cols)
    saved = both.get_state()
    a.deposit([0.0])
    both.set_state(saved)
    assert both.modify(st, 1.0, np.zeros((4, 3)))[0] == pytest.approx(e)
