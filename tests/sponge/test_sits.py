"""SITS: maths of the effective potential, n_k update, energy split, forces, plumbing.

References used: finite differences (f_b = dU_eff/dE, forces = -grad U_eff),
scipy's logsumexp, an independent numpy pair sum for E_s (scipy erfc), the
identity ``E_s(P, lambda=1) + E_s(W, lambda=0) = U_nonbonded`` against the
nonbonded term (itself validated against OpenMM), and the Monte Carlo
barostat's acceptance energy.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from scipy.special import erfc, logsumexp

import sponge
from sponge.nonbonded.selected import SelectedNonbonded
from sponge.quantities import BOLTZ
from sponge.sits.estimator import its_bias, update_log_nk

from .test_integrators import water_box


# ----------------------------------------------------------------------------- helpers
def _random_periodic(method: str = "PME", n: int = 24, seed: int = 0):
    """A small neutral LJ + charge system in a 2 nm box with exclusions and a 1-4 pair,
    plus a torsion over the first four (selected) atoms."""
    rng = np.random.default_rng(seed)
    edge = 2.0
    box = np.eye(3) * edge
    # a jittered grid keeps pairs apart
    g = np.stack(np.meshgrid(*[np.arange(3)] * 3, indexing="ij"), -1).reshape(-1, 3)[:n]
    pos = (g + 0.5) * edge / 3 + rng.normal(0, 0.05, (n, 3))
    pos[1] = pos[0] + [0.15, 0.0, 0.0]
    pos[2] = pos[1] + [0.0, 0.15, 0.0]
    pos[3] = pos[2] + [0.05, 0.0, 0.15]
    q = rng.uniform(-0.6, 0.6, n)
    q -= q.mean()
    sig = rng.uniform(0.2, 0.32, n)
    eps = rng.uniform(0.2, 0.8, n)
    pairs = np.array([[0, 1], [1, 2], [0, 2], [0, 3]])
    cp = np.array([0.0, 0.0, 0.0, 0.5 * q[0] * q[3]])
    es = np.array([0.0, 0.0, 0.0, 0.5 * (sig[0] + sig[3])])
    ee = np.array([0.0, 0.0, 0.0, 0.5 * math.sqrt(eps[0] * eps[3])])
    nb = sponge.nonbonded.NonbondedTerm(q, sig, eps, pairs, cp, es, ee, method=method,
                                        cutoff=0.9, dispersion_correction=False, box=box)
    tors = sponge.forces.PeriodicTorsionTerm(n, [[0, 1, 2, 3]], [3], [6.0], [0.4])
    bond = sponge.forces.HarmonicBondTerm(n, [[0, 1], [1, 2], [2, 3]], [2e4] * 3, [0.15] * 3)
    system = sponge.System(np.full(n, 12.0), q, [bond, tors, nb], box=box)
    return system, sponge.State(pos, box=box)


def _brute_force_es(pos, box, q, sig, eps, excluded, exc, mask, lam, cutoff, alpha,
                    complete=True):
    """E_s by a plain double loop (numpy/scipy), Ewald real space; with ``complete``
    the solute-solute pairs (not excluded, not exceptions) get their full Coulomb
    ``k_e q_i q_j / r`` at any distance."""
    k_e = 138.935456
    e = 0.0
    n = len(q)
    for i in range(n):
        for j in range(i + 1, n):
            w = (1.0 if mask[i] and mask[j] else lam if mask[i] or mask[j] else 0.0)
            if w == 0.0:
                continue
            d = pos[j] - pos[i]
            d -= np.round(d / np.diag(box)) * np.diag(box)
            r = np.linalg.norm(d)
            if (i, j) in exc:
                cp, s, ep = exc[(i, j)]
                e += w * (4 * ep * ((s / r) ** 12 - (s / r) ** 6) + k_e * cp / r)
                continue
            if (i, j) in excluded:
                continue
            if complete and w == 1.0:
                e += k_e * q[i] * q[j] * (1.0 - erfc(alpha * r)) / r
            if r >= cutoff:
                continue
            s = 0.5 * (sig[i] + sig[j])
            ep = math.sqrt(eps[i] * eps[j])
            e += w * (4 * ep * ((s / r) ** 12 - (s / r) ** 6) + k_e * q[i] * q[j] * erfc(alpha * r) / r)
    return e


def _sits(**kw):
    kw.setdefault("t_low", 250.0)
    kw.setdefault("t_high", 900.0)
    kw.setdefault("n_temperatures", 12)
    kw.setdefault("temperature", 300.0)
    return sponge.SITS(**kw)


# ----------------------------------------------------------------------------- ladder
def test_ladders_have_the_requested_spacing():
    t = sponge.sits.temperature_ladder(273.0, 650.0, 100, "T")
    assert t[0] == 273.0 and t[-1] == pytest.approx(650.0) and np.ptp(np.diff(t)) < 1e-9
    b = 1.0 / sponge.sits.temperature_ladder(273.0, 650.0, 40, "beta")
    assert np.ptp(np.diff(b)) < 1e-12
    g = sponge.sits.temperature_ladder(273.0, 650.0, 40, "geometric")
    assert np.ptp(g[1:] / g[:-1]) < 1e-12
    with pytest.raises(ValueError, match="spacing"):
        sponge.sits.temperature_ladder(273.0, 650.0, 10, "log")
    with pytest.raises(ValueError, match="t_low"):
        sponge.SITS(t_low=700.0, t_high=650.0)
    with pytest.raises(ValueError, match="increase"):
        sponge.SITS(temperatures=[300.0, 400.0, 350.0])


# ----------------------------------------------------------------------------- maths
def test_fb_is_the_derivative_of_the_effective_potential_and_lies_in_its_bounds():
    rng = np.random.default_rng(1)
    temps = np.linspace(250.0, 900.0, 30)
    beta = 1.0 / (BOLTZ * temps)
    beta0 = 1.0 / (BOLTZ * 300.0)
    log_nk = rng.normal(0.0, 3.0, 30)
    for e in (-80.0, -5.0, 0.0, 3.0, 60.0):
        dv, fb = its_bias(e, log_nk, beta, beta0)
        # Delta V against scipy's logsumexp
        ref = -logsumexp(log_nk - (beta - beta0) * e) / beta0
        assert dv == pytest.approx(ref, rel=1e-12, abs=1e-10)
        h = 1e-4
        u = [its_bias(e + s, log_nk, beta, beta0)[0] + e + s for s in (h, -h)]
        assert fb == pytest.approx((u[0] - u[1]) / (2 * h), rel=1e-7)
        assert beta[-1] / beta0 - 1e-12 <= fb <= beta[0] / beta0 + 1e-12


def test_equal_populations_are_a_fixed_point_and_the_first_window_applies_the_ratio():
    log_nk = np.array([0.0, -1.0, -2.5, -3.0])
    new, norm = update_log_nk(log_nk, np.log(np.full(4, 25.0)), np.zeros(3))
    np.testing.assert_allclose(new, log_nk, atol=1e-14)
    np.testing.assert_allclose(norm, 25.0)
    # first window (W = 0): m_k <- m_k P_{k+1}/P_k, i.e. ln n_{k+1} gains ln(P_k/P_{k+1})
    p = np.array([40.0, 20.0, 20.0, 10.0])
    new, _ = update_log_nk(log_nk, np.log(p), np.zeros(3))
    want = log_nk + np.concatenate([[0.0], np.cumsum(np.log(p[:-1] / p[1:]))])
    np.testing.assert_allclose(new, want, atol=1e-12)


def test_a_population_target_moves_the_fixed_point():
    """With a target P_{k+1}/P_k = rho, populations in that ratio are a fixed point,
    and the first window lands on it: ln n_{k+1} gains ln(P_k rho / P_{k+1})."""
    log_nk = np.array([0.0, -1.0, -2.5, -3.0])
    log_rho = np.full(3, math.log(1.5))
    p = 10.0 * 1.5 ** np.arange(4)
    new, _ = update_log_nk(log_nk, np.log(p), np.full(3, 7.0), log_target=log_rho)
    np.testing.assert_allclose(new, log_nk, atol=1e-12)
    q = np.array([40.0, 20.0, 20.0, 10.0])
    new, _ = update_log_nk(log_nk, np.log(q), np.zeros(3), log_target=log_rho)
    want = log_nk + np.concatenate([[0.0], np.cumsum(np.log(q[:-1] * 1.5 / q[1:]))])
    np.testing.assert_allclose(new, want, atol=1e-12)
    # through SITS: the guess carries the tilt, P_K / P_1 = hot_to_cold
    sits = _sits(mode="observation", energy_shift=0.0, hot_to_cold=4.0)
    e = np.random.default_rng(1).gamma(20.0, BOLTZ * 300.0, size=400_000)
    got = sits.guess_nk(e)
    log_z = -20.0 * np.log(sits.beta)
    pk = np.exp(got + log_z - logsumexp(got + log_z))
    assert pk[-1] / pk[0] == pytest.approx(4.0, rel=0.1)
    with pytest.raises(ValueError, match="hot_to_cold"):
        _sits(hot_to_cold=0.0)


def test_a_shift_of_the_energy_only_changes_the_bias_by_a_constant():
    sits_a = _sits(energy_shift=0.0, mode="production")
    log_nk = np.random.default_rng(2).normal(0, 2, 12)
    sits_a.log_nk = log_nk.copy()
    d = 37.0
    sits_b = _sits(energy_shift=d, mode="production")
    sits_b.log_nk = log_nk - sits_a.beta * d
    es = np.linspace(-50.0, 80.0, 9)
    diff = [sits_b.factors(e)[0] - sits_a.factors(e)[0] for e in es]
    assert np.ptp(diff) < 1e-9
    np.testing.assert_allclose([sits_a.factors(e)[1] for e in es],
                               [sits_b.factors(e)[1] for e in es], rtol=1e-12)


def test_reweight_gives_normalised_boltzmann_factors_and_names_bad_frames():
    b = np.array([0.0, 1.0, -2.0, 5000.0])
    w = sponge.analysis.reweight(b, 300.0)
    kt = BOLTZ * 300.0
    np.testing.assert_allclose(w, np.exp(b / kt - logsumexp(b / kt)), rtol=1e-12)
    with pytest.raises(ValueError, match="frame 2"):
        sponge.analysis.reweight([0.0, 1.0, np.nan], 300.0)


# ----------------------------------------------------------------------------- E_s split
@pytest.mark.parametrize("method", ["NoCutoff", "CutoffPeriodic", "PME"])
def test_split_energies_add_up_to_the_nonbonded_direct_sum(method):
    system, state = _random_periodic(method)
    nb = system.term("nonbonded")
    n = system.n_atoms
    mask = np.zeros(n, bool)
    mask[:7] = True
    box = state.box
    e_p = SelectedNonbonded(nb, mask, 1.0).energy(state.positions, box)
    e_w = SelectedNonbonded(nb, ~mask, 0.0).energy(state.positions, box)
    e_pp = SelectedNonbonded(nb, mask, 0.0).energy(state.positions, box)
    e_half = SelectedNonbonded(nb, mask, 0.5).energy(state.positions, box)
    assert e_half == pytest.approx(e_pp + 0.5 * (e_p - e_pp), rel=1e-12)
    comps = nb.energy_components(state.positions, box)
    if method == "PME":
        x = state.positions
        exc = {(0, 3): (nb.exception_chargeprods[3], nb.exception_sigmas[3],
                        nb.exception_epsilons[3])}
        excluded = {(0, 1), (1, 2), (0, 2)}
        ref = _brute_force_es(x, box, nb.charges, nb.sigmas, nb.epsilons, excluded, exc, mask,
                              0.5, nb.cutoff, nb.alpha)
        assert e_half == pytest.approx(ref, rel=1e-9)
        # SPONGE's real-space-only E_s, on request
        direct = SelectedNonbonded(nb, mask, 0.5, complete_coulomb=False).energy(x, box)
        ref = _brute_force_es(x, box, nb.charges, nb.sigmas, nb.epsilons, excluded, exc, mask,
                              0.5, nb.cutoff, nb.alpha, complete=False)
        assert direct == pytest.approx(ref, rel=1e-9)
        assert abs(direct - e_half) > 1.0   # the reciprocal share is not negligible
    else:
        # no Ewald: the whole nonbonded energy is the direct sum over pairs
        assert e_p + e_w == pytest.approx(comps["lj"] + comps["coulomb"], rel=1e-10)


@pytest.mark.parametrize("energy", ["selective", "total"])
def test_sits_forces_are_minus_the_gradient_of_the_effective_potential(energy):
    system, state = _random_periodic("PME")
    sits = _sits(selection=np.arange(6), energy=energy, mode="production",
                 cross_factor=0.5)
    sits.bind(system)
    e0, f0 = system.energy_forces(state)
    es0 = sits.selected_energy_forces(state, e0, f0)[0]
    sits.energy_shift = es0
    sits.log_nk = -np.linspace(0.0, 1.0, 12) ** 2 * 40.0   # a non-trivial mixture
    eb, fb_forces = sits.modify(state, e0, f0)
    assert eb == pytest.approx(e0 + sits.bias(state), rel=1e-12)
    fb = sits.report_columns()["f_b"]
    assert abs(fb - 1.0) > 0.02   # the test exercises the scaling
    h = 1e-6
    rng = np.random.default_rng(3)
    for atom in [0, 3, 5, 10, int(rng.integers(6, system.n_atoms))]:
        for c in range(3):
            vals = []
            for s in (h, -h):
                st = sponge.State(state.positions.copy(), box=state.box)
                st.positions[atom, c] += s
                vals.append(system.potential_energy(st) + sits.bias(st))
            fd = -(vals[0] - vals[1]) / (2 * h)
            assert fb_forces[atom, c] == pytest.approx(fd, rel=2e-5, abs=2e-3)


def test_box_derivative_of_the_effective_potential_scales_the_selected_virial():
    """d U_eff / d(ln V) under molecule-centre scaling (what the barostat samples)
    equals dU/dlnV + (f_b - 1) dE_s/dlnV: the selected virial scaled by f_b - 1."""
    system, state = _random_periodic("PME")
    sits = _sits(selection=np.arange(6), mode="production")
    sits.bind(system)
    e0 = system.potential_energy(state)
    sits.energy_shift = sits.selected_energy_forces(state)[0]
    sits.log_nk = -np.linspace(0.0, 1.0, 12) ** 2 * 40.0
    sits.modify(state, e0, system.forces(state))
    fb = sits.report_columns()["f_b"]

    def scaled(eps):
        s = math.exp(eps / 3.0)
        st = sponge.State(state.positions * s, box=state.box * s)
        e = system.potential_energy(st)
        es = sits.selected_energy_forces(st)[0]
        return e, es, e + sits.bias(st)

    h = 1e-5
    p, m = scaled(h), scaled(-h)
    d = [(a - b) / (2 * h) for a, b in zip(p, m, strict=True)]
    assert d[2] == pytest.approx(d[0] + (fb - 1.0) * d[1], rel=2e-5)


# ----------------------------------------------------------------------------- plumbing
def test_barostat_accepts_on_the_effective_potential_with_pme_and_rigid_water():
    _, system, state = water_box(1.9, 0.8)
    resnames = {system.topology.residue_names[i] for i in system.topology.residue_index[:3]}
    sits = sponge.SITS(selection=np.arange(6), t_low=250, t_high=600, n_temperatures=8,
                       update_interval=5)
    integ = sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002)
    baro = sponge.MonteCarloBarostat(1.0, 300.0, frequency=2)
    sim = sponge.Simulation(system, integ, state, bias=sits, barostat=baro, seed=5)
    sim.run(30)
    assert sits.n_updates == 6 and resnames
    # the cached biased energy is U + Delta V at the current (possibly rescaled) box
    assert integ.biased_energy == pytest.approx(
        system.potential_energy(sim.state) + sits.bias(sim.state), abs=1e-6)
    assert sits.report_columns()["bias"] == pytest.approx(sits.bias(sim.state), abs=1e-6)
    # rigid water kept rigid
    o, h1 = sim.state.positions[0], sim.state.positions[1]
    assert np.linalg.norm(h1 - o) == pytest.approx(0.09572, abs=1e-6)


def test_state_data_reporter_writes_the_bias_columns(tmp_path):
    system, state = _random_periodic("PME")
    sits = _sits(selection=np.arange(6), update_interval=10, temperature=None)
    buf = io.StringIO()
    rep = sponge.StateDataReporter(buf, 5, speed=False)
    sim = sponge.Simulation(system, sponge.LangevinMiddleIntegrator(300.0, 5.0, 0.001),
                            state, reporters=[rep], bias=sits, seed=1)
    sim.run(10)
    lines = buf.getvalue().splitlines()
    assert lines[0].endswith('"E_s","bias","f_b"')
    last = [float(v) for v in lines[-1].split(",")]
    assert last[-3] == pytest.approx(sits.selected_energy_forces(sim.state)[0], rel=1e-9)
    assert last[-2] == pytest.approx(sits.bias(sim.state), rel=1e-9, abs=1e-9)


def test_nk_restart_and_trajectory_files_round_trip(tmp_path):
    system, state = _random_periodic("PME")
    rest, traj = tmp_path / "nk_rest.txt", tmp_path / "nk_traj.dat"
    sits = _sits(selection=np.arange(6), update_interval=4, nk_restart_file=rest,
                 nk_traj_file=traj)
    sim = sponge.Simulation(system, sponge.LangevinMiddleIntegrator(300.0, 5.0, 0.001), state,
                            bias=sits, seed=2)
    sim.run(12)
    rows = np.loadtxt(traj)
    assert rows.shape == (3, 13) and list(rows[:, 0]) == [4, 8, 12]
    np.testing.assert_allclose(rows[-1, 1:], sits.log_nk, rtol=1e-9)
    again = _sits(selection=np.arange(6), nk_in_file=rest, mode="production")
    np.testing.assert_allclose(again.log_nk, sits.log_nk, rtol=1e-15)
    assert again.energy_shift == sits.energy_shift
    with pytest.raises(ValueError, match="nk_rest.txt"):
        sponge.SITS(t_low=250, t_high=900, n_temperatures=10, nk_in_file=rest)
    bad = tmp_path / "bad.txt"
    bad.write_text("250 0 0\n300 x 0\n")
    with pytest.raises(ValueError, match="line 2"):
        _sits(nk_in_file=bad)


def test_selection_errors_name_the_problem():
    system, _ = _random_periodic("PME")
    with pytest.raises(ValueError, match="out of range"):
        _sits(selection=[0, 99]).bind(system)
    with pytest.raises(ValueError, match="topology"):
        _sits(selection=None).bind(system)

    class Custom:
        name = "custom"

        def energy_forces(self, pos, box=None):
            return 0.0, np.zeros_like(pos)

    system.add_term(Custom())
    with pytest.raises(TypeError, match="custom.*energy='total'"):
        _sits(selection=[0, 1]).bind(system)
    _sits(energy="total").bind(system)   # plain ITS works on any term


def test_constraints_are_kept_under_sits():
    _, system, state = water_box(1.9, 0.8)
    sits = sponge.SITS(selection=np.arange(9), t_low=250, t_high=600, n_temperatures=8,
                       update_interval=10)
    sim = sponge.Simulation(system, sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002), state,
                            bias=sits, seed=7)
    sim.run(40)
    x = sim.state.positions
    i, j = system.constraints.indices.T
    np.testing.assert_allclose(np.linalg.norm(x[i] - x[j], axis=1), system.constraints.distances,
                               atol=1e-7)


def test_sits_section_of_the_run_config_builds_a_sits(tmp_path):
    from sponge.cli import build_sits
    from sponge.config import ConfigError, parse_config

    doc = {"system": {"parm7": "x.parm7", "rst7": "x.rst7"},
           "integrator": {"timestep": 0.002, "temperature": 300.0},
           "run": {"steps": 10},
           "sits": {"selection": [0, 1, 2], "n_temperatures": 20, "spacing": "beta",
                    "update_interval": 20, "nk_traj_file": "nk.dat"}}
    for f in ("x.parm7", "x.rst7"):
        (tmp_path / f).write_text("")
    cfg = parse_config(doc, tmp_path / "run.toml")
    sits = build_sits(cfg.sits)
    assert len(sits.temperatures) == 20 and sits.update_interval == 20
    assert sits.nk_traj_file == tmp_path / "nk.dat"
    assert sits.complete_coulomb and not sits.bonds_angles and sits.memory is None
    doc["sits"].update(complete_coulomb=False, bonds_angles=True, memory=2500, hot_to_cold=3.0)
    sits = build_sits(parse_config(doc, tmp_path / "run.toml").sits)
    assert not sits.complete_coulomb and sits.bonds_angles and sits.memory == 2500
    assert sits.hot_to_cold == 3.0
    doc["sits"]["memory"] = -1
    with pytest.raises(ConfigError, match="memory"):
        parse_config(doc, tmp_path / "run.toml")
    del doc["sits"]["memory"]
    doc["sits"]["cross"] = 0.3
    with pytest.raises(ConfigError, match=r"\[sits\]\.cross"):
        parse_config(doc, tmp_path / "run.toml")
    del doc["sits"]["cross"]
    doc["sits"]["cross_factor"] = 1.5
    with pytest.raises(ConfigError, match="cross_factor"):
        parse_config(doc, tmp_path / "run.toml")


def test_selected_pair_list_is_rebuilt_after_large_moves_and_box_changes():
    system, state = _random_periodic("PME")
    nb = system.term("nonbonded")
    mask = np.zeros(system.n_atoms, bool)
    mask[:5] = True
    sel = SelectedNonbonded(nb, mask, 0.5, skin=0.1)
    x = state.positions.copy()
    sel.energy(x, state.box)
    rng = np.random.default_rng(4)
    for scale, box in ((0.005, state.box), (0.3, state.box), (0.0, state.box * 1.01)):
        x = x + rng.normal(0.0, scale, x.shape)
        x[1] = x[0] + [0.15, 0.0, 0.0]
        got = sel.energy_forces(x, box)
        fresh = SelectedNonbonded(nb, mask, 0.5, skin=0.1).energy_forces(x, box)
        assert got[0] == pytest.approx(fresh[0], rel=1e-12)
        np.testing.assert_allclose(got[1], fresh[1], rtol=1e-10, atol=1e-10)
    assert sel.n_builds == 3


def test_checkpoint_restores_the_sits_state(tmp_path):
    system, state = _random_periodic("PME")
    sits = _sits(selection=np.arange(6), update_interval=4, temperature=None)
    sim = sponge.Simulation(system, sponge.LangevinMiddleIntegrator(300.0, 5.0, 0.001), state,
                            bias=sits, seed=2)
    sim.minimize(max_iterations=200)
    sim.run(10)
    sim.save_checkpoint(tmp_path / "run.chk")
    sim.run(6)
    want = sits.log_nk.copy()
    fresh = _sits(selection=np.arange(6), update_interval=4, temperature=None)
    sim2 = sponge.Simulation.from_checkpoint(tmp_path / "run.chk", system,
                                             sponge.LangevinMiddleIntegrator(300.0, 5.0, 0.001),
                                             bias=fresh)
    assert fresh.n_updates == 2 and fresh._n_records == 2
    sim2.run(6)
    np.testing.assert_allclose(fresh.log_nk, want, rtol=1e-10)


def test_a_mode_change_between_runs_refreshes_the_cached_biased_forces():
    system, state = _random_periodic("PME")
    sits = _sits(selection=np.arange(6), mode="observation", temperature=None)
    integ = sponge.LangevinMiddleIntegrator(300.0, 5.0, 0.001)
    sim = sponge.Simulation(system, integ, state, bias=sits, seed=3)
    sim.minimize(max_iterations=100)
    sim.run(4)
    assert integ.biased_energy == pytest.approx(integ.potential_energy)
    sits.energy_shift = sits.report_columns()["E_s"]
    sits.log_nk = -np.linspace(0.0, 1.0, 12) ** 2 * 40.0
    sits.mode = "production"
    integ.step(sim.state, 0)
    assert integ.biased_energy == pytest.approx(
        integ.potential_energy + sits.bias(sim.state), abs=1e-8)
    e, f = system.energy_forces(sim.state)
    _, want = sits.modify(sim.state, e, f)
    np.testing.assert_allclose(integ.forces, want, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("combined", [False, True])
def test_a_mode_change_right_after_a_checkpoint_equals_the_uninterrupted_run(tmp_path, combined):
    """The ala2 example's stage switch on a resumed run: a checkpoint taken in observation
    mode (no energy shift yet), loaded into a fresh SITS that then goes to iteration. The
    bias has no evaluation to refresh from, so the forces are computed again: bit for bit
    the uninterrupted run (it once set the shift from E_s = NaN). Inside a CombinedBias
    the mode switch must reach the integrator too (it once did not: one step on
    unbiased forces)."""
    system, state = _random_periodic("PME")

    def make():
        sits = _sits(selection=np.arange(6), mode="observation", temperature=None,
                     update_interval=3)
        return sits, (sponge.CombinedBias([sits]) if combined else sits)

    def integ():
        return sponge.LangevinMiddleIntegrator(300.0, 5.0, 0.001)

    def go_iterate(sits):
        sits.mode = "iteration"
        sits.log_nk = -np.linspace(0.0, 1.0, 12) ** 2 * 40.0

    sits, bias = make()
    sim = sponge.Simulation(system, integ(), state, bias=bias, seed=3)
    sim.minimize(max_iterations=100)
    sim.run(4)
    sim.save_checkpoint(tmp_path / "obs.chk")
    go_iterate(sits)
    sim.integrator.step(sim.state, 0)
    assert sim.integrator.biased_energy == pytest.approx(
        sim.integrator.potential_energy + sits.bias(sim.state), abs=1e-8)
    sim.run(8)
    assert sits.n_updates == 2 and math.isfinite(sits.energy_shift)
    sits2, bias2 = make()
    sim2 = sponge.Simulation.from_checkpoint(tmp_path / "obs.chk", system, integ(), bias=bias2)
    assert sits2.energy_shift is None
    go_iterate(sits2)
    sim2.run(8)
    assert sits2.energy_shift == sits.energy_shift
    np.testing.assert_array_equal(sim2.state.positions, sim.state.positions)
    np.testing.assert_array_equal(sits2.log_nk, sits.log_nk)


def test_the_energy_shift_is_never_set_from_a_non_finite_e_s():
    sits = _sits(mode="iteration")
    with pytest.raises(ValueError, match="E_s = nan"):
        sits.factors(math.nan)
    assert sits.energy_shift is None


def test_heat_capacity_guess_is_exact_for_harmonic_energies():
    """E of d/2 harmonic degrees of freedom: ln Z = -(d/2) ln beta, so the guess
    ln n_k = (d/2) ln(beta_k/beta_1) makes n_k Z_k constant (flat P_k)."""
    d = 40
    sits = _sits(mode="observation", energy_shift=0.0)
    kt0 = BOLTZ * 300.0
    e = np.random.default_rng(5).gamma(d / 2, kt0, size=400_000)
    got = sits.guess_nk(e)
    want = 0.5 * d * np.log(sits.beta / sits.beta[0])
    np.testing.assert_allclose(got, want, atol=0.02 * np.abs(want).max())
    assert np.array_equal(sits.log_nk, got) and not sits.norm.any()
    # populations n_k Z_k of the guess are flat to within sampling error
    log_z = -0.5 * d * np.log(sits.beta)
    pk = np.exp(got + log_z - logsumexp(got + log_z))
    assert pk.max() / pk.min() < 1.15
    with pytest.raises(ValueError, match="at least 10"):
        sits.guess_nk([1.0, np.nan])
