"""ITS on a toy with an analytic answer: a particle in a 1-D double well.

``U = A ((x/a)^2 - 1)^2 + k (y^2 + z^2) / 2`` with a barrier ``A = 12 k_B T`` at
300 K. Outside references: the configurational partition functions
``Z_k = Z_x(beta_k) * 2 pi / (beta_k k)`` by quadrature (the converged n_k must
make every temperature equally populated: ``n_k Z_k`` flat) and the analytic
PMF ``F(x) = -k_B T ln int_bin exp(-beta U_x)``. Plain MD of the same length
never leaves its well.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

import sponge
from sponge.quantities import BOLTZ

T0 = 300.0
KT = BOLTZ * T0
BARRIER = 12.0 * KT
A_NM = 0.1
K_YZ = 5000.0
MASS = 4.0


class DoubleWell:
    """Double well along x, harmonic in y and z (a custom force term)."""

    name = "double_well"

    def energy_forces(self, pos, box=None):
        x, y, z = pos[0]
        u = (x / A_NM) ** 2 - 1.0
        f = np.zeros_like(pos)
        f[0] = [-4.0 * BARRIER * u * x / A_NM**2, -K_YZ * y, -K_YZ * z]
        return BARRIER * u * u + 0.5 * K_YZ * (y * y + z * z), f

    def energy(self, pos, box=None):
        return self.energy_forces(pos)[0]

    def energy_components(self, pos, box=None):
        return {self.name: self.energy(pos)}


def _ux(x):
    return BARRIER * ((x / A_NM) ** 2 - 1.0) ** 2


def _ln_z(beta):
    zx = quad(lambda x: np.exp(-beta * _ux(x)), -0.3, 0.3, points=[-A_NM, 0.0, A_NM])[0]
    return np.log(zx) + np.log(2.0 * np.pi / (beta * K_YZ))


def _run(bias, steps, seed, every=10):
    system = sponge.System(np.array([MASS]), terms=[DoubleWell()])
    state = sponge.State(np.array([[-A_NM, 0.0, 0.0]]))
    sim = sponge.Simulation(system, sponge.LangevinMiddleIntegrator(T0, 10.0, 0.002), state,
                            bias=bias, seed=seed)
    xs, bs = [], []
    for _ in range(steps // every):
        sim.run(every)
        xs.append(state.positions[0, 0])
        bs.append(bias.report_columns()["bias"] if bias is not None else 0.0)
    return np.array(xs), np.array(bs)


@pytest.fixture(scope="module")
def converged(tmp_path_factory):
    traj = tmp_path_factory.mktemp("its") / "nk_traj.dat"
    sits = sponge.SITS(energy="total", t_low=250.0, t_high=3000.0, n_temperatures=20,
                       update_interval=100, nk_traj_file=traj)
    _run(sits, 60_000, seed=3)
    return sits, traj


def test_nk_converge_to_equal_temperature_populations(converged):
    sits, traj = converged
    # outside reference: n_k Z_k with Z_k by quadrature; each temperature's share
    share = sits.log_nk + np.array([_ln_z(b) for b in sits.beta])
    share = np.exp(share - share.max())
    share *= len(share) / share.sum()
    assert np.max(np.abs(share - 1.0)) < 0.10, np.round(share, 3)
    # the n_k trajectory flattens: late updates move ln n_k far less than early ones
    rows = np.loadtxt(traj)[:, 1:]
    assert len(rows) == 600
    early = np.abs(rows[60] - rows[0]).max()
    late = np.abs(rows[-1] - rows[-61]).max()
    assert late < 0.2 * early and late < 0.1, (early, late)


def test_reweighted_pmf_matches_the_analytic_one_while_plain_md_stays_in_its_well(converged):
    sits, _ = converged
    sits.mode = "production"
    n_steps = 200_000
    xs, bias = _run(sits, n_steps, seed=4)
    # production populations flat within 10% (the P_k the iteration equalises)
    p = sits.populations * len(sits.temperatures)
    assert np.max(np.abs(p - 1.0)) < 0.10, np.round(p, 3)
    w = sponge.analysis.reweight(bias, T0)
    edges = np.linspace(-0.14, 0.14, 15)
    h, _ = np.histogram(xs, edges, weights=w)
    f = -np.log(h / h.sum() / np.diff(edges))
    ref = np.array([-np.log(quad(lambda x: np.exp(-_ux(x) / KT), lo, hi)[0] / (hi - lo))
                    for lo, hi in zip(edges[:-1], edges[1:], strict=True)])
    assert np.ptp(ref) > 10.0   # the range includes the barrier top
    d = f - ref
    d -= d.mean()
    assert np.max(np.abs(d)) < 0.3, np.round(d, 2)
    # both wells visited many times under ITS...
    sign = np.sign(xs)
    assert np.count_nonzero(sign[1:] != sign[:-1]) > 50
    # ...while plain MD of the same length stays where it started
    xs_plain, _ = _run(None, n_steps + 60_000, seed=5, every=100)
    assert np.all(xs_plain < 0.0)
