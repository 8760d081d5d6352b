"""Monte Carlo barostat: the ideal gas (exact volume distribution), molecule finding,
rigid molecules kept rigid, cached energies consistent, restart bit-for-bit.

For N independent particles at pressure P the barostat must sample
``p(V) ~ V^N exp(-P V / kT)``, a Gamma distribution with shape N + 1 and scale
kT/P: mean ``(N + 1) kT / P``. Isotropic and anisotropic moves alike.
"""

from __future__ import annotations

import numpy as np
import pytest

import sponge
from sponge.quantities import BAR_TO_KJ_MOL_NM3, BOLTZ, box_volume

from .test_integrators import ala2_vacuum, single_threaded, water_box  # noqa: F401


def _ideal_gas(n: int, edge: float):
    rng = np.random.default_rng(0)
    box = np.eye(3) * edge
    system = sponge.System(masses=np.full(n, 40.0), box=box)
    state = sponge.State(rng.uniform(0, edge, (n, 3)), box=box)
    return system, state


@pytest.mark.parametrize("anisotropic", [False, True])
def test_ideal_gas_volume_distribution(anisotropic):
    stats = pytest.importorskip("scipy.stats")
    n, t = 30, 300.0
    kt = BOLTZ * t
    p_bar = (n + 1) * kt / 30.0 / BAR_TO_KJ_MOL_NM3  # <V> = 30 nm^3
    system, state = _ideal_gas(n, 3.0)
    integ = sponge.LangevinMiddleIntegrator(t, 1.0, 0.002)
    integ.barostat = sponge.MonteCarloBarostat(p_bar, t, frequency=1, anisotropic=anisotropic)
    integ.bind(system, seed=1)
    integ.step(state, 500)
    vols = []
    for _ in range(12000):
        integ.step(state, 1)
        vols.append(box_volume(state.box))
    vols = np.array(vols)
    expected = (n + 1) * kt / (p_bar * BAR_TO_KJ_MOL_NM3)
    blocks = vols.reshape(40, -1).mean(axis=1)
    se = blocks.std(ddof=1) / np.sqrt(len(blocks))
    assert abs(vols.mean() - expected) < 4 * se, (vols.mean(), expected, se)
    assert se < 0.02 * expected
    sub = vols[::60]
    pval = stats.kstest(sub, stats.gamma(n + 1, scale=kt / (p_bar * BAR_TO_KJ_MOL_NM3)).cdf)
    assert pval.pvalue > 1e-3
    if anisotropic:
        lengths = np.diag(state.box)
        assert len(set(np.round(lengths, 12))) > 1  # axes moved independently


def test_find_molecules():
    _, system, _ = water_box(1.9, 0.9)
    mols = sponge.find_molecules(system)
    assert len(mols) == system.n_atoms // 3
    assert all(len(m) == 3 and m[1] == m[0] + 1 for m in mols)
    _, system, _ = ala2_vacuum()
    assert len(sponge.find_molecules(system)) == 1


def test_npt_water_keeps_molecules_rigid_and_energy_cached():
    _, system, state = water_box(1.9, 0.9)
    integ = sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002)
    baro = sponge.MonteCarloBarostat(1.0, 300.0, frequency=2)
    integ.bind(system, seed=5)
    integ.barostat = baro
    v0 = box_volume(state.box)
    integ.step(state, 30)
    assert box_volume(state.box) != v0
    c = system.constraints
    r = np.linalg.norm(state.positions[c.indices[:, 0]] - state.positions[c.indices[:, 1]],
                       axis=1)
    assert np.abs(r - c.distances).max() / c.distances.min() < 1e-8
    e, f = system.energy_forces(state)
    assert integ.potential_energy == pytest.approx(e, rel=1e-12)
    assert np.abs(integ.forces - f).max() < 1e-9


def test_npt_restart_bit_for_bit():
    system, state0 = _ideal_gas(10, 3.0)

    def make(seed):
        integ = sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002)
        integ.barostat = sponge.MonteCarloBarostat(50.0, 300.0, frequency=3)
        integ.bind(system, seed=seed)
        return integ

    a = state0.copy()
    make(2).step(a, 60)
    b = state0.copy()
    i1 = make(2)
    i1.step(b, 30)
    saved = i1.get_state()
    i2 = make(77)
    i2.set_state(saved)
    i2.step(b, 30)
    assert np.array_equal(a.box, b.box)
    assert np.array_equal(a.positions, b.positions)


def test_barostat_needs_a_box():
    _, system, _ = ala2_vacuum()
    integ = sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002)
    integ.bind(system)
    with pytest.raises(ValueError, match="periodic"):
        integ.barostat = sponge.MonteCarloBarostat(1.0, 300.0)
    with pytest.raises(ValueError, match="anisotropic"):
        sponge.MonteCarloBarostat((1.0, 2.0, 1.0), 300.0)
