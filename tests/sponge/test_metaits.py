"""MetaITS (ITS on the total energy + well-tempered metadynamics) on a 20 kT double well."""

from __future__ import annotations

import numpy as np
import pytest

import sponge
from sponge.analysis import pmf_1d, reweight
from sponge.cv import Position
from tests.sponge.toys import KT, DoubleWell, T, aligned_deviation, bin_pmf


def _metaits_run(tmp_path, production):
    toy = DoubleWell(20 * KT, 0.5)
    system = sponge.System(masses=[1.0], terms=[toy])
    state = sponge.State(positions=[[-0.5, 0.0, 0.0]])
    md = sponge.Metadynamics(Position(0, "x", name="x"), T, height=0.3 * KT, sigma=0.025,
                             bias_factor=8.0, pace=20, grid_min=-1.0, grid_max=1.0)
    its = sponge.SITS(energy="total", t_low=290.0, t_high=600.0, n_temperatures=16,
                      update_interval=200)
    bias = sponge.MetaITS(md, its)
    sim = sponge.Simulation(system, sponge.LangevinMiddleIntegrator(T, 5.0, 0.004), state,
                            bias=bias, seed=1)
    sim.run(30_000)                       # n_k iteration, hills accumulate
    assert its.n_updates > 0
    # cached forces after n_k updates and depositions equal a fresh evaluation
    cached = np.array(sim.integrator.forces)
    e_cached = sim.integrator.biased_energy
    sim.integrator.invalidate()
    sim.integrator.compute_forces(sim.state)
    np.testing.assert_allclose(sim.integrator.forces, cached, rtol=1e-12, atol=1e-9)
    assert sim.integrator.biased_energy == pytest.approx(e_cached, rel=1e-12)
    its.mode = "production"               # n_k fixed: the data to reweight
    rep = sponge.CVReporter(tmp_path / "cv.csv", 10)
    sd = sponge.StateDataReporter(tmp_path / "state.csv", 1000)
    sim.reporters += [rep, sd]
    sim.run(production)
    rep.close()
    sd.close()
    header = (tmp_path / "state.csv").read_text().splitlines()[0]
    assert '"rbias"' in header and '"its_bias"' in header and '"x"' in header
    data = np.genfromtxt(tmp_path / "cv.csv", delimiter=",", names=True)
    assert {"x", "E_s", "f_b", "its_bias", "metad_bias", "ct", "bias", "rbias"} <= set(
        data.dtype.names)
    np.testing.assert_allclose(data["bias"], data["its_bias"] + data["metad_bias"])
    np.testing.assert_allclose(data["rbias"], data["bias"] - data["ct"])
    x = data["x"]
    assert np.count_nonzero(np.diff(np.sign(x))) > 40       # crosses the barrier often
    res = pmf_1d(x, reweight(data["rbias"], T), bins=30, range=(-0.75, 0.75),
                 temperature=T, units="kBT")
    return res, bin_pmf(toy.pmf, res.edges[0]) / KT


def test_metaits_crosses_a_20kt_barrier_and_reweights_to_the_analytic_pmf(tmp_path):
    res, ref = _metaits_run(tmp_path, 120_000)
    # measured 0.31 kT (the two wells differ by ~0.45 kT at this length: crossing statistics)
    assert aligned_deviation(res.free_energy, ref, ref <= 10.0) < 0.4
    assert aligned_deviation(res.free_energy, ref, ref <= 20.0) < 0.5   # barrier included


@pytest.mark.slow
def test_metaits_long_run_matches_the_analytic_pmf_everywhere(tmp_path):
    """400k production steps: measured 0.13 kT over the whole range, 20 kT barrier included."""
    res, ref = _metaits_run(tmp_path, 400_000)
    assert aligned_deviation(res.free_energy, ref, ref <= 20.0) < 0.3


def test_metaits_rejects_a_selective_its():
    md = sponge.Metadynamics(Position(0), T, height=1.0, sigma=0.1, grid_min=-1, grid_max=1)
    with pytest.raises(ValueError, match="total energy"):
        sponge.MetaITS(md, sponge.SITS(energy="selective", selection=[0]))
